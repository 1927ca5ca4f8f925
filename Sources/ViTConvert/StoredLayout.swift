import ViTMapping
import ViTTensor

/// An output tensor whose bytes are runs of its sources' stored bytes (`PlannedTensor.byteRuns`), each
/// readable straight from the input file (`TensorSource.storedBytes(named:)`): a conversion copies it file to
/// file through a small buffer instead of materialising it.
struct StoredLayout {
    /// One run: bytes `offset ..< offset + count` of a stored tensor.
    struct Piece {
        let bytes: StoredBytes
        let offset: Int
        let count: Int
    }

    let pieces: [Piece]
    /// Bytes in all.
    let count: Int

    /// The layout of `entry` in `source`, or nil when any part of it must be materialised (a permutation,
    /// a dtype change, a source the format cannot read piecewise, or a stored tensor that no longer matches
    /// the plan — `ViTMapper.materialize` then reports the mismatch).
    /// - Throws: the source's errors for a missing tensor.
    init?(_ entry: PlannedTensor, from source: TensorSource) throws {
        guard let runs = entry.byteRuns else { return nil }
        var stored: [Int: StoredBytes] = [:]
        var pieces: [Piece] = []
        for run in runs {
            let info = entry.sourceInfos[run.source]
            if stored[run.source] == nil {
                guard let s = try source.storedBytes(named: info.name), s.info.dtype == info.dtype,
                      s.info.shape == info.shape else { return nil }
                stored[run.source] = s
            }
            let s = stored[run.source]!
            guard run.offset >= 0, run.count >= 0, run.offset + run.count <= s.count else { return nil }
            pieces.append(Piece(bytes: s, offset: run.offset, count: run.count))
        }
        self.pieces = pieces
        count = pieces.reduce(0) { $0 + $1.count }
    }

    /// Copies bytes `offset ..< offset + destination.count` of the output tensor into `destination`.
    /// - Throws: the source's read errors.
    func read(at offset: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let end = offset + destination.count
        var start = 0  // where the current piece begins in the output tensor
        for p in pieces {
            defer { start += p.count }
            let lo = max(offset, start), hi = min(end, start + p.count)
            guard lo < hi else { continue }
            try p.bytes.read(at: p.offset + lo - start,
                             into: UnsafeMutableRawBufferPointer(rebasing: destination[(lo - offset)..<(hi - offset)]))
        }
    }
}
