import Foundation
import Testing
import ViTTensor
@testable import ViTHDF5

let readableFixtures = ["flat.h5", "nested.h5", "chunked_gzip.h5", "big_endian.h5", "f16.h5", "bf16_opaque.h5",
                        "bf16_uint16.h5", "userblock.h5", "keras_legacy_like.h5", "scalars.h5", "ints_bools.h5",
                        "libver_v110.h5", "keras3_legacy.h5", "keras3_mixed.weights.h5"]

@Suite("HDF5 files written by h5py and Keras")
struct HDF5FixtureTests {
    @Test("every dataset reads back bit for bit as h5py read it, with its dtype, shape and name order",
          arguments: readableFixtures)
    func readsEveryDataset(file: String) throws {
        let expected = try #require(try loadExpected()[file])
        let h5 = try HDF5File(path: fixturePath(file))
        #expect(h5.formatName == "hdf5")
        #expect(h5.tensorNames == expected.names)
        #expect(h5.datasets.count == expected.datasets.count)
        for d in h5.datasets {
            let e = try #require(expected.datasets[d.path], "unexpected dataset \(d.path)")
            #expect(d.info.dtype.rawValue == e.dtype, "\(d.path)")
            #expect(d.info.shape == e.shape, "\(d.path)")
            let t = try h5.tensor(named: d.info.name)
            #expect(t.dtype.rawValue == e.dtype)
            #expect(t.shape == e.shape)
            #expect(t.bytes == hexBytes(e.hex), "\(file) \(d.path)")
            #expect(try h5.tensor(atPath: d.path) == t)
        }
    }

    @Test("every attribute of every object reads as h5py read it", arguments: readableFixtures)
    func readsEveryAttribute(file: String) throws {
        let expected = try #require(try loadExpected()[file])
        let h5 = try HDF5File(path: fixturePath(file))
        for (object, attributes) in expected.attributes {
            let got = try h5.attributes(of: object)
            #expect(Set(got.keys) == Set(attributes.keys), "\(file) \(object)")
            for (name, a) in attributes {
                let want = try #require(hdf5Attribute(a), "\(file) \(object) \(name)")
                #expect(got[name] == want, "\(file) \(object) \(name)")
            }
        }
        if expected.attributes["/"] == nil { #expect(try h5.attributes(of: "/").isEmpty) }
    }

    @Test("datasets that are not tensors are listed with the exact error reading them gives", arguments: readableFixtures)
    func listsUnreadableDatasets(file: String) throws {
        let expected = try #require(try loadExpected()[file])
        let h5 = try HDF5File(path: fixturePath(file))
        #expect(Set(h5.unreadableDatasets.map(\.path)) == Set(expected.unreadable.keys))
        for u in h5.unreadableDatasets {
            let reason = try #require(expected.unreadable[u.path])
            switch u.error {
            case let .unsupportedType(f, d, hdf5Class, _):
                #expect(f == fixturePath(file))
                #expect(d == u.path)
                #expect(reason == "unsupportedType:\(hdf5Class)")
            case let .unknownOpaque(f, d, size, tag):
                #expect(f == fixturePath(file))
                #expect(d == u.path)
                #expect(reason == "unknownOpaque")
                #expect(size == 2)
                #expect(tag == "")
            default:
                Issue.record("unexpected error \(u.error) for \(u.path)")
            }
            #expect(throws: u.error) { try h5.tensor(named: u.name) }
            #expect(throws: u.error) { try h5.tensor(atPath: u.path) }
        }
    }
}
