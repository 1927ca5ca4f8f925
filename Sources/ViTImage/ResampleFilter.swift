import Foundation

/// Pillow's resampling filters (`PIL.Image.Resampling`), with Pillow's kernels and supports
/// (libImaging/Resample.c), and Pillow's integer codes (`resample` in Hugging Face configs).
public enum ResampleFilter: String, CaseIterable, Sendable {
    case nearest, box, bilinear, hamming, bicubic, lanczos

    /// Pillow's integer code (NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5).
    public var pillowCode: Int {
        switch self {
        case .nearest: return 0
        case .lanczos: return 1
        case .bilinear: return 2
        case .bicubic: return 3
        case .box: return 4
        case .hamming: return 5
        }
    }

    /// The filter of a Pillow integer code.
    public init?(pillowCode: Int) {
        guard let f = Self.allCases.first(where: { $0.pillowCode == pillowCode }) else { return nil }
        self = f
    }

    /// The filter of a name as timm and torchvision write it (`bicubic`, `bilinear`, `nearest`, `lanczos`,
    /// `box`, `hamming`; also `antialias`, Pillow's old name of lanczos). Case-insensitive.
    public init?(name: String) {
        let n = name.lowercased()
        if n == "antialias" { self = .lanczos; return }
        guard let f = Self(rawValue: n) else { return nil }
        self = f
    }

    /// The filter's support at scale 1 (Pillow: box 0.5, bilinear and hamming 1, bicubic 2, lanczos 3).
    var support: Double {
        switch self {
        case .nearest: return 0
        case .box: return 0.5
        case .bilinear, .hamming: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The kernel at `x` (Pillow's formulas, bicubic with a = −0.5, Hamming with Pillow's float constants).
    func weight(_ x: Double) -> Double {
        switch self {
        case .nearest: return 0
        case .box: return (x > -0.5 && x <= 0.5) ? 1 : 0
        case .bilinear:
            let a = abs(x)
            return a < 1 ? 1 - a : 0
        case .hamming:
            let a = abs(x)
            if a == 0 { return 1 }
            if a >= 1 { return 0 }
            let p = a * Double.pi
            return sin(p) / p * (Double(Float(0.54)) + Double(Float(0.46)) * cos(p))
        case .bicubic:
            let a = abs(x), c = -0.5
            if a < 1 { return ((c + 2) * a - (c + 3)) * a * a + 1 }
            if a < 2 { return (((a - 5) * a + 8) * a - 4) * c }
            return 0
        case .lanczos:
            return (-3 <= x && x < 3) ? Self.sinc(x) * Self.sinc(x / 3) : 0
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let p = x * Double.pi
        return sin(p) / p
    }
}

/// The fixed-point weights of one resampling pass (Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`).
struct ResampleCoefficients {
    /// Pillow's `PRECISION_BITS` (32 − 8 − 2).
    static let precisionBits: Int32 = 22
    /// Weights per output sample (`ksize`).
    let kernelSize: Int
    /// For output sample i: first input sample and count.
    var first: [Int32], count: [Int32]
    /// `outSize × kernelSize` weights scaled by 2^22 and rounded half away from zero.
    var weights: [Int32]

    /// The weights mapping `inSize` samples onto `outSize` (the whole input range).
    init(inSize: Int, outSize: Int, filter: ResampleFilter) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        kernelSize = Int(support.rounded(.up)) * 2 + 1
        first = [Int32](repeating: 0, count: outSize)
        count = [Int32](repeating: 0, count: outSize)
        weights = [Int32](repeating: 0, count: outSize * kernelSize)
        var k = [Double](repeating: 0, count: kernelSize)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            let xmin = max(0, Int(center - support + 0.5))
            let xmax = min(inSize, Int(center + support + 0.5)) - xmin
            var ww = 0.0
            for x in 0..<max(0, xmax) {
                k[x] = filter.weight((Double(x + xmin) - center + 0.5) * ss)
                ww += k[x]
            }
            for x in 0..<max(0, xmax) {
                let w = ww != 0 ? k[x] / ww : k[x]
                let scaled = w * Double(1 << Self.precisionBits)
                weights[xx * kernelSize + x] = Int32(w < 0 ? -0.5 + scaled : 0.5 + scaled)
            }
            first[xx] = Int32(xmin)
            count[xx] = Int32(max(0, xmax))
        }
    }
}
