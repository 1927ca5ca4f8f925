import Dispatch

/// Times `body` `count` times (at least once) after one untimed warm-up.
/// - Returns: the median and the minimum, in milliseconds.
public func measure(times count: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
    try body()
    var times: [Double] = []
    for _ in 0..<max(1, count) {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
    }
    times.sort()
    return (times[times.count / 2], times[0])
}
