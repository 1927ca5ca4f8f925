"""Damaged HDF5 files through the tools: every run must end (no hang) without a signal, and every error must
name the file (issue 17; counts in docs/RELIABILITY.md).

Makes COUNT damaged copies (fixed seed) of the committed .h5 fixtures (fixtures/hdf5/*.h5 except the
deliberately corrupt ones, and the two Keras ViT checkpoints under fixtures/conventions/): a few flipped
bits, a truncation, or an 8-byte size/address field overwritten (0, 2^62, 2^64-1, a random value, twice
the file size), mostly in the first 4 KiB where HDF5 keeps its metadata. Each copy goes through
vit-summary, vit-convert (to .bin) and vit-run (a 1x3x32x32 zero image) with a 120 s outer limit.

Run: python3 tools/hdf5_mutation.py [COUNT] [BUILD_DIR]   (defaults 500, .build/release; stdlib only)
"""
import collections, os, random, shutil, subprocess, sys, tempfile, time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
build = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, ".build/release")

sources = sorted(os.path.join(root, "fixtures/hdf5", f) for f in os.listdir(os.path.join(root, "fixtures/hdf5"))
                 if f.endswith(".h5") and not f.startswith("corrupt_"))
sources += [os.path.join(root, "fixtures/conventions/keras_legacy_h5/model.h5"),
            os.path.join(root, "fixtures/conventions/keras3_weights_h5/model.weights.h5")]
rng = random.Random(17)


def damage(data: bytearray) -> str:
    window = max(1, min(4096, len(data)))
    kind = rng.randrange(3)
    if kind == 0:
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(window)] ^= 1 << rng.randrange(8)
        return "flip"
    if kind == 1:
        del data[rng.randrange(len(data)):]
        return "truncate"
    at = rng.randrange(window) & ~7
    value = rng.choice([2**64 - 1, 2**62, rng.randrange(2**30), 0, 2 * len(data)])
    data[at:at + 8] = value.to_bytes(8, "little")[:max(0, min(8, len(data) - at))]
    return "field"


def npy_zeros(path: str) -> None:
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header.encode() + bytes(4 * 3 * 32 * 32))


work = tempfile.mkdtemp(prefix="vitkit-hdf5-mutation-")
image = os.path.join(work, "image.npy")
npy_zeros(image)
tools = {
    "vit-summary": lambda f: [os.path.join(build, "vit-summary"), f],
    "vit-convert": lambda f: [os.path.join(build, "vit-convert"), f, os.path.join(work, "out.bin"), "--force"],
    "vit-run": lambda f: [os.path.join(build, "vit-run"), f, "--input", image],
}
counts = {t: collections.Counter() for t in tools}
kinds = collections.Counter()
start = time.time()
for i in range(count):
    source = sources[i % len(sources)]
    data = bytearray(open(source, "rb").read())
    kinds[damage(data)] += 1
    path = os.path.join(work, f"{i:04d}-{os.path.basename(source)}")
    with open(path, "wb") as f:
        f.write(data)
    for tool, argv in tools.items():
        try:
            run = subprocess.run(argv(path), capture_output=True, text=True, timeout=120)
        except subprocess.TimeoutExpired:
            counts[tool]["hang (>120 s)"] += 1
            print("HANG", tool, path)
            continue
        if run.returncode < 0:
            counts[tool][f"signal {-run.returncode}"] += 1
            print("SIGNAL", -run.returncode, tool, path)
        elif run.returncode == 0:
            counts[tool]["ok"] += 1
        elif path in run.stderr:
            counts[tool]["error naming the file"] += 1
            if "crashed with" in run.stderr:
                counts[tool]["  of which libhdf5 crashed in the reader"] += 1
                print("READER CRASH", tool, run.stderr.strip().splitlines()[-1][:400])
            if "made no progress" in run.stderr:
                counts[tool]["  of which the reader was stopped by the watchdog"] += 1
        else:
            counts[tool]["error NOT naming the file"] += 1
            print("UNNAMED", tool, path, run.stderr.strip()[:300])
    os.remove(path)
shutil.rmtree(work)
print(f"{count} damaged files ({dict(kinds)}) from {len(sources)} fixtures, seed 17, {time.time() - start:.0f} s")
for tool, c in counts.items():
    print(tool, dict(sorted(c.items())))
