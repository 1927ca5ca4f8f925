import Foundation
import Testing
import ViTNumpy

/// vit-run on Google's JAX `.npz` checkpoints (fixtures/sources/jax: the weights of fixtures/sources/tiny_vit,
/// whose logits timm computed; each file was verified bit-identical through timm's `_load_weights`).
@Suite("vit-run on JAX .npz files")
struct RunJAXCLITests {
    /// (file, the table vit-run reports it detected, the prefix note if any).
    static let cases: [(String, String, String?)] = [
        ("original.npz", "vision_transformer (original JAX)", nil),
        ("original_opt_target.npz", "vision_transformer (original JAX)", "'opt/target/'"),
        ("big_vision.npz", "big_vision", nil),
        ("big_vision_scanned.npz", "big_vision (scanned)", "'params/'"),
    ]

    @Test("each JAX .npz gives timm's logits within 1e-4 relative with no flags: heads from the query kernel, the table and prefix reported",
          arguments: cases)
    func logits(c: (String, String, String?)) throws {
        let dir = fixture("sources/tiny_vit")
        let out = makeTempFolder() + "/logits.npy"
        let r = try runTool("vit-run", [fixture("sources/jax/\(c.0)"), "--input", "\(dir)/input.npy", "--output", out, "--top", "2"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let got = try NpyFile(path: out).tensor
        let want = try NpyFile(path: "\(dir)/logits.npy").tensor
        #expect(got.shape == want.shape)
        #expect(relativeError(got.floats(), want.floats()) <= logitTolerance)
        #expect(r.stdout.hasPrefix("image 0:"))
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains("note: convention detected: \(c.1)"), "\(r.stderr)")
        #expect(lines.contains { $0.hasPrefix("note: the model's names are under ") } == (c.2 != nil))
        if let prefix = c.2 { #expect(r.stderr.contains("under \(prefix)")) }
        // Heads came from the weights: vit-run prints the heads line only when it had to assume them.
        #expect(!r.stderr.contains("heads:"))
    }

    @Test("--convention jax runs the original file; --convention big-vision on it is refused naming what it looks like")
    func forced() throws {
        let input = fixture("sources/tiny_vit/input.npy")
        let ok = try runTool("vit-run", [fixture("sources/jax/original.npz"), "--input", input, "--convention", "jax"])
        #expect(ok.status == 0, "stderr: \(ok.stderr)")
        let bad = try runTool("vit-run", [fixture("sources/jax/original.npz"), "--input", input, "--convention", "big-vision"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("do not follow the big-vision convention") && bad.stderr.contains("the names look like jax"))
        #expect(!bad.stderr.contains("Fatal error"))
    }

    @Test("--heads contradicting the query kernel's heads axis is refused")
    func headsConflict() throws {
        let r = try runTool("vit-run", [fixture("sources/jax/big_vision_scanned.npz"), "--input", fixture("sources/tiny_vit/input.npy"),
                                        "--heads", "4"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--heads 4 contradicts 2 heads from params/Transformer/encoderblock/MultiHeadDotProductAttention_0/query/kernel"))
    }
}
