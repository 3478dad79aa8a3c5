"""`grade` of N copies of the reference: the local pool (-j W) against Dask (a LocalCluster of W workers).

Target (issue 10): the Dask path within 1.3x of the local path on one machine; quotes the
overhead per task. Each path runs in a fresh process, one after the other; by default the
library (`runner.grade` / `cluster.grade_dask`, what the CLI calls) is timed, `--cli` times
`torchdojo grade --executor ...` instead (once the CLI has the option).
Usage: python bench/cluster.py [-n 64] [-w 2] [--device cpu] [--cli]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common
from common import PYTHON, ROOT, TORCHDOJO, gib, timed


def _children_of_every_thread(pid: int) -> list[int]:
    """common._children reads only the main thread's children; Dask's nannies start worker
    processes from their event-loop thread, so every thread's children are read here."""
    found: list[int] = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found += [int(p) for p in fh.read().split()]
        except OSError:
            continue
    return found


common._children = _children_of_every_thread  # peak memory of the whole tree, for both paths

DRIVER = r"""
import json, sys, time
from pathlib import Path

def main():
    executor, root, workers, device = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    start = time.perf_counter()
    stamps, scores, counts = [], [], []
    if executor == "local":
        from torchdojo.grading.runner import grade
        results = grade(root, jobs=workers, device=device, lang="en")
    else:
        from torchdojo.grading.cluster import grade_dask
        results = grade_dask(root, workers=workers, device=device, lang="en", on_worker_counts=counts.append)
    grading = 0.0
    for rep in results:
        stamps.append(time.perf_counter() - start)
        scores.append(rep.full)
        grading += rep.seconds
    print(json.dumps({"seconds": time.perf_counter() - start, "first": stamps[0], "last": stamps[-1],
                      "n": len(stamps), "all_full": all(scores), "grading": grading,
                      "counts": counts[0] if counts else None}))

if __name__ == "__main__":  # the LocalCluster's workers are spawned: they import this file
    main()
"""


def make_class(n: int, where: Path) -> Path:
    root = where / f"class{n}"
    for i in range(n):
        shutil.copytree(ROOT / "reference", root / f"student{i:04d}", ignore=shutil.ignore_patterns(".*"))
    return root


def run_library(executor: str, root: Path, workers: int, device: str, where: Path) -> tuple[dict, int]:
    driver = where / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    seconds, peak, result = timed([PYTHON, str(driver), executor, str(root), str(workers), device])
    if result.returncode != 0:
        raise SystemExit(f"{executor} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    data["process_seconds"] = seconds
    return data, peak


def run_cli(executor: str, root: Path, workers: int, device: str, where: Path) -> tuple[dict, int]:
    cmd = [*TORCHDOJO, "grade", str(root), "--json", "--device", device, "--executor", executor,
           "--results", str(where / f"journal-{executor}.jsonl")]
    cmd += ["-j", str(workers)] if executor == "local" else ["--workers", str(workers)]
    seconds, peak, result = timed(cmd)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    subs = json.loads(result.stdout)["submissions"]
    return {"seconds": seconds, "process_seconds": seconds, "n": len(subs),
            "all_full": all(s["score"] == s["max_score"] for s in subs)}, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=64, help="submissions (copies of reference/)")
    parser.add_argument("-w", "--workers", type=int, default=2, help="-j of the local path = Dask worker processes")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cli", action="store_true", help="time `torchdojo grade --executor ...` instead")
    args = parser.parse_args()
    if args.cli:
        helptext = subprocess.run([*TORCHDOJO, "grade", "--help"], capture_output=True, text=True).stdout
        if "--executor" not in helptext:
            raise SystemExit("this torchdojo's `grade` has no --executor yet; run without --cli")
    run = run_cli if args.cli else run_library
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise SystemExit("needs the cluster extra: pip install 'torchdojo[cluster]'")

    with tempfile.TemporaryDirectory() as tmp:
        root = make_class(args.n, Path(tmp))
        print(f"{args.n} copies of reference/, {args.workers} workers, device {args.device}, "
              f"{'CLI' if args.cli else 'library'} timed")
        rows = {}
        for executor in ("local", "dask"):
            data, peak = run(executor, root, args.workers, args.device, Path(tmp))
            if data["n"] != args.n or not data["all_full"]:
                raise SystemExit(f"{executor}: {data['n']} reports, all full: {data['all_full']}")
            rows[executor] = data
            extra = ""
            if "first" in data:
                extra = (f"  first result {data['first']:.1f} s, last {data['last']:.1f} s, "
                         f"grading time summed over reports {data['grading']:.1f} s")
            print(f"{executor:>6}: {data['seconds']:7.2f} s  ({args.n / data['seconds']:.2f} subs/s, "
                  f"peak {gib(peak)}){extra}")
            if data.get("counts"):
                print(f"        per worker: {data['counts']}")
        local, dask = rows["local"], rows["dask"]
        ratio = dask["seconds"] / local["seconds"]
        per_task = (dask["seconds"] - local["seconds"]) / args.n
        print(f"dask / local: {ratio:.3f}x (target <= 1.3x)  overhead per task: {per_task * 1000:+.0f} ms "
              f"(whole run, cluster start included)")
        if "grading" in local:
            idle = {k: v["seconds"] - v["grading"] / args.workers for k, v in rows.items()}
            print(f"wall time not spent grading (wall - summed report seconds / workers): local {idle['local']:.1f} s, "
                  f"dask {idle['dask']:.1f} s -> {(idle['dask'] - idle['local']) / args.n * 1000:+.0f} ms per task "
                  "(less sensitive to the machine's load than the plain difference)")
        if "first" in local and args.n > 2 * args.workers:
            steady = ((dask["last"] - dask["first"]) - (local["last"] - local["first"])) / (args.n - 1)
            print(f"steady state (first to last result): {steady * 1000:+.0f} ms per task; "
                  f"start-up to first result: local {local['first']:.1f} s, dask {dask['first']:.1f} s")


if __name__ == "__main__":
    main()
