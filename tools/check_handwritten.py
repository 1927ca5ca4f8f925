"""Run a built vit-run over every fixtures/handwritten case and compare with the PyTorch logits.

Usage (from the repository root, after `swift build`):

    python3 tools/check_handwritten.py                       # .build/debug/vit-run
    python3 tools/check_handwritten.py --vit-run PATH [--case NAME ...]

For each case and checkpoint file it passes the case's `options` as flags (only the flags this vit-run's --help
lists: --heads, --eps, --act, --patch-order, --channels, --head-act, --pool-norm), runs the input batch, and reports:
`ok` (max |diff| / max |logit| <= 1e-4), `WRONG` (it ran but the logits differ: a silent mis-mapping),
`refused` (non-zero exit): each each against case.json's expected_result for that file ("maps",
"refused_as_ambiguous", or "maps_or_refused": either, but never WRONG). Cases expected to be refused
are run a second time with their `map.json` (--map) and must then give the logits. Needs only numpy.
Exit status: 0 when every result is what case.json expects, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
CASES = REPO / "fixtures" / "handwritten"
REL_TOL = 1e-4


def flags_for(case: dict, supported: str) -> list[str]:
    o = case["options"]
    out = []

    def add(flag, value):
        if flag in supported:
            out.extend([flag, str(value)])

    add("--heads", o["heads"])
    add("--eps", o["eps"])
    if "act" in o:
        add("--act", o["act"])
    if "patch_order" in o:
        add("--patch-order", o["patch_order"])
    if case["expected_config"]["in_channels"] != 3:
        add("--channels", case["expected_config"]["in_channels"])
    for key in ("head_act", "pool_norm"):  # options with no flag yet: passed as --head-act / --pool-norm if listed
        if key in o:
            add("--" + key.replace("_", "-"), o[key])
    return out


def run_one(vit_run: str, model: Path, x: Path, flags: list[str]) -> tuple[int, str, np.ndarray | None]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "logits.npy"
        p = subprocess.run([vit_run, str(model), "--input", str(x), "--output", str(out), "--top", "1", *flags],
                           capture_output=True, text=True, timeout=300)
        logits = np.load(out) if p.returncode == 0 and out.exists() else None
        return p.returncode, (p.stderr or p.stdout).strip(), logits


def verdict(logits: np.ndarray | None, want: np.ndarray) -> tuple[str, float | None]:
    if logits is None:
        return "refused", None
    if logits.shape != want.shape:
        return "WRONG", float("inf")
    rel = float(np.abs(logits - want).max() / max(np.abs(want).max(), 1e-12))
    return ("ok" if rel <= REL_TOL else "WRONG"), rel


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--vit-run", default=str(REPO / ".build" / "debug" / "vit-run"))
    ap.add_argument("--case", action="append", default=[])
    args = ap.parse_args(argv)
    supported = subprocess.run([args.vit_run, "--help"], capture_output=True, text=True).stdout
    failures = 0
    for cj in sorted(CASES.glob("*/case.json")):
        case = json.loads(cj.read_text())
        if args.case and case["case"] not in args.case:
            continue
        want = np.load(cj.parent / "logits.npy")
        flags = flags_for(case, supported)
        for fname, expected in case["expected_result"].items():
            code, msg, logits = run_one(args.vit_run, cj.parent / fname, cj.parent / "input.npy", flags)
            got, rel = verdict(logits, want)
            good = {"maps": got == "ok", "refused_as_ambiguous": got == "refused",
                    "maps_or_refused": got in ("ok", "refused")}[expected]
            failures += not good
            first = msg.splitlines()[0][:150] if msg else ""
            print(f"{'PASS' if good else 'FAIL'}  {case['case']}/{fname}: {got}"
                  f"{'' if rel is None else f' (rel {rel:.1e})'}, expected {expected}  [{' '.join(flags)}]"
                  f"{'' if got == 'ok' else '  ' + first}")
            mapfile = cj.parent / "map.json"
            if expected == "refused_as_ambiguous" and mapfile.exists():
                code, msg, logits = run_one(args.vit_run, cj.parent / fname, cj.parent / "input.npy",
                                            flags + ["--map", str(mapfile)])
                got, rel = verdict(logits, want)
                failures += got != "ok"
                print(f"{'PASS' if got == 'ok' else 'FAIL'}  {case['case']}/{fname} --map map.json: {got}"
                      f"{'' if rel is None else f' (rel {rel:.1e})'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
