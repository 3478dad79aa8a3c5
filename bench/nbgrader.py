"""The same notebooks graded by `nbgrader autograde` and by `torchdojo grade` (one run each).

Target (issue 8): torchdojo ≥ 10× faster. Needs the instructor extra (nbgrader).
Usage: python bench/nbgrader.py [--students 16] [--module 01_tensors]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import PYTHON, TORCHDOJO


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--module", default="01_tensors")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    args = parser.parse_args()
    module = args.module
    env = dict(os.environ, PATH=f"{Path(PYTHON).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    env.pop("TORCHDOJO_HOME", None)

    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        subprocess.run([*TORCHDOJO, "release", "nbgrader", "--out", str(course), "--module", module],
                       check=True, capture_output=True, env=env)
        source = course / "source" / module / f"{module}.ipynb"
        released = course / "release" / module / f"{module}.ipynb"
        for i in range(args.students):
            folder = course / "submitted" / f"student{i:03d}" / module
            folder.mkdir(parents=True)
            shutil.copyfile(source if i % 2 == 0 else released, folder / f"{module}.ipynb")

        started = time.perf_counter()
        done = subprocess.run([PYTHON, "-m", "nbgrader", "autograde", module, "--force"], cwd=course,
                              capture_output=True, text=True, env=env)
        nbgrader_seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        subprocess.run([PYTHON, "-m", "nbgrader", "export", "--to", "grades.csv"], cwd=course, check=True,
                       capture_output=True, env=env)
        with open(course / "grades.csv", newline="", encoding="utf-8") as fh:
            nb_scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(fh)}

        started = time.perf_counter()
        done = subprocess.run([*TORCHDOJO, "grade", str(course), "--json", "--module", module, "-j", str(args.jobs),
                               "--device", "cpu", "--results", str(Path(tmp) / "journal.jsonl")],
                              capture_output=True, text=True, env=env)
        torchdojo_seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        td_scores = {s["student"]: s["score"] for s in json.loads(done.stdout)["submissions"]}

    same = all(abs(nb_scores.get(k, -1) - v) < 1e-9 for k, v in td_scores.items())
    print(f"{args.students} notebooks of {module} (half solved, half as released)")
    print(f"nbgrader autograde: {nbgrader_seconds:.1f} s ({nbgrader_seconds / args.students:.2f} s per notebook)")
    print(f"torchdojo grade -j {args.jobs}: {torchdojo_seconds:.1f} s ({torchdojo_seconds / args.students:.2f} s per notebook)")
    print(f"speed-up: {nbgrader_seconds / torchdojo_seconds:.1f}x (target >= 10x); same scores: {same}")


if __name__ == "__main__":
    main()
