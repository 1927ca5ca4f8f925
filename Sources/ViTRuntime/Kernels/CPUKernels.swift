import Foundation
internal import CViTKernels

/// ViTKit's own kernels (the `CViTKernels` C target) and which of them this process runs.
///
/// The instruction set is chosen once by CPUID: AVX-512 where the CPU has it, else AVX2 + FMA, else none
/// (the forward pass then runs its portable path: `GEMM` on oneDNN or OpenBLAS). `VITKIT_KERNELS=avx512|avx2|off`
/// forces a lower choice (tests, benchmarks); a choice the CPU cannot run falls back to the best it can.
enum CPUKernels {
    /// An instruction set of the kernels.
    enum ISA: String, Sendable, CaseIterable {
        case avx512, avx2, off

        /// The `VK_ISA_*` value of the C kernels (0 for `off`).
        var code: Int32 {
            switch self {
            case .avx512: Int32(VK_ISA_AVX512)
            case .avx2: Int32(VK_ISA_AVX2)
            case .off: 0
            }
        }
    }

    /// `VK_ISA_*` bits of this CPU.
    static let available = Int(vk_cpu_isa())

    /// Whether `isa` runs here.
    static func supports(_ isa: ISA) -> Bool {
        switch isa {
        case .off: true
        case .avx512, .avx2: available & Int(isa.code) != 0
        }
    }

    /// Whether this CPU has AVX512_BF16 dot products (the bf16 kernels).
    static var bf16: Bool { available & Int(VK_ISA_AVX512_BF16) != 0 }

    /// The best set this CPU runs, capped by `VITKIT_KERNELS`.
    static let selected: ISA = {
        let best: ISA = supports(.avx512) ? .avx512 : supports(.avx2) ? .avx2 : .off
        guard let v = ProcessInfo.processInfo.environment["VITKIT_KERNELS"]?.lowercased(), let asked = ISA(rawValue: v)
        else { return best }
        // `allCases` runs from the widest set down: the first one at or below the asked one that runs here.
        return ISA.allCases.drop { $0 != asked }.first(where: supports) ?? .off
    }()
}

/// Which kernels the forward pass uses in this process (for benchmarks and reports).
public enum KernelInfo {
    /// "avx512", "avx2" or "off" (the portable path), as CPUID and `VITKIT_KERNELS` select.
    public static var isa: String { CPUKernels.selected.rawValue }
}

/// bfloat16 (the upper half of an IEEE Float32) as raw UInt16 bits, through the C kernels' rounding.
enum BFloat16 {
    /// Rounds `count` floats to bfloat16, to nearest even (`vk_to_bf16`: 16 lanes at a time on AVX512_BF16,
    /// scalar elsewhere; a NaN stays a NaN).
    static func convert(_ x: UnsafePointer<Float>, count: Int, into y: UnsafeMutablePointer<UInt16>) {
        vk_to_bf16(x, max(count, 0), y)
    }
}
