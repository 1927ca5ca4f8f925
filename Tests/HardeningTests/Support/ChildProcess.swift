import Foundation

/// How a child process ended, what it printed, and what it cost.
struct ChildRun {
    /// The exit status, or nil when a signal ended it.
    let exitStatus: Int32?
    /// The signal that ended it, or nil when it exited.
    let signal: Int32?
    let stdout: String
    let stderr: String
    /// `ru_maxrss` of the child (KiB). Not its own peak: a vfork-spawned child inherits the parent's
    /// high-water mark at exec, so use `reportedPeakRSSKiB` for the replayers.
    let maxRSSKiB: Int
    /// Wall-clock time from spawn to exit.
    let seconds: Double

    /// The peak RSS a replayer reports about itself on stderr (`peak RSS: N KiB`, from `VmHWM`).
    var reportedPeakRSSKiB: Int? {
        guard let line = stderr.split(separator: "\n").last(where: { $0.hasPrefix("peak RSS: ") }) else { return nil }
        return Int(line.dropFirst("peak RSS: ".count).prefix { $0.isNumber })
    }

    /// True when it exited with status 0.
    var succeeded: Bool { exitStatus == 0 }
}

/// Errors starting a child process.
struct SpawnFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs `executable` with `arguments`, capturing stdout and stderr (through files) and its peak RSS.
/// - Parameters:
///   - executable: path of the program.
///   - arguments: its arguments (without argv[0]).
///   - killAfter: when set, sends SIGKILL this many seconds after the start if it is still running.
///   - killWhen: when set, called every 0.5 ms with the seconds since the start while the process runs;
///     SIGKILL is sent the first time it returns true.
/// - Throws: `SpawnFailure` when the process cannot be started.
func runChild(_ executable: String, _ arguments: [String], killAfter: Double? = nil,
              killWhen: ((Double) -> Bool)? = nil) throws -> ChildRun {
    let folder = makeTempFolder("child")
    defer { removeFolder(folder) }
    let outPath = folder + "/stdout", errPath = folder + "/stderr"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let start = DispatchTime.now()
    let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
    guard rc == 0 else { throw SpawnFailure(description: "cannot start \(executable): \(String(cString: strerror(rc)))") }
    var status: Int32 = 0
    var usage = rusage()
    let shouldKill: ((Double) -> Bool)? = killWhen ?? killAfter.map { limit in { $0 >= limit } }
    while true {
        let r = wait4(pid, &status, shouldKill == nil ? 0 : WNOHANG, &usage)
        if r == pid { break }
        if r < 0 {
            guard errno == EINTR else { throw SpawnFailure(description: "wait4: \(String(cString: strerror(errno)))") }
            continue
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        if let shouldKill, shouldKill(elapsed) {
            kill(pid, SIGKILL)
            while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
            break
        }
        usleep(500)
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let exited = status & 0x7F == 0
    return ChildRun(exitStatus: exited ? (status >> 8) & 0xFF : nil, signal: exited ? nil : status & 0x7F,
                    stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                    stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
                    maxRSSKiB: Int(usage.ru_maxrss), seconds: seconds)
}
