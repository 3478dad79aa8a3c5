"""Catch rate of every mutant over many seeds: is any known mistake caught only by luck?

    .venv/bin/python bench/mutants.py --seeds 16              # every module
    .venv/bin/python bench/mutants.py --seeds 16 --module 01_tensors --module 07_losses_optim

For each mutant of tests/mutants/ and each seed it grades the mutant's module and prints the
share of seeds on which exactly its items lost their points (mistakes) or it kept full points
(correct alternatives). The tests prove the same on the fixed cases alone; this shows it on
the random cases too. Prints figures only; exits 1 if anything is below 100%.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from mutation import build_submission  # noqa: E402
from torchdojo.authoring.mutants import load_mutants as _load, mutant_problems  # noqa: E402


def load_mutants(module: str | None) -> list:
    return _load(ROOT / "tests" / "mutants", [module] if module else None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=16)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--module", action="append", default=None)
    args = parser.parse_args()

    from torchdojo.grading.runner import Scorer

    mutants = [m for name in (args.module or [None]) for m in load_mutants(name)]
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    rates: dict[str, list[int]] = {str(m): [] for m in mutants}
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="torchdojo-bench-mutants-") as tmp:
        subs = {str(m): build_submission(m, Path(tmp) / str(i)) for i, m in enumerate(mutants)}
        for seed in seeds:
            with Scorer(device="cpu", seed=seed, lang="en") as scorer:
                for m in mutants:
                    ok = not mutant_problems(scorer.score(subs[str(m)], [m.module]), m)
                    rates[str(m)].append(int(ok))
            print(f"seed {seed} done ({time.monotonic() - started:.0f} s)", file=sys.stderr)
    below = 0
    print(f"{'mutant':55} {'kind':11} {'rate':>7}  seeds")
    for m in mutants:
        hits = rates[str(m)]
        rate = sum(hits) / len(hits)
        below += rate < 1
        kind = "alternative" if not m.loses else "mistake"
        print(f"{str(m):55} {kind:11} {rate:7.0%}  {sum(hits)}/{len(hits)}"
              + ("" if rate == 1 else f"  missed on seeds {[s for s, h in zip(seeds, hits) if not h]}"))
    total = sum(sum(h) for h in rates.values())
    print(f"\n{len(mutants)} mutants x {len(seeds)} seeds: {total}/{len(mutants) * len(seeds)} as required; "
          f"{below} below 100%; {time.monotonic() - started:.0f} s")
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
