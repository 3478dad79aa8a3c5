"""`torchdojo grade` of N copies of the reference: time, throughput, peak memory, ratio to N checks.

Targets (issue 8): 16 copies ≤ 0.25 × 16 single checks; time per submission flat from 16 to 64;
peak memory of -j 2 under 4 GiB. Usage: python bench/grade.py [--sizes 1 16 64] [--big] [-j 2]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from common import ROOT, TORCHDOJO, gib, median_of, timed


def make_class(n: int, where: Path) -> Path:
    root = where / f"class{n}"
    for i in range(n):
        shutil.copytree(ROOT / "reference", root / f"student{i:04d}")
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1, 16, 64])
    parser.add_argument("--big", action="store_true", help="also N = 256")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    sizes = args.sizes + ([256] if args.big else [])

    single, _ = median_of(3, [*TORCHDOJO, "check", "reference", "--json", "--device", args.device])
    print(f"one `torchdojo check reference`: {single:.2f} s (median of 3)")
    print(f"{'N':>5} {'total s':>9} {'subs/s':>8} {'s/sub':>7} {'peak mem':>10} {'vs N checks':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            root = make_class(n, Path(tmp))
            cmd = [*TORCHDOJO, "grade", str(root), "--json", "-j", str(args.jobs), "--device", args.device,
                   "--results", str(Path(tmp) / f"journal{n}.jsonl")]
            seconds, peak, result = timed(cmd)
            if result.returncode != 0:
                raise SystemExit(result.stderr[-2000:])
            subs = json.loads(result.stdout)["submissions"]
            assert len(subs) == n and all(s["score"] == s["max_score"] for s in subs), "not all full"
            print(f"{n:>5} {seconds:>9.2f} {n / seconds:>8.2f} {seconds / n:>7.2f} {gib(peak):>10} "
                  f"{seconds / (n * single):>11.3f}x")
            shutil.rmtree(root)


if __name__ == "__main__":
    main()
