// swift-tools-version: 6.1
import PackageDescription

// Platforms: Linux only (x86-64 and arm64 with libhdf5, OpenBLAS and zlib installed, see tools/setup). The
// sources use Glibc, RUSAGE_THREAD and Linux mmap flags, so no Apple platform is claimed.

// Layers (lower never import higher):
// 1. CHDF5, CBLAS, CDNNL, CZlib, CJPEG, CPNG, CCairo   system libraries + shims (CDNNL: oneDNN, the fallback GEMM;
//                                                      CCairo: cairo opened on first use, by dlopen)
//    CViTKernels           ViTKit's own C kernels: packed-weight GEMMs (AVX-512, AVX512_BF16, AVX2) with fused
//                          epilogues, strip-wise attention; chosen by CPUID at run time
// 2. ViTTensor             dtypes, shapes, tensors, checkpoint protocol
//    ViTSafetensors, ViTHDF5, ViTNumpy, ViTBin   one target per container format
//    ViTZip (+ CZlib) → ViTNpz (.npz), ViTTorch (torch.save zip)
//    ViTFormats            format detection / opening any checkpoint (and the config.json sidecar)
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
// 5. ViTKit                the facade (`Checkpoint`, `Model`), re-exporting the public API
//    ViTPlot (+ CCairo)    the ViT paper's figures: their numbers from weights and attention, drawn with cairo
//    executables           vit-run, vit-convert, vit-summary, vit-bench; Examples/vitkit-example
//    vit-hdf5-reader       the isolated HDF5 reader ViTHDF5 starts for every file (C, libhdf5 linked statically:
//                          the shared library pulls in ~28 others whose loading made every start cost 10–30 ms;
//                          `-l:libhdf5_serial.a`, Debian's static archive on the default search path, so no unsafe
//                          flags); every tool depends on it so that `swift build --product vit-X` builds it too
// Every edge below is used by an `import` and every import is an edge: PackageGraphTests checks it.
let package = Package(
    name: "ViTKit",
    products: [
        .library(name: "ViTKit", targets: ["ViTKit"]),
        .executable(name: "vit-run", targets: ["vit-run"]),
        .executable(name: "vit-convert", targets: ["vit-convert"]),
        .executable(name: "vit-summary", targets: ["vit-summary"]),
        .executable(name: "vit-bench", targets: ["vit-bench"]),
        .executable(name: "vit-hdf5-reader", targets: ["vit-hdf5-reader"]),
    ],
    // HDF5 (on by default): reading and writing .h5 through libhdf5. A user who reads safetensors, torch.save,
    // .npz and .bin only depends with `traits: []` and builds without libhdf5.
    traits: [
        .trait(name: "HDF5", description: "Read and write HDF5 (.h5, Keras) checkpoints through libhdf5"),
        .default(enabledTraits: ["HDF5"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5",
                       providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        // oneDNN ships no pkg-config file on Debian; the modulemap links libdnnl and libgomp.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // Plain C with per-function target attributes (no unsafe flags): runs on any x86-64, uses what CPUID offers.
        .target(name: "CViTKernels"),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg",
                       providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng",
                       providers: [.apt(["libpng-dev"])]),
        // cairo is opened on first use (dlopen), so only a tool that draws a figure maps its libraries.
        .target(name: "CCairo", linkerSettings: [.linkedLibrary("dl")]),

        .target(name: "ViTTensor"),
        .target(name: "ViTSafetensors", dependencies: ["ViTTensor"]),
        .target(name: "ViTHDF5", dependencies: ["ViTTensor", "CHDF5"]),
        .target(name: "ViTNumpy", dependencies: ["ViTTensor"]),
        .target(name: "ViTBin", dependencies: ["ViTTensor"]),
        .target(name: "ViTZip", dependencies: ["ViTTensor", "CZlib"]),
        .target(name: "ViTNpz", dependencies: ["ViTTensor", "ViTZip", "ViTNumpy"]),
        .target(name: "ViTTorch", dependencies: ["ViTTensor", "ViTZip"]),
        .target(name: "ViTImage", dependencies: ["ViTTensor", "CJPEG", "CPNG"]),
        .target(name: "ViTFormats", dependencies: [
            "ViTTensor", "ViTSafetensors", .target(name: "ViTHDF5", condition: .when(traits: ["HDF5"])), "ViTBin", "ViTZip",
            "ViTNpz", "ViTTorch"]),

        .target(name: "ViTModel", dependencies: ["ViTTensor"]),
        .target(name: "ViTRuntime", dependencies: ["ViTModel", "ViTTensor", "CBLAS", "CDNNL", "CViTKernels"]),
        .target(name: "ViTMapping", dependencies: ["ViTTensor", "ViTModel"]),

        .target(name: "ViTPreprocess", dependencies: ["ViTImage", "ViTTensor"]),
        // ONNX export: the ViT graph as protobuf (onnx.proto's Swift code generated once, in Generated/).
        .target(name: "ViTONNX", dependencies: ["ViTModel", "ViTTensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),

        .target(name: "ViTConvert", dependencies: [
            "ViTMapping", "ViTPreprocess", "ViTFormats", "ViTSafetensors", .target(name: "ViTHDF5", condition: .when(traits: ["HDF5"])), "ViTBin",
            "ViTModel", "ViTTensor", "ViTTorch", "ViTONNX"]),
        .target(name: "ViTInspect", dependencies: ["ViTTensor", "ViTModel", "ViTMapping"]),

        .target(name: "ViTKit", dependencies: [
            .target(name: "vit-hdf5-reader", condition: .when(traits: ["HDF5"])), "ViTTensor", "ViTModel", "ViTRuntime", "ViTMapping", "ViTFormats", "ViTConvert", "ViTInspect", "ViTImage",
            "ViTPreprocess"]),
        .executableTarget(name: "vitkit-example", dependencies: ["vit-hdf5-reader", "ViTKit"], path: "Examples/vitkit-example"),

        .target(name: "ViTPlot", dependencies: ["CCairo"]),
        .target(name: "ViTCLI", dependencies: [
            "ViTMapping", "ViTModel", "ViTTensor", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SystemPackage", package: "swift-system")]),

        .executableTarget(name: "vit-run", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTFormats", "ViTMapping", "ViTModel", "ViTRuntime", "ViTNumpy", "ViTTensor", "ViTImage", "ViTPreprocess",
            "ViTPlot", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vit-convert", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTConvert", "ViTFormats", "ViTMapping", "ViTModel", "ViTTensor", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vit-summary", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTFormats", "ViTInspect", "ViTMapping", "ViTModel", "ViTTensor", "ViTPlot", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "vit-bench", dependencies: [
            "vit-hdf5-reader", "ViTCLI", "ViTFormats", "ViTModel", "ViTRuntime", "ViTTensor", "ViTImage", "ViTPreprocess", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        .executableTarget(name: "vit-hdf5-reader", path: "Sources/vit-hdf5-reader",
                          linkerSettings: [.linkedLibrary(":libhdf5_serial.a"), .linkedLibrary("sz"), .linkedLibrary("z"),
                                           .linkedLibrary("m"), .linkedLibrary("dl")]),

        // Fuzz harnesses (tools/fuzz.sh builds them with -DFUZZING -sanitize=fuzzer; otherwise corpus replayers).
        .target(name: "FuzzDriver", dependencies: ["ViTTensor"], path: "Fuzz/FuzzDriver"),
        .executableTarget(name: "fuzz-safetensors", dependencies: ["ViTTensor", "FuzzDriver", "ViTSafetensors"], path: "Fuzz/fuzz-safetensors"),
        .executableTarget(name: "fuzz-bin", dependencies: ["ViTTensor", "FuzzDriver", "ViTBin"], path: "Fuzz/fuzz-bin"),
        .executableTarget(name: "fuzz-npy", dependencies: ["ViTTensor", "FuzzDriver", "ViTNumpy"], path: "Fuzz/fuzz-npy"),
        .executableTarget(name: "fuzz-pickle", dependencies: ["ViTTensor", "FuzzDriver", "ViTTorch", "ViTZip"], path: "Fuzz/fuzz-pickle"),
        .executableTarget(name: "fuzz-jpeg", dependencies: ["FuzzDriver", "ViTImage", "ViTTensor"], path: "Fuzz/fuzz-jpeg"),
        .executableTarget(name: "fuzz-png", dependencies: ["FuzzDriver", "ViTImage", "ViTTensor"], path: "Fuzz/fuzz-png"),
        .executableTarget(name: "fuzz-hdf5-stream", dependencies: ["FuzzDriver", "ViTHDF5", "ViTTensor"], path: "Fuzz/fuzz-hdf5-stream"),
        .executableTarget(name: "fuzz-zip", dependencies: ["ViTTensor", "FuzzDriver", "ViTZip", "ViTNpz", "ViTTorch"], path: "Fuzz/fuzz-zip"),

        .testTarget(name: "ViTTensorTests", dependencies: ["ViTTensor"]),
        .testTarget(name: "ViTImageTests", dependencies: ["ViTImage", "ViTPreprocess", "ViTPlot", "ViTNpz", "ViTTensor"]),
        .testTarget(name: "ViTNumpyTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTNumpy"]),
        .testTarget(name: "ViTSafetensorsTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTSafetensors"]),
        .testTarget(name: "ViTHDF5Tests", dependencies: ["ViTTestSupport", "ViTHDF5", "ViTTensor"]),
        .testTarget(name: "ViTModelTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTModel", "ViTRuntime", "ViTSafetensors", "ViTNumpy", "CViTKernels"]),
        .testTarget(name: "ViTBinTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTBin"]),
        .testTarget(name: "ViTMappingTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTMapping", "ViTNumpy", "ViTFormats", "ViTHDF5", "ViTModel", "ViTRuntime"]),
        .target(name: "ViTTestSupport", path: "Tests/ViTTestSupport"),  // SplitMix64, fixture paths, convention cases
        .target(name: "ViTZipTestSupport", dependencies: ["ViTTestSupport"], path: "Tests/ViTZipTestSupport"),  // hand-built ZIP bytes
        .testTarget(name: "ViTZipTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTZip", "ViTZipTestSupport"]),
        .testTarget(name: "ViTNpzTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTNpz", "ViTZip", "ViTNumpy", "ViTZipTestSupport"]),
        .testTarget(name: "ViTTorchTests", dependencies: ["ViTTestSupport", "ViTTensor", "ViTTorch", "ViTZip", "ViTZipTestSupport"]),
        .testTarget(name: "ViTConvertTests", dependencies: ["ViTTestSupport", "ViTFormats", "ViTMapping", "ViTModel", "ViTTensor", "ViTConvert", "ViTRuntime", "ViTNumpy", "ViTBin", "ViTSafetensors",
                                                            "ViTTorch", "ViTZip", "ViTONNX"]),
        .testTarget(name: "PackageGraphTests"),  // reads Package.swift and the sources' imports
        .testTarget(name: "ViTKitTests", dependencies: ["ViTTestSupport", "ViTKit", "ViTNumpy"]),
        .testTarget(name: "ViTInspectTests", dependencies: ["ViTTestSupport", "ViTMapping", "ViTModel", "ViTTensor", "ViTInspect", "ViTSafetensors"]),
        .testTarget(name: "CLITests", dependencies: ["ViTTestSupport", "ViTFormats", "ViTNumpy", "ViTSafetensors", "ViTTensor", "ViTTorch", "ViTZip",
                                                     "vit-run", "vit-summary", "vitkit-example",
                                                     "vit-convert", "vit-bench"]),
        .testTarget(name: "HardeningTests", dependencies: ["ViTTestSupport", 
            "ViTFormats", "ViTSafetensors", "ViTBin", "ViTNumpy", "ViTModel", "ViTMapping", "ViTTensor", "ViTTorch",
            "ViTNpz", "ViTHDF5", "ViTZipTestSupport", "fuzz-safetensors", "fuzz-bin", "fuzz-npy", "fuzz-pickle", "fuzz-zip", "fuzz-jpeg", "fuzz-png",
            "vit-convert"]),
    ]
)
