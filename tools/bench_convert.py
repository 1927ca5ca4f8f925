"""vit-convert against the Python conversion a user would write, interleaved run by run on the same machine.

Run (after `swift build -c release` and `tools/.venv/bin/python tools/make_bench_checkpoints.py`):
  python3 tools/bench_convert.py [--runs 10] [--bench /tmp/vitkit-bench] [--model vit_base_patch16_224]
                                 [--h5 PATH] [--no-python] [--tool PATH]

Each round runs every command once, in a fixed order, each writing a fresh output (deleted before the run,
outside the timing); wall time is measured around the process (to the millisecond; `/usr/bin/time`'s own
figure has 10 ms steps) and max RSS comes from `/usr/bin/time -f '%M'`. vit-convert's own summary
line gives the part of its time spent syncing the output to disk (the Python path does not sync). Prints
median and min wall time, median max RSS, and the speed-up of each vit-convert command over the Python
command with the same input, median against median, and the ratio of each vit-convert command to the floor
(`cp IN OUT && sync OUT` of the same safetensors file), median against median and min against min. The load
average is printed before and after (the machine is shared).
"""
import argparse, os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--bench", default="/tmp/vitkit-bench")
    ap.add_argument("--model", default="vit_base_patch16_224")
    ap.add_argument("--python", default="/work/main/tools/.venv/bin/python")
    ap.add_argument("--heads", default="12")
    ap.add_argument("--h5", help="the .h5 input (default: <bench>/<model>.h5)")
    ap.add_argument("--no-python", action="store_true", help="leave out the Python commands")
    ap.add_argument("--tool", default=os.path.join(ROOT, ".build/release/vit-convert"))
    ap.add_argument("--baseline", help="another vit-convert build (e.g. a copy of main's) timed in the same rounds, "
                                       ".h5 -> .bin and .safetensors -> .bin")
    a = ap.parse_args()

    tool = a.tool
    py = [a.python, os.path.join(ROOT, "tools/bench_python.py")]
    st = os.path.join(a.bench, f"{a.model}.safetensors")
    h5 = a.h5 or os.path.join(a.bench, f"{a.model}.h5")
    out = tempfile.mkdtemp(prefix="vitkit-bench-convert-", dir=os.path.dirname(a.bench.rstrip("/")) or "/tmp")
    binary = os.path.join(out, "input.bin")
    subprocess.run([tool, st, binary, "--heads", a.heads, "-q", "-f"], check=True)

    commands = [  # (name, input kind, argv without output, output extension)
        ("vit-convert .h5 -> .bin", "h5", [tool, h5], ".bin"),
        ("vit-convert .h5 -> .safetensors", "h5", [tool, h5], ".safetensors"),
        ("python convert-h5 (h5py + save_file)", "h5", py + ["convert-h5", h5], ".safetensors"),
        ("vit-convert .safetensors -> .bin", "st", [tool, st], ".bin"),
        ("vit-convert .safetensors -> .safetensors", "st", [tool, st], ".safetensors"),
        ("python convert-safetensors (load_file + save_file)", "st", py + ["convert-safetensors", st], ".safetensors"),
        ("vit-convert .bin -> .safetensors", "bin", [tool, binary], ".safetensors"),
        ("floor: cp + sync (copy_file_range, fsync)", "floor", ["sh", "-c", 'cp "$0" "$1" && sync "$1"', st], ".safetensors"),
    ]
    if a.baseline:
        commands[1:1] = [("baseline .h5 -> .bin", "h5", [a.baseline, h5], ".bin")]
        commands[5:5] = [("baseline .safetensors -> .bin", "st", [a.baseline, st], ".bin")]
    if a.no_python:
        commands = [c for c in commands if c[2][0] != a.python]
    results = {name: {"wall": [], "rss": [], "sync": []} for name, *_ in commands}
    load_before = os.getloadavg()
    timing = os.path.join(out, "time.txt")
    for r in range(a.runs):
        for i, (name, kind, argv, ext) in enumerate(commands):
            target = os.path.join(out, f"out{i}{ext}")
            if os.path.exists(target):
                os.remove(target)
            extra = ["--heads", a.heads] if argv[0] in (tool, a.baseline) else []
            t0 = time.perf_counter()
            p = subprocess.run(["/usr/bin/time", "-o", timing, "-f", "%e %M"] + argv + [target] + extra,
                               capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if p.returncode != 0:
                sys.exit(f"{name} failed: {p.stderr}")
            rss = open(timing).read().split()[-1]
            results[name]["wall"].append(elapsed)
            results[name]["rss"].append(int(rss) / 1024)
            m = re.search(r"\(([0-9.]+) s syncing to disk\)", p.stdout)
            if m:
                results[name]["sync"].append(float(m.group(1)))
        print(f"round {r + 1}/{a.runs} done", file=sys.stderr)

    size = os.path.getsize(st) / 1e6
    print(f"{a.model}: {size:.1f} MB, {a.runs} interleaved rounds, wall seconds (median / min), max RSS MiB (median)")
    print("load average before: %.2f %.2f %.2f, after: %.2f %.2f %.2f" % (load_before + os.getloadavg()))
    med = {n: statistics.median(v["wall"]) for n, v in results.items()}
    floor = next(n for n, k, *_ in commands if k == "floor")
    for name, kind, argv, ext in commands:
        v = results[name]
        sync = f", sync {statistics.median(v['sync']):.3f} s" if v["sync"] else ""
        ref = next((n for n, k, ar, _ in commands if k == kind and ar[0] == a.python), None)
        speed = f", {med[ref] / med[name]:.1f}x the Python median" if ref and argv[0] == tool else ""
        if argv[0] in (tool, a.baseline):
            speed += f", {med[name] / med[floor]:.2f}x the floor (min {min(v['wall']) / min(results[floor]['wall']):.2f}x)"
        print(f"  {name:52s} {med[name]:.3f} / {min(v['wall']):.3f} s  {statistics.median(v['rss']):7.1f} MiB{sync}{speed}")
    for f in os.listdir(out):
        os.remove(os.path.join(out, f))
    os.rmdir(out)


if __name__ == "__main__":
    main()
