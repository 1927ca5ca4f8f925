// swift-tools-version: 6.0
import PackageDescription

// Layers (lower never import higher):
// 1. CHDF5, CBLAS, CDNNL, CZlib, CJPEG, CPNG   system libraries + shims (CDNNL: oneDNN, the default GEMM)
// 2. ViTTensor             dtypes, shapes, tensors, checkpoint protocol
//    ViTSafetensors, ViTHDF5, ViTNumpy, ViTBin   one target per container format
//    ViTZip (+ CZlib) → ViTNpz (.npz), ViTTorch (torch.save zip)
//    ViTFormats            format detection / opening any checkpoint
//    ViTImage (+ CJPEG, CPNG)  JPEG/PNG decoding, Pillow-exact resampling, crop and normalise (no models)
// 3. ViTModel              config, canonical layout, resizer, summary (no files)
//    ViTRuntime            typed weights and the CPU forward pass (oneDNN or OpenBLAS), kept apart so the
//                          header-only tools (vit-summary) do not load OpenBLAS
// 4. ViTMapping            conventions -> canonical timm layout, config inference
//    ViTPreprocess         each checkpoint's own preprocessing (timm pretrained_cfg, HF preprocessor_config.json,
//                          family defaults) as ViTImage steps, image batches
//    ViTONNX               the ViT as an ONNX graph (swift-protobuf; generated onnx.proto code committed)
//    ViTConvert            streaming conversion to .bin/.safetensors/.h5 and export to timm/HF/torchvision/ONNX
//    ViTInspect            checkpoint statistics and canonical diffs (vit-summary --stats/--diff)
// 5. ViTPlot (+ CCairo)     the ViT paper's figures: their numbers from weights and attention, drawn with cairo
//    executables           vit-run, vit-convert, vit-summary, vit-bench
//    vit-hdf5-reader       the isolated HDF5 reader ViTHDF5 starts for every file (C, libhdf5 linked statically:
//                          the shared library pulls in ~28 others whose loading made every start cost 10–30 ms;
//                          `-l:libhdf5_serial.a`, Debian's static archive on the default search path, so no unsafe
//                          flags); every tool depends on it so that `swift build --product vit-X` builds it too
let package = Package(
    name: "ViTKit",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "ViTKit", targets: ["ViTTensor", "ViTSafetensors", "ViTHDF5", "ViTNumpy", "ViTBin",
                                           "ViTZip", "ViTNpz", "ViTTorch", "ViTFormats", "ViTModel", "ViTRuntime", "ViTMapping",
                                           "ViTConvert", "ViTInspect", "ViTImage", "ViTPreprocess", "ViTONNX"]),
        .executable(name: "vit-run", targets: ["vit-run"]),
        .executable(name: "vit-convert", targets: ["vit-convert"]),
        .executable(name: "vit-summary", targets: ["vit-summary"]),
        .executable(name: "vit-bench", targets: ["vit-bench"]),
        .executable(name: "vit-hdf5-reader", targets: ["vit-hdf5-reader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // oneDNN ships no pkg-config file on Debian; the modulemap links libdnnl and libgomp.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo",
                       providers: [.apt(["libcairo2-dev"])]),

        .target(name: "ViTTensor"),
        .target(name: "ViTSafetensors", dependencies: ["ViTTensor"]),
        .target(name: "ViTHDF5", dependencies: ["ViTTensor", "CHDF5"]),
        .target(name: "ViTNumpy", dependencies: ["ViTTensor"]),
        .target(name: "ViTBin", dependencies: ["ViTTensor"]),
        .target(name: "ViTZip", dependencies: ["ViTTensor", "CZlib"]),
        .target(name: "ViTNpz", dependencies: ["ViTTensor", "ViTZip", "ViTNumpy"]),
        .target(name: "ViTTorch", dependencies: ["ViTTensor", "ViTZip"]),
        .target(name: "ViTImage", dependencies: ["ViTTensor", "CJPEG", "CPNG"]),
        .target(name: "ViTFormats", dependencies: ["ViTTensor", "ViTSafetensors", "ViTHDF5", "ViTNumpy", "ViTBin", "ViTNpz", "ViTTorch"]),

        .target(name: "ViTModel", dependencies: ["ViTTensor"]),
        .target(name: "ViTRuntime", dependencies: ["ViTModel", "ViTTensor", "CBLAS", "CDNNL"]),
        .target(name: "ViTMapping", dependencies: ["ViTTensor", "ViTHDF5", "ViTFormats", "ViTModel"]),

        .target(name: "ViTPreprocess", dependencies: ["ViTImage", "ViTTensor"]),
        // ONNX export: the ViT graph as protobuf (onnx.proto's Swift code generated once, in Generated/).
        .target(name: "ViTONNX", dependencies: ["ViTModel", "ViTTensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),

        .target(name: "ViTConvert", dependencies: [
            "ViTMapping", "ViTPreprocess", "ViTFormats", "ViTSafetensors", "ViTHDF5", "ViTBin", "ViTModel", "ViTTensor", "ViTTorch",
            "ViTONNX"]),
        .target(name: "ViTInspect", dependencies: ["ViTTensor", "ViTFormats", "ViTModel", "ViTMapping"]),

        .target(name: "ViTPlot", dependencies: ["CCairo"]),
        .target(name: "ViTCLI", dependencies: [
            "ViTMapping", "ViTModel", "ViTFormats", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "vit-run", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTMapping", "ViTRuntime", "ViTNumpy", "ViTImage", "ViTPreprocess", "ViTPlot", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vit-convert", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTConvert", "ViTMapping", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vit-summary", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTMapping", "ViTInspect", "ViTPlot", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vit-bench", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTMapping", "ViTRuntime", "ViTImage", "ViTPreprocess", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "vit-hdf5-reader", path: "Sources/vit-hdf5-reader",
                          linkerSettings: [.linkedLibrary(":libhdf5_serial.a"), .linkedLibrary("sz"), .linkedLibrary("z"),
                                           .linkedLibrary("m"), .linkedLibrary("dl")]),

        // Fuzz harnesses (tools/fuzz.sh builds them with -DFUZZING -sanitize=fuzzer; otherwise corpus replayers).
        .target(name: "FuzzDriver", dependencies: ["ViTTensor"], path: "Fuzz/FuzzDriver"),
        .executableTarget(name: "fuzz-safetensors", dependencies: ["FuzzDriver", "ViTSafetensors"], path: "Fuzz/fuzz-safetensors"),
        .executableTarget(name: "fuzz-bin", dependencies: ["FuzzDriver", "ViTBin"], path: "Fuzz/fuzz-bin"),
        .executableTarget(name: "fuzz-npy", dependencies: ["FuzzDriver", "ViTNumpy"], path: "Fuzz/fuzz-npy"),
        .executableTarget(name: "fuzz-pickle", dependencies: ["FuzzDriver", "ViTTorch", "ViTZip"], path: "Fuzz/fuzz-pickle"),
        .executableTarget(name: "fuzz-jpeg", dependencies: ["FuzzDriver", "ViTImage"], path: "Fuzz/fuzz-jpeg"),
        .executableTarget(name: "fuzz-png", dependencies: ["FuzzDriver", "ViTImage"], path: "Fuzz/fuzz-png"),
        .executableTarget(name: "fuzz-hdf5-stream", dependencies: ["FuzzDriver", "ViTHDF5"], path: "Fuzz/fuzz-hdf5-stream"),
        .executableTarget(name: "fuzz-zip", dependencies: ["FuzzDriver", "ViTZip", "ViTNpz", "ViTTorch"], path: "Fuzz/fuzz-zip"),

        .testTarget(name: "ViTTensorTests", dependencies: ["ViTTensor"]),
        .testTarget(name: "ViTImageTests", dependencies: ["ViTImage", "ViTPreprocess", "ViTPlot", "ViTNpz", "ViTNumpy", "ViTTensor"]),
        .testTarget(name: "ViTNumpyTests", dependencies: ["ViTNumpy"]),
        .testTarget(name: "ViTSafetensorsTests", dependencies: ["ViTSafetensors"]),
        .testTarget(name: "ViTHDF5Tests", dependencies: ["ViTHDF5"]),
        .testTarget(name: "ViTModelTests", dependencies: ["ViTModel", "ViTRuntime", "ViTSafetensors", "ViTNumpy"]),
        .testTarget(name: "ViTBinTests", dependencies: ["ViTBin"]),
        .testTarget(name: "ViTMappingTests", dependencies: ["ViTMapping", "ViTNumpy", "ViTFormats", "ViTHDF5", "ViTModel", "ViTRuntime"]),
        .target(name: "ViTZipTestSupport", path: "Tests/ViTZipTestSupport"),  // hand-built ZIP bytes for tests
        .testTarget(name: "ViTZipTests", dependencies: ["ViTZip", "ViTZipTestSupport"]),
        .testTarget(name: "ViTNpzTests", dependencies: ["ViTNpz", "ViTZip", "ViTNumpy", "ViTZipTestSupport"]),
        .testTarget(name: "ViTTorchTests", dependencies: ["ViTTorch", "ViTZip", "ViTZipTestSupport"]),
        .testTarget(name: "ViTConvertTests", dependencies: ["ViTConvert", "ViTRuntime", "ViTNumpy", "ViTBin", "ViTSafetensors",
                                                            "ViTTorch", "ViTONNX", "ViTMapping", "ViTFormats"]),
        .testTarget(name: "ViTInspectTests", dependencies: ["ViTInspect", "ViTSafetensors"]),
        .testTarget(name: "CLITests", dependencies: ["ViTFormats", "ViTNumpy", "ViTSafetensors", "vit-run", "vit-summary",
                                                     "vit-convert"]),
        .testTarget(name: "HardeningTests", dependencies: [
            "ViTFormats", "ViTSafetensors", "ViTBin", "ViTNumpy", "ViTModel", "ViTRuntime", "ViTMapping", "ViTTorch",
            "ViTNpz", "ViTHDF5", "ViTZipTestSupport", "fuzz-safetensors", "fuzz-bin", "fuzz-npy", "fuzz-pickle", "fuzz-zip", "fuzz-jpeg", "fuzz-png",
            "vit-convert"]),
    ]
)
