import Dispatch

/// Times `body` `count` times (at least once) after one untimed warm-up.
/// - Returns: the median and the minimum, in milliseconds.
public func measure(times count: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
    try body()
    let times = try (0..<max(1, count)).map { _ in try milliseconds(body) }.sorted()
    return (times[times.count / 2], times[0])
}

/// The wall time of one call of `body`, in milliseconds.
public func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
}
