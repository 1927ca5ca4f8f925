import Foundation
import Testing
import ViTTestSupport
import ViTConvert
import ViTFormats
import ViTMapping
import ViTModel
import ViTSafetensors
import ViTTensor

/// `--dtype`: every tensor stored in the asked dtype with the tensor core's rounding (round to nearest
/// even, as torch's `.half()` / `.bfloat16()`); by default stored dtypes are kept and F64 becomes F32.
@Suite("Output dtypes")
struct DTypeTests {
    static let formats = OutputFormat.allCases

    @Test("f16 and bf16 outputs hold the core's rounding of every f32 value", arguments: formats)
    func narrowing(_ format: OutputFormat) throws {
        let c = try ConventionCase("timm_plain")
        let original = try c.canonical()
        let dir = makeTempFolder()
        for dtype in [DType.f16, .bf16] {
            let out = "\(dir)/m-\(dtype.shortName).\(format.fileExtension)"
            let report = try Converter.convert(ConversionRequest(input: c.weights, output: out, mapping: c.mapping, dtype: dtype))
            #expect(report.dtypes == [dtype])
            let back = try ViTMapper.loadCanonical(try CheckpointOpener.open(out))
            #expect(back.config == (try c.expectedConfig()))
            for name in original.order {
                let want = try #require(original.tensors[name]).converted(to: dtype)
                #expect(back.tensors[name] == want, "\(format) \(dtype) \(name)")
            }
        }
    }

    @Test("the narrowing rounds to nearest even: spot values in f16 and bf16")
    func roundingValues() throws {
        // f16: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 (ties to even: 1); 1 + 3·2^-11 is halfway between
        // 1 + 2^-10 and 1 + 2^-9 (→ 1 + 2^-9); 1 + 2^-8 and 1 + 3·2^-8 are exact; 65520 rounds past 65504 to +inf.
        // bf16: 1 + 2^-8 is halfway between 1 and 1 + 2^-7 (→ 1); 1 + 3·2^-8 is halfway (→ 1 + 2^-6); 65520 → 65536.
        let values: [Float] = [1 + 0x1p-11, 1 + 3 * 0x1p-11, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 65520, -0.0]
        let dir = makeTempFolder()
        let input = "\(dir)/in.safetensors"
        let c = try ConventionCase("timm_plain")
        let original = try c.canonical()
        // The same model with the first values of norm.weight replaced by the spot values.
        var tensors = original.order.map { ($0, original.tensors[$0]!) }
        let i = try #require(tensors.firstIndex { $0.0 == "norm.weight" })
        var w = tensors[i].1.floats()
        for (k, v) in values.enumerated() { w[k] = v }
        tensors[i].1 = try Tensor(shape: [w.count], float32: w)
        try SafetensorsWriter.write(tensors: tensors, to: input)

        _ = try Converter.convert(ConversionRequest(input: input, output: "\(dir)/h.safetensors", mapping: c.mapping, dtype: .f16))
        _ = try Converter.convert(ConversionRequest(input: input, output: "\(dir)/b.safetensors", mapping: c.mapping, dtype: .bf16))
        let h = try CheckpointOpener.open("\(dir)/h.safetensors").tensor(named: "norm.weight").floats()
        let b = try CheckpointOpener.open("\(dir)/b.safetensors").tensor(named: "norm.weight").floats()
        let wantH: [Float] = [1, 1 + 0x1p-9, 1 + 0x1p-8, 1 + 3 * 0x1p-8, .infinity, -0.0]
        let wantB: [Float] = [1, 1, 1, 1 + 0x1p-6, 65536, -0.0]
        #expect(Array(h.prefix(6)) == wantH)
        #expect(Array(b.prefix(6)) == wantB)
        #expect(h[5].sign == .minus && b[5].sign == .minus)
    }

    @Test("by default f16 and bf16 sources stay f16 and bf16, bit for bit", arguments: ["timm_f16", "timm_bf16"])
    func keepsHalf(_ name: String) throws {
        let c = try ConventionCase(name)
        let original = try c.canonical()
        let stored = try #require(original.tensors["pos_embed"]).dtype
        let dir = makeTempFolder()
        for format in OutputFormat.allCases {
            let out = "\(dir)/m.\(format.fileExtension)"
            let report = try Converter.convert(ConversionRequest(input: c.weights, output: out, mapping: c.mapping))
            #expect(report.dtypes == [stored])
            let back = try ViTMapper.loadCanonical(try CheckpointOpener.open(out))
            #expect(back.tensors == original.tensors, "\(format)")
        }
    }

    @Test("f64 sources become f32 by default (exactly, for values that came from f32)")
    func f64BecomesF32() throws {
        let c = try ConventionCase("timm_plain")
        let original = try c.canonical()
        let dir = makeTempFolder()
        let input = "\(dir)/f64.safetensors"
        try SafetensorsWriter.write(tensors: try original.order.map { ($0, try original.tensors[$0]!.converted(to: .f64)) }, to: input)
        for format in OutputFormat.allCases {
            let out = "\(dir)/m.\(format.fileExtension)"
            let report = try Converter.convert(ConversionRequest(input: input, output: out, mapping: c.mapping))
            #expect(report.dtypes == [.f32])
            let back = try ViTMapper.loadCanonical(try CheckpointOpener.open(out))
            #expect(back.tensors == original.tensors, "\(format)")
        }
    }

    @Test("widening f16 to f32 is exact")
    func widening() throws {
        let c = try ConventionCase("timm_f16")
        let original = try c.canonical()
        let dir = makeTempFolder()
        _ = try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/m.bin", mapping: c.mapping, dtype: .f32))
        let back = try ViTMapper.loadCanonical(try CheckpointOpener.open("\(dir)/m.bin"))
        for name in original.order {
            #expect(back.tensors[name] == (try original.tensors[name]!.converted(to: .f32)), "\(name)")
        }
    }

    @Test("a dtype a conversion does not write is refused before anything is written", arguments: [DType.f64, .i32, .f8e4m3])
    func unsupported(_ dtype: DType) throws {
        let c = try ConventionCase("timm_plain")
        let dir = makeTempFolder()
        #expect(throws: ConvertError.unsupportedOutputDType(dtype)) {
            try Converter.convert(ConversionRequest(input: c.weights, output: "\(dir)/m.bin", mapping: c.mapping, dtype: dtype))
        }
        #expect(folderEntries(dir).isEmpty)
    }
}
