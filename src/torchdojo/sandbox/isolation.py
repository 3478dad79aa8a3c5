"""Isolation tiers for a worker, strongest the machine allows.

`namespaces` (Linux with user namespaces or root): the worker gets its own pid, network,
mount, IPC and UTS namespaces. Inside: a fresh /proc (no host processes), no network (only
a down loopback), the graders, the reference, the project's .git and the original
submission folders hidden under empty tmpfs mounts, a private tmpfs scratch holding a
copy of the submission, and, when torchdojo runs as root, an unprivileged uid of its own with
no_new_privs, so nothing outside the scratch is writable. When the namespace's first
process ends, the kernel kills every process left in it (detached children included).

`basic` (macOS, containers without user namespaces): rlimits, its own process group, a
scratch copy, an audit hook that refuses network sockets; files stay readable.

Both tiers add: RLIMIT_CPU/FSIZE/CORE, an address-space cap on CPU, per-call and per-module
time limits enforced by the scorer, stdout/stderr to a capped file.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import sys
from functools import lru_cache
from typing import Any, Callable

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_REC, MS_PRIVATE = 16384, 1 << 18
PR_SET_NO_NEW_PRIVS = 38
NOBODY = 65534
# As root, each worker gets its own unprivileged uid from this range (no passwd entry needed):
# then RLIMIT_NPROC caps one submission's processes, not the sum of all workers running at once,
# and two students graded side by side cannot signal each other's processes.
WORKER_UIDS = range(200_000, 260_000)


def worker_uid(serial: int) -> int:
    return WORKER_UIDS[(os.getpid() * 7919 + serial) % len(WORKER_UIDS)]

TIERS = ("namespaces", "basic")


class IsolationError(OSError):
    pass


def _libc() -> Any:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise IsolationError(err, f"{what}: {os.strerror(err)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    libc = _libc()
    _check(libc.mount(source.encode() if source else None, target.encode(),
                      fstype.encode() if fstype else None, flags, data.encode() if data else None),
           f"mount {target}")


def enter_namespaces() -> bool:
    """unshare into new namespaces; returns True if a user namespace was needed (not root)."""
    libc = _libc()
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    as_user = uid != 0
    if as_user:
        flags |= CLONE_NEWUSER
    _check(libc.unshare(flags), "unshare")
    if as_user:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    _mount("none", "/", None, MS_REC | MS_PRIVATE, None)
    return as_user


def hide(paths: list[str]) -> None:
    """Cover each existing folder with an empty, unreadable tmpfs (beats chmod against uid 0)."""
    for path in paths:
        if path and os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")


MS_BIND, MS_REMOUNT, MS_RDONLY = 4096, 32, 1
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def private_scratch(path: str, size_bytes: int) -> None:
    _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_bytes},mode=0755")


def _others_can_enter(path: str) -> bool:
    try:
        return bool(os.stat(path).st_mode & 0o001)
    except OSError:
        return True


def python_paths() -> list[str]:
    """Folders the interpreter imports from (the student's code may import more of them later)."""
    paths = {os.path.dirname(os.__file__), sys.prefix, sys.base_prefix, sys.exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    return sorted(p for p in paths if os.path.isdir(p))


def expose_for_nobody(paths: list[str]) -> None:
    """Make `paths` reachable for uid 65534 when a parent folder is private (e.g. Python in /root).

    The private ancestor gets an empty tmpfs; each needed folder is bind-mounted back (read-only)
    from a descriptor opened before. Everything else in that ancestor stays invisible.
    """
    by_ancestor: dict[str, list[str]] = {}
    for path in paths:
        parts = os.path.abspath(path).split(os.sep)
        for i in range(2, len(parts)):
            ancestor = os.sep.join(parts[:i])
            if not _others_can_enter(ancestor):
                by_ancestor.setdefault(ancestor, []).append(os.path.abspath(path))
                break
    for ancestor, needed in by_ancestor.items():
        fds = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in sorted(set(needed))}
        _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
        for path, fd in fds.items():
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
            _mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_REC, None)
            os.close(fd)


@lru_cache(maxsize=None)
def nobody_can_import() -> bool:
    """Can uid 65534 read this interpreter's standard library? (False: Python under a 0700 home.)"""
    return all(_others_can_enter(os.sep.join(p.split(os.sep)[:i]))
               for p in python_paths() for i in range(2, len(p.split(os.sep)) + 1))


def isolate_filesystem(scratch: str, size_bytes: int, hidden: list[str], shared: list[str]) -> None:
    """Private, size-capped /tmp-like folders; the scratch folder; `shared` folders kept read-only.

    World-writable folders get an empty private tmpfs, so nothing written there outlives the
    namespace. `shared` folders (data the grader wrote for the student's code) are bind-mounted
    back read-only from file descriptors opened before the covering mounts.
    """
    keep = {}
    covered = [p for p in SHARED_WRITABLE if os.path.isdir(p) and not os.path.islink(p)]
    # Python itself may live under /tmp too (a checkout there with its .venv): keep it visible
    interpreter = [p for p in python_paths() if any(p == c or p.startswith(c + os.sep) for c in covered)]
    for path in [*shared, *interpreter]:
        if os.path.isdir(path) and path not in keep:
            keep[path] = os.open(path, os.O_PATH | os.O_DIRECTORY)
    for path in covered:
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_bytes},mode=1777")
    os.makedirs(scratch, mode=0o755, exist_ok=True)
    private_scratch(scratch, size_bytes)
    for path, fd in keep.items():
        os.makedirs(path, mode=0o755, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC, None)
        _mount("none", path, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
        os.close(fd)
    hide(hidden)
    if os.getuid() == 0:
        expose_for_nobody(python_paths())


def mount_proc() -> None:
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


def drop_privileges(tier: str, uid: int = NOBODY) -> bool:
    """As root: become `uid` for good (what the student's code runs as); True if it did.

    Without namespaces, only when nobody can still import Python's standard library."""
    if os.getuid() != 0 or os.environ.get("TORCHDOJO_KEEP_ROOT"):
        return False
    if tier != "namespaces" and not nobody_can_import():
        return False
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    return True


def mirror_exit(status: int) -> None:
    """End this process the way its child ended (same exit code or same signal)."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 70)


def run_in_namespaces(prepare: Callable[[], None], work: Callable[[], int]) -> None:
    """In the freshly forked child: new namespaces, then init (pid 1) and the worker (pid 2).

    `prepare` runs after unshare as (namespace) root: mounts, scratch files.
    `work` runs in the worker process; its return value is the exit status.
    Never returns.
    """
    from .worker import _set_parent_death_signal

    enter_namespaces()
    prepare()
    status_read, status_write = os.pipe()  # pid 1 cannot kill itself: it reports the status instead
    init = os.fork()
    if init == 0:  # pid 1 of the new pid namespace: reaps, reports how the worker ended
        os.close(status_read)
        _set_parent_death_signal()
        try:
            mount_proc()
        except OSError:
            pass
        worker = os.fork()
        if worker == 0:
            os.close(status_write)
            code = 70
            try:
                code = work()
            except BaseException:
                code = 71
            finally:
                os._exit(code)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                os._exit(0)
            if pid == worker:
                os.write(status_write, status.to_bytes(4, "little"))
                os._exit(0)  # leaving pid 1 kills every process left in the namespace
    os.close(status_write)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    reported = os.read(status_read, 4)
    _, status = os.waitpid(init, 0)
    mirror_exit(int.from_bytes(reported, "little") if len(reported) == 4 else status)


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
    if tier == "namespaces":
        who = "an unprivileged uid per worker" if os.getuid() == 0 else "user namespace"
        return f"namespaces (pid, net, mount, ipc, uts; {who}; hidden graders/reference; tmpfs scratch) + rlimits"
    who = "an unprivileged uid per worker, " if os.getuid() == 0 and nobody_can_import() else ""
    return f"basic ({who}process group, rlimits, scratch copy, network audit hook; no namespaces on this machine)"


# -- network refusal that Python code cannot remove ---------------------------------------

NETWORK_MESSAGE = "network access is not allowed while grading (torchdojo)"


def install_network_guard() -> None:
    """An audit hook: IP sockets cannot connect, bind or resolve names (Unix sockets can)."""

    def hook(event: str, args: tuple) -> None:
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            address = args[1] if len(args) > 1 else None
            if isinstance(address, tuple):
                raise PermissionError(errno.EACCES, NETWORK_MESSAGE)
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
            raise PermissionError(errno.EACCES, NETWORK_MESSAGE)

    sys.addaudithook(hook)
