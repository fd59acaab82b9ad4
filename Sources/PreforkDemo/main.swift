import Glibc

switch DemoConfiguration.parse(Array(CommandLine.arguments.dropFirst())) {
case .help:
    print(DemoConfiguration.usage)
case .invalid(let message):
    DemoLog.emit("prefork-demo: \(message)\n\n\(DemoConfiguration.usage)\n", to: STDERR_FILENO)
    exit(2)
case .run(let configuration):
    if let listenFD = configuration.workerListenFD {
        exit(
            DemoWorker.run(
                listenFD: listenFD, masterPID: configuration.workerMasterPID, slot: configuration.workerSlot))
    }
    exit(PreforkMaster(configuration: configuration).run())
}
