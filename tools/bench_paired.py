"""ViTKit, ONNX Runtime and OpenVINO interleaved: the same machine at the same moment for each comparison.

On a VM whose neighbours swing every figure by 10-20 % from one minute to the next, timing one tool after
another (tools/bench_forward.sh) compares each tool's luck as much as its speed. Here each tool runs in its
own process, set up once (`vit-bench forward --serve`, `bench_peers.py serve`), and the driver hands out short
bursts in turn - ViTKit, ONNX Runtime, OpenVINO, in an order that rotates every cycle, with a pause between
bursts so a finished tool's spinning threads are asleep before the next one starts - so within one cycle all
of them meet the same machine. Same settings as tools/bench_forward.sh: 2 threads each, random weights,
224x224, timm's ONNX export (opset 17) for the peers, OpenVINO with its latency hint.

Usage: tools/.venv/bin/python tools/bench_paired.py [--cycles N] [--rounds R] [--against BIN] [ROW ...]
  ROW: tiny-1 small-1 base-1 base-8 (fp32: ViTKit, ONNX Runtime, OpenVINO f32) and base-1-bf16 base-8-bf16
  (ViTKit --precision bf16, OpenVINO bf16); default all six. Needs .build/release/vit-bench (built by
  tools/bench_forward.sh or `swift build -c release --product vit-bench`) and the ONNX exports in tools/.bench.
--against BIN compares ViTKit with another vit-bench binary (an A/B of a change) instead of with the peers.
Prints, per row: each tool's median and min over all runs and per round (the cycles split into R rounds), and
the paired figures - in how many cycles ViTKit's burst median was at or below the faster peer's, and the
median over cycles of that ratio.
"""
import argparse, os, random, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SIZES = {"tiny": 10, "small": 5, "base": 3}  # runs per burst at batch 1 (about a quarter of a second)


class Server:
    """One tool's process speaking the serve protocol: `ready`, then one line of times per request."""

    def __init__(self, label, argv, env=None):
        self.label, self.times, self.cycles = label, [], []
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                  env=env, stderr=subprocess.DEVNULL)
        line = self.p.stdout.readline().strip()
        if line != "ready":
            sys.exit(f"{label}: did not start ({argv}): {line!r}")

    def burst(self, n):
        self.p.stdin.write(f"{n}\n")
        self.p.stdin.flush()
        ts = [float(t) for t in self.p.stdout.readline().split()]
        self.times += ts
        self.cycles.append(statistics.median(ts))

    def close(self):
        self.p.stdin.write("0\n")
        self.p.stdin.close()
        self.p.wait()


def servers(model, batch, precision, against):
    name, py = f"vit_{model}_patch16_224", os.path.join(HERE, ".venv", "bin", "python")
    peers = os.path.join(HERE, "bench_peers.py")
    args = ["forward", model, "--batch", str(batch), "--threads", "2", "--serve"]
    args += ["--precision", "bf16"] if precision == "bf16" else []
    ours = Server("vitkit" + ("-bf16" if precision == "bf16" else ""),
                  [os.path.join(ROOT, ".build", "release", "vit-bench")] + args)
    if against:
        return [ours, Server("against", [against] + args)]
    if precision == "bf16":
        return [ours, Server("openvino-bf16", [py, peers, "serve", "openvino", name, str(batch), "bf16"])]
    return [ours, Server("onnxruntime", [py, peers, "serve", "ort", name, str(batch)]),
            Server("openvino", [py, peers, "serve", "openvino", name, str(batch), "f32"])]


def run_row(row, cycles, rounds, gap, against):
    parts = row.split("-")
    model, batch, precision = parts[0], int(parts[1]), parts[2] if len(parts) > 2 else "fp32"
    burst = SIZES[model] if batch == 1 else 1
    if precision == "bf16" and batch == 1:
        burst *= 2
    tools = servers(model, batch, precision, against)
    order = list(tools)
    rng = random.Random(0)
    for _ in range(cycles):
        rng.shuffle(order)  # no tool always runs right after the same other one
        for t in order:
            time.sleep(gap)  # the last tool's spinning threads go to sleep
            t.burst(burst)
    for t in tools:
        t.close()
    report(row, tools, cycles, rounds, burst)


def report(row, tools, cycles, rounds, burst):
    ours, peers = tools[0], tools[1:]
    print(f"## {row}: {cycles} cycles of {burst} run(s) per tool, load {open('/proc/loadavg').read().split()[0]}")
    per = max(1, cycles // rounds)
    starts = [i for i in range(0, per * rounds, per) if i < cycles]
    medians = {t: [statistics.median(t.cycles[i:i + per]) for i in starts] for t in tools}
    for t in tools:
        print(f"{t.label:>16}: median {statistics.median(t.times):8.2f} ms  min {min(t.times):8.2f} ms  rounds "
              + " / ".join(f"{r:.1f}" for r in medians[t]))
    ratios = [ours.cycles[i] / min(p.cycles[i] for p in peers) for i in range(cycles)]
    ahead = sum(r <= 1.0 for r in ratios)
    rounds_ahead = sum(medians[ours][j] <= min(medians[p][j] for p in peers) for j in range(len(starts)))
    print(f"{'paired':>16}: ViTKit at or below the faster peer in {ahead}/{cycles} cycles and "
          f"{rounds_ahead}/{len(starts)} rounds; ratio median {statistics.median(ratios):.3f}, "
          f"worst {max(ratios):.3f}, best {min(ratios):.3f}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--gap", type=float, default=0.05, help="pause before each burst, seconds")
    ap.add_argument("--against", help="another vit-bench binary to compare with, instead of the peers")
    ap.add_argument("rows", nargs="*", default=["tiny-1", "small-1", "base-1", "base-8", "base-1-bf16", "base-8-bf16"])
    a = ap.parse_args()
    cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    print(f"cpu: {cpu}, {os.cpu_count()} cores; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}; "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}", flush=True)
    for row in a.rows:
        run_row(row, a.cycles, a.rounds, a.gap, a.against)


if __name__ == "__main__":
    main()
