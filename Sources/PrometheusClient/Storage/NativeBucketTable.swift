/// The layout of one native bucket table, the same in process memory and in a worker's
/// `histogram_<id>.native` file, so that the recorder updates either with the same code:
///
/// ```
/// offset 0   UInt32  capacity        bucket slots
/// offset 4   UInt32  flags           bit 0: classic buckets kept too; bit 1: removed
/// offset 8   Int32   schema
/// offset 12  UInt32                  zero
/// offset 16  Float64 zeroThreshold
/// offset 24  Int64   zeroCount
/// offset 32  Int64   keys[capacity]      (index * 2, plus 1 when negative) XOR Int64.min; 0: empty
///            Int64   counts[capacity]
/// ```
///
/// Keys are stored so that zero means empty, so a new table needs no writes beyond its header.
/// ``NativeBucketRecorder`` writes tables; `NativeBucketFileLayout` frames them in files.
enum NativeBucketTable {
    /// Bytes before the keys.
    static let headerSize = 32
    /// Offset of the zero bucket's count.
    static let zeroCountOffset = 24
    /// What a stored key is XORed with: the empty key becomes 0.
    static let keyMask = Int64.min

    /// Bytes of a table with `capacity` bucket slots.
    static func size(capacity: Int) -> Int {
        headerSize + 16 * capacity
    }
}
