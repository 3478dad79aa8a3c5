"""WORKER SIDE: setting up a freshly forked worker before the student's code runs.

Runs in the child forked by the fork server: a clean environment (the allow-list the scorer
computed, nothing of the scorer's own), new namespaces and mounts (namespaces tier), the
scratch copy of the submission, rlimits, dropping root, the network audit hook. Every
decision (which uid, which limits, which variables) was made by the scorer and arrives in
the `WorkerSpec`; this module only carries it out.
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
from functools import lru_cache
from typing import Any, Callable

from ..wire import WorkerSpec

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_REC, MS_PRIVATE = 16384, 1 << 18
MS_BIND, MS_REMOUNT, MS_RDONLY = 4096, 32, 1
PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


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


def set_parent_death_signal() -> None:
    try:
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:  # not Linux: the scorer's kill still ends us
        pass


# -- environment ----------------------------------------------------------------------------

def scrub_initial_environment() -> None:
    """Overwrite the environment block the process started with (what /proc/PID/environ shows).

    A forked process keeps its ancestor's initial environment strings in memory even after
    os.environ is cleared; the kernel shows that block as /proc/PID/environ.
    """
    try:
        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
        start, end = int(fields[47]), int(fields[48])  # env_start, env_end (fields 50, 51)
        if 0 < start < end and end - start < 1 << 24:
            ctypes.memset(start, 0, end - start)
    except Exception:
        pass


def replace_environment(environment: dict[str, str]) -> None:
    """Only the variables the scorer allowed; nothing of the scorer's own environment stays."""
    os.environ.clear()  # unsetenv() for each: the C-level environ follows
    os.environ.update(environment)
    scrub_initial_environment()


# -- namespaces and mounts ------------------------------------------------------------------

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


def mount_proc() -> None:
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)


def hide(paths: list[str]) -> None:
    """Cover each existing folder with an empty, unreadable tmpfs (beats chmod against uid 0)."""
    for path in paths:
        if path and os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=000")


def private_scratch(path: str, size_bytes: int) -> None:
    _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_bytes},mode=0755")


def others_can_enter(path: str) -> bool:
    try:
        return bool(os.stat(path).st_mode & 0o001)
    except OSError:
        return True


def python_paths() -> list[str]:
    """Folders the interpreter imports from (the student's code may import more of them later)."""
    paths = {os.path.dirname(os.__file__), sys.prefix, sys.base_prefix, sys.exec_prefix}
    paths.update(p for p in sys.path if p and os.path.isdir(p))
    return sorted(p for p in paths if os.path.isdir(p))


@lru_cache(maxsize=None)
def nobody_can_import() -> bool:
    """Can uid 65534 read this interpreter's standard library? (False: Python under a 0700 home.)"""
    return all(others_can_enter(os.sep.join(p.split(os.sep)[:i]))
               for p in python_paths() for i in range(2, len(p.split(os.sep)) + 1))


def expose_for_nobody(paths: list[str]) -> None:
    """Make `paths` reachable for an unprivileged uid when a parent folder is private (Python in /root).

    The private ancestor gets an empty tmpfs; each needed folder is bind-mounted back (read-only)
    from a descriptor opened before. Everything else in that ancestor stays invisible.
    """
    by_ancestor: dict[str, list[str]] = {}
    for path in paths:
        parts = os.path.abspath(path).split(os.sep)
        for i in range(2, len(parts)):
            ancestor = os.sep.join(parts[:i])
            if not others_can_enter(ancestor):
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


def isolate_filesystem(scratch: str, size_bytes: int, hidden: list[str], shared: list[str]) -> None:
    """Private, size-capped /tmp-like folders; the scratch folder; `shared` folders kept read-only.

    World-writable folders get an empty private tmpfs, so nothing written there outlives the
    namespace. `shared` folders (data the grader wrote for the student's code) are bind-mounted
    back read-only from file descriptors opened before the covering mounts.
    """
    keep = {}
    covered = [p for p in SHARED_WRITABLE if os.path.isdir(p) and not os.path.islink(p)]
    # Python itself may live under /tmp too (a checkout there with its .venv): keep it visible
    # (strictly below: a script run from /tmp puts /tmp itself on sys.path, and /tmp must stay private)
    interpreter = [p for p in python_paths() if any(p.startswith(c + os.sep) for c in covered)]
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


def drop_privileges(uid: int) -> None:
    """Become `uid` for good (what the student's code runs as), with no_new_privs."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


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
    enter_namespaces()
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # for the worker only (its stack dump): not this process, not pid 1
    prepare()
    status_read, status_write = os.pipe()  # pid 1 cannot kill itself: it reports the status instead
    init = os.fork()
    if init == 0:  # pid 1 of the new pid namespace: reaps, reports how the worker ended
        os.close(status_read)
        set_parent_death_signal()
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


# -- network refusal that Python code cannot remove ---------------------------------------

NETWORK_MESSAGE = "network access is not allowed while grading (torchdojo)"


def install_network_guard() -> None:
    """An audit hook: IP sockets cannot connect, bind or resolve names (Unix sockets can)."""
    import errno

    def hook(event: str, args: tuple) -> None:
        if event in ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"):
            address = args[1] if len(args) > 1 else None
            if isinstance(address, tuple):
                raise PermissionError(errno.EACCES, NETWORK_MESSAGE)
        elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"):
            raise PermissionError(errno.EACCES, NETWORK_MESSAGE)

    sys.addaudithook(hook)


# -- the worker process ---------------------------------------------------------------------

def _address_space_now() -> int:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def write_scratch(spec: WorkerSpec) -> None:
    """Put the submission's files into the scratch folder (owned by whoever runs the student's code)."""
    owner = spec.drop_uid
    for name, data in spec.files.items():
        target = os.path.join(spec.scratch, os.path.basename(name))
        with open(target, "wb") as fh:
            fh.write(data)
        if owner is not None:
            os.chown(target, owner, owner)
    if owner is not None:
        os.chown(spec.scratch, owner, owner)


def _redirect_output(path: str) -> None:
    out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)


def prepare_namespace(spec: WorkerSpec) -> None:
    """Runs as root of the new namespaces, before the worker starts: scratch tmpfs, hidden folders."""
    _redirect_output(spec.output_path)  # opened now: the covering mounts hide where it lives
    spec.output_path = ""
    isolate_filesystem(spec.scratch, spec.scratch_bytes, spec.hidden, spec.shared)
    write_scratch(spec)


def prepare_process(sock_fd: int, spec: WorkerSpec) -> None:
    """Detach, close inherited files, cap resources, move into scratch."""
    os.setsid()  # own process group: the scorer kills the whole group
    set_parent_death_signal()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    os.closerange(3, sock_fd)
    os.closerange(sock_fd + 1, 65536)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    if spec.output_path:
        _redirect_output(spec.output_path)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, closefd=False, errors="replace")
    sys.stderr = open(2, "w", buffering=1, closefd=False, errors="replace")
    import faulthandler  # SIGUSR1 from the scorer at a time limit: where the code is (a message only)

    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=False, chain=False)
    if spec.tier != "namespaces":
        write_scratch(spec)
    os.chdir(spec.scratch)
    if spec.drop_uid is not None:
        drop_privileges(spec.drop_uid)
    if spec.drop_uid is not None or spec.tier == "namespaces":
        resource.setrlimit(resource.RLIMIT_NPROC, (spec.max_processes, spec.max_processes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (spec.file_bytes, spec.file_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (spec.cpu_seconds, spec.cpu_seconds + 5))
    if spec.limit_address_space and spec.device == "cpu":
        cap = _address_space_now() + spec.memory_bytes
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.path.insert(0, spec.scratch)
    install_network_guard()
    import torch

    torch.set_num_threads(1)
