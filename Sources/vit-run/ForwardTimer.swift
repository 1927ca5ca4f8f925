import Dispatch

/// Times repeated forward passes after one warm-up.
enum ForwardTimer {
    static func time(times count: Int, _ body: () throws -> Void) rethrows -> (median: Double, min: Double) {
        try body()
        var ms: [Double] = []
        for _ in 0..<count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            ms.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        ms.sort()
        return (ms[ms.count / 2], ms[0])
    }
}
