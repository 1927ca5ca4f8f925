"""Regenerate every committed fixture by running each tools/fixtures_*.py script with the venv's python.

Usage (from anywhere; paths are resolved from this file):

    tools/.venv/bin/python tools/make_fixtures.py            # all fixture scripts, in a fixed order
    tools/.venv/bin/python tools/make_fixtures.py resize     # only fixtures_resize.py (names without prefix/suffix)

Scripts run in this order (missing ones are skipped with a note): fixtures_safetensors.py, fixtures_hdf5.py,
fixtures_numpy.py, fixtures_model.py, fixtures_resize.py, fixtures_conventions.py, then any other
tools/fixtures_*.py script (helper modules named fixtures_<area>_<part>.py are imported by their script, not run).
Each runs from the repository root with tools/.venv/bin/python (falling back to the interpreter running this
driver) and KERAS_BACKEND=torch; the first failure stops the run with that script's exit status. Every script is
deterministic, so a clean run leaves `git status` unchanged unless a library version changed.
The tf-keras venv (tools/.venv-tf, tools/requirements-tf.txt) is only used by fixtures_conventions.py itself.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
REPO = TOOLS.parent
ORDER = ["safetensors", "hdf5", "numpy", "model", "resize", "conventions"]


def scripts() -> list[Path]:
    found = {p.stem[len("fixtures_"):]: p for p in TOOLS.glob("fixtures_*.py")}
    # helper modules (fixtures_conventions_common.py, ...) belong to a script whose name is their prefix
    areas = {a: p for a, p in found.items() if not any(a.startswith(o + "_") for o in found if o != a)}
    ordered = [a for a in ORDER if a in areas] + sorted(a for a in areas if a not in ORDER)
    return [areas[a] for a in ordered]


def main(argv: list[str]) -> int:
    venv_python = TOOLS / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    env = dict(os.environ, KERAS_BACKEND="torch")
    todo = scripts()
    if argv:
        todo = [p for p in todo if p.stem[len("fixtures_"):] in argv]
        missing = set(argv) - {p.stem[len("fixtures_"):] for p in todo}
        if missing:
            print(f"make_fixtures: no script for {sorted(missing)}", file=sys.stderr)
            return 2
    for name in ORDER:
        if not (TOOLS / f"fixtures_{name}.py").exists() and (not argv or name in argv):
            print(f"make_fixtures: skipping fixtures_{name}.py (not present)")
    for script in todo:
        start = time.time()
        print(f"make_fixtures: {script.name}", flush=True)
        rc = subprocess.run([python, str(script)], cwd=REPO, env=env).returncode
        if rc != 0:
            print(f"make_fixtures: {script.name} failed with status {rc}", file=sys.stderr)
            return rc
        print(f"make_fixtures: {script.name} done in {time.time() - start:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
