"""SCORER SIDE: which isolation tier a worker gets, and every decision about it.

`namespaces` (Linux with user namespaces or root): the worker gets its own pid, network,
mount, IPC and UTS namespaces. Inside: a fresh /proc (no host processes), no network (only
a down loopback), the graders, the reference, the project's .git and the original
submission folders hidden under empty tmpfs mounts, a private tmpfs scratch holding a
copy of the submission, and, when torchdojo runs as root, an unprivileged uid of its own with
no_new_privs, so nothing outside the scratch is writable. When the namespace's first
process ends, the kernel kills every process left in it (detached children included).

`basic` (macOS, containers without user namespaces): rlimits, its own process group, a
scratch copy, an audit hook that refuses network sockets; files stay readable.

Both tiers add: RLIMIT_CPU/FSIZE/CORE/NPROC, an address-space cap per process on CPU, the
memory of the worker's whole process tree summed and enforced by the scorer
(`sandbox.memory`), per-call and per-module time limits, stdout/stderr to a capped file, and
an environment made of an allow-list only. The set-up itself runs in the child
(`torchdojo.worker.setup`); what it does is decided here and sent in the `WorkerSpec`.
"""

from __future__ import annotations

import errno
import os
import sys
from functools import lru_cache

from ..worker.setup import IsolationError, enter_namespaces, mount_proc, nobody_can_import

NOBODY = 65534
# As root, each worker gets its own unprivileged uid from this range (no passwd entry needed):
# then RLIMIT_NPROC caps one submission's processes, not the sum of all workers running at once,
# two students graded side by side cannot signal each other's processes, and the scorer can
# find every process of one worker by its uid.
WORKER_UIDS = range(200_000, 260_000)
TIERS = ("namespaces", "basic")

__all__ = ["IsolationError", "TIERS", "WORKER_UIDS", "available_tier", "describe", "drop_uid",
           "nobody_can_import", "worker_environment", "worker_uid"]


def worker_uid(serial: int) -> int:
    return WORKER_UIDS[(os.getpid() * 7919 + serial) % len(WORKER_UIDS)]


def drop_uid(tier: str, uid: int) -> int | None:
    """The uid the student's code runs as, or None to stay who we are (not root, or no way to)."""
    if os.getuid() != 0 or os.environ.get("TORCHDOJO_KEEP_ROOT"):
        return None
    if tier != "namespaces" and not nobody_can_import():
        return None
    return uid


# Variables a worker keeps from the scorer's environment (names, or prefixes ending in "_*").
# Everything else (tokens, keys, passwords, the instructor's paths) never reaches student code.
ALLOWED_ENV = ("PATH", "LANG", "LANGUAGE", "LC_*", "TZ", "TERM", "PYTHONHASHSEED", "PYTHONIOENCODING",
               "PYTHONUTF8", "CUDA_VISIBLE_DEVICES", "CUBLAS_WORKSPACE_CONFIG", "LD_LIBRARY_PATH")
THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
ENV_VALUE_CHARS = 4096


def worker_environment(scratch: str, source: dict[str, str] | None = None) -> dict[str, str]:
    """The worker's whole environment: the allow-list, HOME and TMPDIR in scratch, one thread."""
    source = dict(os.environ if source is None else source)
    env: dict[str, str] = {}
    for name, value in source.items():
        if len(value) > ENV_VALUE_CHARS:
            continue
        if any(name == a or (a.endswith("*") and name.startswith(a[:-1])) for a in ALLOWED_ENV):
            env[name] = value
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    for name in THREAD_ENV:
        env[name] = "1"
    env["HOME"] = scratch
    env["TMPDIR"] = scratch
    return env


@lru_cache(maxsize=None)
def available_tier() -> str:
    """The strongest tier that works here (TORCHDOJO_ISOLATION=basic forces the fallback)."""
    forced = os.environ.get("TORCHDOJO_ISOLATION", "").strip().lower()
    if forced == "basic" or not sys.platform.startswith("linux"):
        return "basic"
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            enter_namespaces()
            probe = os.fork()
            if probe == 0:
                try:
                    mount_proc()
                    os._exit(0)
                except BaseException:
                    os._exit(1)
            _, status = os.waitpid(probe, 0)
            code = 0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 1
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    works = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    if forced == "namespaces" and not works:
        raise IsolationError(errno.EPERM, "TORCHDOJO_ISOLATION=namespaces, but namespaces are not available here")
    return "namespaces" if works else "basic"


def describe(tier: str) -> str:
    from .memory import memory_bound

    own = drop_uid(tier, NOBODY) is not None
    processes = "at most 64 processes (own uid)" if own else ("at most 256 processes" if tier == "namespaces" else
                                                             "no process cap (shared uid)")
    bounds = f"memory: {memory_bound(tier)}; {processes}"
    if tier == "namespaces":
        who = "an unprivileged uid per worker" if os.getuid() == 0 else "user namespace"
        return (f"namespaces (pid, net, mount, ipc, uts; {who}; hidden graders/reference; tmpfs scratch; "
                f"allow-listed environment) + rlimits; {bounds}")
    who = "an unprivileged uid per worker, " if own else ""
    return (f"basic ({who}process group, rlimits, scratch copy, network audit hook, allow-listed environment; "
            f"no namespaces on this machine); {bounds}")
