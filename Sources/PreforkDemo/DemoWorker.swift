import CPrometheusSystemCalls
import Glibc
import PrometheusClient
import PrometheusServing

/// One worker process: serves the application on the socket inherited from the master until it is
/// told to stop or the master disappears. Like a Python multiprocess app mounting `make_wsgi_app`, it
/// also answers `/metrics` on the application port with the merged view of every worker.
enum DemoWorker {
    /// Runs the worker; returns the process exit status.
    static func run(listenFD: Int32, masterPID: pid_t, slot: Int) -> Int32 {
        // Die with the master even if it is SIGKILLed: no orphans holding the port.
        _ = prometheus_set_parent_death_signal(SIGTERM)
        if getppid() != masterPID {
            return 0  // the master died before the death signal was armed
        }
        let metrics: DemoMetrics
        let server: MetricsServer
        do {
            metrics = try DemoMetrics(slot: slot)
            let listener = try MetricsListener(adopting: listenFD)
            let application = DemoApplication(metrics: metrics)
            let directory = Multiprocess.directory ?? ""
            server = try MetricsServer.start(
                listener: listener,
                registry: DemoMetrics.mergedRegistry(directory: directory, withWorkerProcesses: false),
                otherRequests: { application.handle($0) })
        } catch {
            DemoLog.error("worker \(slot) cannot start: \(error)")
            return 1
        }
        DemoLog.info("worker \(slot) serving (pid \(getpid()))")
        while true {
            if let signal = DemoSignals.wait(seconds: 1), DemoSignals.isStop(signal) { break }
            if getppid() != masterPID { break }
        }
        server.stop()
        return 0
    }
}
