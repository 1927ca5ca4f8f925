import Foundation
import Testing
import ViTTensor
@testable import ViTHDF5

@Suite("HDF5 reader behaviour")
struct HDF5ReaderTests {
    @Test("dotted names at the root and nested groups read as the same flat map with the same bytes")
    func flatAndNestedAgree() throws {
        let flat = try HDF5File(path: fixturePath("flat.h5"))
        let nested = try HDF5File(path: fixturePath("nested.h5"))
        #expect(flat.tensorInfos == nested.tensorInfos)
        for name in flat.tensorNames {
            #expect(try flat.tensor(named: name) == nested.tensor(named: name))
        }
        #expect(flat.datasets.first?.path == "/blocks.0.attn.qkv.bias")
        #expect(nested.datasets.first?.path == "/blocks/0/attn/qkv/bias")
        #expect(try nested.tensor(atPath: "blocks//0/attn/qkv/bias/") == flat.tensor(named: "blocks.0.attn.qkv.bias"))
    }

    @Test("groups are listed depth-first in name order, the root first")
    func groupListing() throws {
        let nested = try HDF5File(path: fixturePath("nested.h5"))
        #expect(nested.groups == ["/", "/blocks", "/blocks/0", "/blocks/0/attn", "/blocks/0/attn/qkv", "/blocks/0/norm1",
                                  "/empty_group", "/head", "/patch_embed", "/patch_embed/proj"])
        #expect(nested.links.isEmpty)
    }

    @Test("root attributes become metadata text: strings as they are, numbers as text, arrays as JSON")
    func metadataRendering() throws {
        let h5 = try HDF5File(path: fixturePath("flat.h5"))
        #expect(h5.metadata["vitkit_config"] == #"{"embed_dim": 8, "depth": 1, "num_heads": 2}"#)
        #expect(h5.metadata["epoch"] == "7")
        #expect(h5.metadata["lr"] == "0.001")
        #expect(h5.metadata["img_size"] == "[224, 160]")
        #expect(h5.metadata["mean"] == "[0.485, 0.456, 0.406]")
        #expect(h5.metadata["tags"] == #"["vit", "tiny", "naïve"]"#)
        #expect(h5.metadata["note"] == "naïve ☃")
        #expect(h5.metadata["fixed_utf8"] == "grüße")
        #expect(h5.metadata["flag"] == "1")
        #expect(h5.metadata.count == 13)
        #expect(HDF5Attribute.floats([.nan, -.infinity, 1.5]).rendered == #"["NaN", "-Infinity", 1.5]"#)
        #expect(HDF5Attribute.strings(["a\"b\\c\n\u{1}"]).rendered == #"["a\"b\\c\n\u0001"]"#)
    }

    @Test("Keras string lists read whole or joined from their chunks weight_names0, weight_names1, …")
    func kerasStringLists() throws {
        let h5 = try HDF5File(path: fixturePath("keras_legacy_like.h5"))
        #expect(try h5.stringList("layer_names", of: "/") == ["embedding", "Transformer/encoderblock_0"])
        #expect(try h5.stringList("weight_names", of: "/embedding") == ["embedding/kernel:0", "embedding/bias:0"])
        let split = try #require(try h5.stringList("weight_names", of: "Transformer/encoderblock_0"))
        #expect(split == ["Transformer/encoderblock_0/LayerNorm_0/scale:0", "Transformer/encoderblock_0/LayerNorm_0/bias:0",
                          "Transformer/encoderblock_0/MlpBlock_3/Dense_0/kernel:0"])
        #expect(try h5.stringList("nothing", of: "/") == nil)
        // Following layer_names then weight_names reaches every dataset, as Keras loads them.
        var reached = 0
        for layer in try h5.stringList("layer_names", of: "/") ?? [] {
            for weight in try h5.stringList("weight_names", of: layer) ?? [] {
                _ = try h5.tensor(atPath: layer + "/" + weight)
                reached += 1
            }
        }
        #expect(reached == h5.datasets.count)

        let keras = try HDF5File(path: fixturePath("keras3_legacy.h5"))
        #expect(try keras.stringList("layer_names", of: "/model_weights") == ["input_layer", "first", "norm", "head"])
        #expect(try keras.stringList("weight_names", of: "/model_weights/input_layer") == [])
    }

    @Test("a user block is found at 512 and the file reads normally")
    func userBlock() throws {
        let h5 = try HDF5File(path: fixturePath("userblock.h5"))
        #expect(h5.userBlockSize == 512)
        #expect(try HDF5File(path: fixturePath("flat.h5")).userBlockSize == 0)
        let bytes = try Data(contentsOf: hdf5Fixtures.appendingPathComponent("userblock.h5"))
        #expect(bytes.withUnsafeBytes { HDF5File.signatureOffset(in: $0) } == 512)
    }

    @Test("the signature is looked for at 0 and at powers of two from 512 only")
    func signatureOffsets() {
        func offset(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes { HDF5File.signatureOffset(in: $0) } }
        let sig = HDF5File.signature
        #expect(offset(sig) == 0)
        #expect(offset(Array(sig.prefix(7))) == nil)
        #expect(offset([UInt8](repeating: 0, count: 512) + sig) == 512)
        #expect(offset([UInt8](repeating: 0, count: 2048) + sig + [1, 2]) == 2048)
        #expect(offset([UInt8](repeating: 0, count: 256) + sig + [UInt8](repeating: 0, count: 600)) == nil)
        #expect(offset([UInt8](repeating: 0, count: 1000) + sig) == nil)
        #expect(offset([]) == nil)
    }

    @Test("readFloat32 gives the same values as converting the tensor, for every float dtype")
    func readFloat32() throws {
        for file in ["flat.h5", "big_endian.h5", "f16.h5", "chunked_gzip.h5", "bf16_opaque.h5", "scalars.h5"] {
            let h5 = try HDF5File(path: fixturePath(file))
            for info in h5.tensorInfos where info.dtype.isFloatingPoint {
                let direct = try h5.readFloat32(named: info.name)
                let converted = try h5.tensor(named: info.name).floats()
                #expect(direct.map(\.bitPattern) == converted.map(\.bitPattern), "\(file) \(info.name)")
                #expect(direct.count == info.elementCount)
            }
        }
    }

    @Test("bfloat16 from OPAQUE and from tagged uint16 are the same BF16 tensor; untagged uint16 stays U16")
    func bfloat16Sources() throws {
        let opaque = try HDF5File(path: fixturePath("bf16_opaque.h5")).tensor(named: "kernel_bf16")
        let tagged = try HDF5File(path: fixturePath("bf16_uint16.h5"))
        #expect(opaque.dtype == .bf16)
        #expect(try tagged.tensor(named: "bf16_bits") == opaque)
        #expect(tagged.info(named: "plain_u16")?.dtype == .u16)
    }

    @Test("scalars have shape () and one element")
    func scalars() throws {
        let h5 = try HDF5File(path: fixturePath("scalars.h5"))
        let t = try h5.tensor(named: "f32_scalar")
        #expect(t.shape == [])
        #expect(t.floats() == [2.5])
        #expect(try h5.tensor(named: "bool_scalar").bytes == [1])
        #expect(try h5.tensor(named: "i64_scalar").bytes == withUnsafeBytes(of: Int64(-42).littleEndian) { Array($0) })
    }

    @Test("several threads reading the same and different files at once get the right bytes")
    func concurrentReads() async throws {
        let expected = try loadExpected()
        let flat = try HDF5File(path: fixturePath("flat.h5"))
        try await withThrowingTaskGroup(of: Int.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var checked = 0
                    for round in 0..<20 {
                        let file = readableFixtures[(worker + round) % readableFixtures.count]
                        let h5 = round % 2 == 0 ? flat : try HDF5File(path: fixturePath(file))
                        let name = h5 === flat ? "flat.h5" : file
                        for d in h5.datasets {
                            let t = try h5.tensor(atPath: d.path)
                            if t.bytes == hexBytes(expected[name]?.datasets[d.path]?.hex ?? "") { checked += 1 }
                        }
                        _ = try h5.attributes(of: "/")
                    }
                    return checked
                }
            }
            var total = 0
            for try await n in group { total += n }
            #expect(total > 0)
            // Every read matched: count what the workers should have read.
            var should = 0
            for worker in 0..<8 {
                for round in 0..<20 {
                    let file = round % 2 == 0 ? "flat.h5" : readableFixtures[(worker + round) % readableFixtures.count]
                    should += expected[file]?.datasets.count ?? 0
                }
            }
            #expect(total == should)
        }
    }
}
