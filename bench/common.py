"""Shared bits of the benchmarks: run a command, time it, sample the memory of its process tree."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TORCHDOJO = [PYTHON, "-m", "torchdojo"]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def _pss(pid: int) -> int:
    """Proportional set size: shared pages (torch in forked workers) counted once overall."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _tree_rss(pid: int) -> int:
    """Memory of a process and all its descendants, in bytes (sum of PSS; Linux /proc)."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += _pss(p)
        stack.extend(_children(p))
    return total


def timed(cmd: list[str], *, env: dict | None = None, cwd: Path = ROOT) -> tuple[float, int, subprocess.CompletedProcess]:
    """(seconds, peak RSS of the whole process tree, result) of one run."""
    peak = 0
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    return elapsed, peak, subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def median_of(runs: int, cmd: list[str], **kw) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        seconds, _, result = timed(cmd, **kw)
        if result.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
        times.append(seconds)
    return statistics.median(times), times


def gib(n: int) -> str:
    return f"{n / 1024**3:.2f} GiB"
