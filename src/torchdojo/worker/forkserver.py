"""WORKER SIDE: the fork server's own loop, and the child it forks for each worker.

The fork server is a clean process with torch imported, started before anything is graded
(so a worker's memory holds no grader, no reference answer, no other student's results).
It receives a `WorkerSpec` and one end of a socket pair per worker over its control socket,
forks, and reports how workers ended. The scorer's handle on it is
`torchdojo.sandbox.zygote.Zygote`.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import socket
import time
from typing import Any

from ..wire import WorkerSpec
from .setup import scrub_initial_environment, set_parent_death_signal

MAX_MESSAGE = 1 << 20


def _describe_status(status: int) -> dict[str, Any]:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f"signal {sig}"
        return {"signal": sig, "signal_name": name}
    if os.WIFEXITED(status):
        return {"exit_code": os.WEXITSTATUS(status)}
    return {"status": status}


def _become_subreaper() -> bool:
    """Orphans of a worker (e.g. children that called setsid) are re-parented to us, to be killed."""
    try:
        import ctypes

        PR_SET_CHILD_SUBREAPER = 36
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except Exception:
        return False


def _kill_orphans(workers: set[int]) -> None:
    """Kill and reap every child of ours that is not a live worker (left behind by a student)."""
    me = str(os.getpid())
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit() or int(entry) in workers:
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:
            try:
                os.kill(int(entry), signal.SIGKILL)
                os.waitpid(int(entry), 0)
            except (ProcessLookupError, ChildProcessError, PermissionError):
                pass


def _prewarm() -> None:
    """Import once here what every worker would otherwise import lazily, at a cost each time.

    torchvision (~0.5-3 s) and the first optimizer step (it pulls in torch._dynamo) are paid
    once, in the fork server, while the scorer collects the graders.
    """
    try:
        import torch
        import torchvision  # noqa: F401

        weight = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([weight], lr=0.1)
        weight.sum().backward()
        optimizer.step()
    except Exception:  # a broken torchvision shows up where a grader needs it, with a message
        pass


def run_child(spec: WorkerSpec, fd: int) -> int:
    """In the process just forked for one worker: clean environment, then the worker."""
    from .loop import worker_main
    from .setup import prepare_namespace, replace_environment, run_in_namespaces

    replace_environment(spec.environment)
    if spec.tier == "namespaces":
        os.setsid()  # the scorer kills this group; the namespace dies with it
        run_in_namespaces(lambda: prepare_namespace(spec), lambda: worker_main(fd, spec))
        return 70  # not reached
    return worker_main(fd, spec)


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the scorer to handle
    scrub_initial_environment()  # /proc/PID/environ of the fork server shows nothing of the scorer's
    _prewarm()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    set_parent_death_signal()
    subreaper = _become_subreaper()
    workers: set[int] = set()
    statuses: dict[int, dict] = {}
    released: dict[int, float] = {}  # pid -> when it is killed if it has not ended by itself
    while True:
        if released:
            if _reap_released(released, workers) and subreaper:
                _kill_orphans(workers)
            if released and not _readable(control, min(released.values()) - time.monotonic()):
                continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, MAX_MESSAGE, 1)
        except (OSError, EOFError):
            data = b""
        if not data:
            if subreaper:
                _kill_orphans(set())
            return
        request = pickle.loads(data)  # from the scorer (trusted), over a private socket pair
        op = request["op"]
        if op == "spawn":
            spec: WorkerSpec = request["spec"]
            fd = fds[0]
            pid = os.fork()
            if pid == 0:
                code = 70
                try:
                    control.close()
                    code = run_child(spec, fd)
                except BaseException:
                    code = 71
                finally:
                    os._exit(code)
            os.close(fd)
            workers.add(pid)
            reply: Any = {"pid": pid}
        elif op == "wait":
            released.pop(request["pid"], None)
            reply = _wait(request["pid"], request.get("grace", 0.2), statuses)
            workers.discard(request["pid"])
            if subreaper:
                _kill_orphans(workers)
        elif op == "release":  # the scorer is done with it and needs no status: end it meanwhile
            if request["pid"] in workers:
                released[request["pid"]] = time.monotonic() + request.get("grace", 0.2)
            reply = {"ok": True}
        elif op == "exit":
            for pid in released:
                _kill(pid, leader=True)
            if subreaper:
                _kill_orphans(set())
            return
        else:
            reply = {"error": f"unknown op {op}"}
        for fd in fds if op != "spawn" else ():
            os.close(fd)
        control.sendall(pickle.dumps(reply))


def _readable(control: socket.socket, timeout: float) -> bool:
    try:
        return bool(select.select([control], [], [], max(0.0, min(timeout, 0.05)))[0])
    except (OSError, ValueError):
        return True


def _kill(pid: int, *, leader: bool) -> None:
    """SIGKILL the worker's process group, and the worker itself when not reaped yet (`leader`:
    a reaped pid may already name another process)."""
    for kill in (os.killpg, os.kill) if leader else (os.killpg,):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _reap_released(released: dict[int, float], workers: set[int]) -> int:
    """Reap released workers that ended and kill those past their grace; how many were reaped."""
    now = time.monotonic()
    reaped = 0
    for pid, deadline in list(released.items()):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if not done and now >= deadline:
            _kill(pid, leader=True)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            done = pid
        if done:
            _kill(pid, leader=False)  # whatever it left behind in its group goes too
            del released[pid]
            workers.discard(pid)
            reaped += 1
    return reaped


def _wait(pid: int, grace: float, statuses: dict[int, dict]) -> dict:
    """The worker's end: how it ended if it ended by itself within `grace`, else killed."""
    if pid in statuses:
        return statuses.pop(pid)
    deadline = time.monotonic() + grace
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return {"unknown": True}
        if done:
            info = _describe_status(status)
            break
        if time.monotonic() >= deadline:
            _kill(pid, leader=True)
            _, status = os.waitpid(pid, 0)
            info = _describe_status(status)
            info["killed"] = True
            break
        time.sleep(0.005)
    _kill(pid, leader=False)  # whatever the worker left behind in its group goes too
    return info


def exec_main(fd: int) -> None:
    """The fork server as a fresh interpreter (when the scorer's memory already holds answers)."""
    import numpy  # noqa: F401
    import torch  # noqa: F401

    serve(socket.socket(fileno=fd))
