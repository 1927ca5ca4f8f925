import Foundation
import Testing
import ViTTestSupport
import ViTConvert
import ViTFormats
import ViTMapping
import ViTTensor

/// A source that records how each tensor was read, and can make the stored-bytes read of one tensor fail
/// half way (as a disk error or a file cut short would).
final class RecordingSource: TensorSource, @unchecked Sendable {
    struct ReadFailure: Error, Equatable { let tensor: String }
    let base: TensorSource
    let failing: String?
    private(set) var materialised: [String] = []
    private(set) var streamed: [String] = []

    init(_ base: TensorSource, failing: String? = nil) {
        self.base = base
        self.failing = failing
    }

    var path: String { base.path }
    var formatName: String { base.formatName }
    var tensorInfos: [TensorInfo] { base.tensorInfos }
    var metadata: [String: String] { base.metadata }
    var configJSON: String? { base.configJSON }
    func tensor(named name: String) throws -> Tensor {
        materialised.append(name)
        return try base.tensor(named: name)
    }
    func storedBytes(named name: String) throws -> StoredBytes? {
        guard let s = try base.storedBytes(named: name) else { return nil }
        streamed.append(name)
        guard name == failing else { return s }
        return StoredBytes(info: s.info) { offset, destination in
            if offset + destination.count > s.count / 2 { throw ReadFailure(tensor: name) }
            try s.read(at: offset, into: destination)
        }
    }
}

@Suite("Conversion copying stored tensors file to file")
struct StreamingTests {
    let c: ConventionCase
    init() throws { c = try ConventionCase("timm_plain") }

    func request(_ output: String) -> ConversionRequest {
        ConversionRequest(input: c.weights, output: output, mapping: c.mapping)
    }

    @Test("to .bin and .safetensors every stored tensor is copied from the file; to .h5 each is materialised",
          arguments: [OutputFormat.bin, .safetensors, .hdf5])
    func copiedFromFile(_ format: OutputFormat) throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = RecordingSource(try CheckpointOpener.open(c.weights))
        let out = "\(dir)/o.\(format.fileExtension)"
        let report = try Converter.convert(request(out), from: source)
        let names = Set(source.tensorInfos.map(\.name))
        if format == .hdf5 {
            #expect(source.streamed.isEmpty)
            #expect(Set(source.materialised) == names)
        } else {
            #expect(Set(source.streamed) == names)
            #expect(source.materialised.isEmpty)
        }
        // The same bytes as the tensors built by the mapping.
        let original = try c.canonical()
        let back = try CheckpointOpener.open(out)
        #expect(report.tensorCount == original.order.count)
        for name in original.order { #expect(try back.tensor(named: name) == original.tensors[name], "\(name)") }
    }

    @Test("a failing read of a stored tensor stops the conversion with that error and leaves no output",
          arguments: [OutputFormat.bin, .safetensors])
    func failingRead(_ format: OutputFormat) throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let victim = "blocks.0.mlp.fc1.weight"
        let source = RecordingSource(try CheckpointOpener.open(c.weights), failing: victim)
        #expect(throws: RecordingSource.ReadFailure(tensor: victim)) {
            try Converter.convert(request("\(dir)/o.\(format.fileExtension)"), from: source)
        }
        #expect(folderEntries(dir).isEmpty)
    }

    @Test("HDF5 datasets the isolated reader locates are copied from the file, bit for bit")
    func fromHDF5() throws {
        let dir = makeTempFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let h5 = "\(dir)/m.h5"
        try Converter.convert(request(h5))
        let source = RecordingSource(try CheckpointOpener.open(h5))
        try Converter.convert(ConversionRequest(input: h5, output: "\(dir)/m.bin", mapping: c.mapping), from: source)
        #expect(Set(source.streamed) == Set(source.tensorInfos.map(\.name)))
        #expect(source.materialised.isEmpty)
        let original = try c.canonical()
        let back = try CheckpointOpener.open("\(dir)/m.bin")
        for name in original.order { #expect(try back.tensor(named: name) == original.tensors[name], "\(name)") }
    }
}
