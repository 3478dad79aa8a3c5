"""SCORER SIDE: the memory of a worker's whole process tree, measured and enforced by the scorer.

RLIMIT_AS binds one process: a worker that starts three children can hold three times the
limit. While the scorer waits for an answer it sums the proportional resident memory (PSS:
pages shared between processes counted once in all) of every process of the worker: its
descendants (a pid namespace's orphans stay under its init) and, when the worker runs as a
uid of its own, every process of that uid (orphans re-parented elsewhere too). Over the
limit, the scorer kills all of them. No cgroup is needed (none is writable on most laptops;
on this project's machines cgroup v2 exposes no memory controller).
"""

from __future__ import annotations

import os
import signal
import sys

PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
OWN_UIDS = range(200_000, 260_000)  # isolation.WORKER_UIDS: a uid that only one worker has


def supported() -> bool:
    return sys.platform.startswith("linux") and os.path.exists("/proc/self/smaps_rollup")


def memory_bound(tier: str) -> str:
    """Which bound applies to a worker's memory, in words (for the report's isolation field)."""
    if supported():
        return ("all processes of a worker together (resident memory of its whole process tree, summed by "
                "the scorer, every process killed over the limit) + an address-space cap per process")
    return "an address-space cap per process only (no /proc here to sum a process tree)"


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def tree(root: int, uid: int | None = None) -> list[int]:
    """`root` and every descendant, plus every process of `uid` when it belongs to one worker only."""
    children: dict[int, list[int]] = {}
    found: set[int] = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return [root]
    own_uid = uid is not None and uid in OWN_UIDS
    for entry in entries:
        if not entry.isdigit():
            continue
        pid = int(entry)
        if own_uid:
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    found.add(pid)
            except OSError:
                continue
        stat = _read(f"/proc/{entry}/stat")
        if not stat:
            continue
        try:
            ppid = int(stat.rsplit(b")", 1)[1].split()[1])
        except (IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(pid)
    todo, seen = [root, *found], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, ()))
    return sorted(seen)


def usage(pids: list[int]) -> int:
    """Bytes of proportional resident memory (PSS) of `pids` together (RSS where PSS is unknown)."""
    total = 0
    for pid in pids:
        text = _read(f"/proc/{pid}/smaps_rollup")
        if text:
            for line in text.splitlines():
                if line.startswith(b"Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
            continue
        statm = _read(f"/proc/{pid}/statm")
        if statm:
            try:
                total += int(statm.split()[1]) * PAGE
            except (IndexError, ValueError):
                pass
    return total


def resident(pid: int) -> int:
    statm = _read(f"/proc/{pid}/statm")
    try:
        return int(statm.split()[1]) * PAGE if statm else 0
    except (IndexError, ValueError):
        return 0


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


class TreeWatch:
    """The memory of one worker's process tree against `limit` bytes (on top of the fork server's)."""

    def __init__(self, root: int, uid: int | None, limit: int, base: int):
        self.root = root
        self.uid = uid
        self.limit = limit + base
        self.peak = 0  # the largest PSS sum measured (only measured once RSS passes the limit)

    def over(self) -> list[int] | None:
        """The tree's pids when it uses more than the limit, else None."""
        if not supported():
            return None
        pids = tree(self.root, self.uid)
        # PSS <= RSS: while the plain resident sizes (cheap to read) stay within the limit, the
        # proportional ones (smaps_rollup walks every mapping of a process) need not be summed
        rough = sum(resident(pid) for pid in pids)
        if rough <= self.limit:
            return None
        used = usage(pids)
        self.peak = max(self.peak, used)
        return pids if used > self.limit else None
