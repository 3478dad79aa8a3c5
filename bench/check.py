"""`torchdojo check reference` against a bare `import torch, torchvision` (medians, same conditions).

Target (issue 8): check ≤ 3 × the import. Usage: python bench/check.py [--runs 5] [--device cpu]
"""

from __future__ import annotations

import argparse
import json

from common import PYTHON, TORCHDOJO, median_of, timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    bare, bare_all = median_of(args.runs, [PYTHON, "-c", "import torch, torchvision"])
    cmd = [*TORCHDOJO, "check", "reference", "--json", "--device", args.device]
    check, check_all = median_of(args.runs, cmd)
    _, peak, result = timed(cmd)
    report = json.loads(result.stdout)
    print(f"bare import torch, torchvision: median {bare:.2f} s  runs {[round(t, 2) for t in bare_all]}")
    print(f"torchdojo check reference:      median {check:.2f} s  runs {[round(t, 2) for t in check_all]}")
    print(f"ratio check / import: {check / bare:.2f}x (target <= 3x)")
    print(f"score {report['score']}/{report['max_score']} on {report['device']}, peak memory {peak / 1024**3:.2f} GiB")
    print("per module (s, from the report's total):", f"{report['seconds']:.2f} s grading inside the process")


if __name__ == "__main__":
    main()
