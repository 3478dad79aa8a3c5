"""A fork server: a clean process with torch imported that forks one worker per module.

Started before anything is graded, so a worker's memory holds no grader, no reference
answer and no other student's results (a forked child sees its parent's whole heap).
The scorer sends it one end of a socket pair per worker (SCM_RIGHTS) and gets a pid back.
"""

from __future__ import annotations

import os
import pickle
import signal
import socket
import time
from typing import Any

from .worker import WorkerSpec, _set_parent_death_signal, worker_main

MAX_MESSAGE = 1 << 20


class ZygoteError(RuntimeError):
    """The fork server died or answered nonsense (a torchdojo bug, not the student's)."""


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


def _serve(control: socket.socket) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the scorer to handle
    _prewarm()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    _set_parent_death_signal()
    subreaper = _become_subreaper()
    workers: set[int] = set()
    statuses: dict[int, dict] = {}
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(control, MAX_MESSAGE, 1)
        except (OSError, EOFError):
            data = b""
        if not data:
            if subreaper:
                _kill_orphans(set())
            return
        request = pickle.loads(data)
        op = request["op"]
        if op == "spawn":
            spec: WorkerSpec = request["spec"]
            fd = fds[0]
            pid = os.fork()
            if pid == 0:
                code = 70
                try:
                    control.close()
                    if spec.tier == "namespaces":
                        from .isolation import run_in_namespaces
                        from .worker import prepare_namespace

                        os.setsid()  # the scorer kills this group; the namespace dies with it
                        run_in_namespaces(lambda: prepare_namespace(spec), lambda: worker_main(fd, spec))
                    else:
                        code = worker_main(fd, spec)
                except BaseException:
                    code = 71
                finally:
                    os._exit(code)
            os.close(fd)
            workers.add(pid)
            reply: Any = {"pid": pid}
        elif op == "wait":
            reply = _wait(request["pid"], request.get("grace", 0.2), statuses)
            workers.discard(request["pid"])
            if subreaper:
                _kill_orphans(workers)
        elif op == "exit":
            if subreaper:
                _kill_orphans(set())
            return
        else:
            reply = {"error": f"unknown op {op}"}
        for fd in fds if op != "spawn" else ():
            os.close(fd)
        control.sendall(pickle.dumps(reply))


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
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            _, status = os.waitpid(pid, 0)
            info = _describe_status(status)
            info["killed"] = True
            break
        time.sleep(0.005)
    try:  # whatever the worker left behind in its group goes too
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return info


_PROCESS_HAS_GRADED = False


def mark_process_has_graded() -> None:
    """Called once grading starts: from now on a fork of this process could carry answers."""
    global _PROCESS_HAS_GRADED
    _PROCESS_HAS_GRADED = True


def _exec_main(fd: int) -> None:  # the fork server as a fresh interpreter
    import numpy  # noqa: F401
    import torch  # noqa: F401

    _serve(socket.socket(fileno=fd))


class Zygote:
    """Scorer-side handle on the fork server.

    Forked from this process while it has graded nothing yet (cheap: torch is already
    imported); started as a fresh interpreter otherwise, so no answer held in this
    process's memory can reach a worker.
    """

    def __init__(self) -> None:
        self.pid: int | None = None
        self._control: socket.socket | None = None
        self._process: Any = None

    def start(self) -> "Zygote":
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if _PROCESS_HAS_GRADED:
            import subprocess
            import sys

            code = f"from torchdojo.sandbox.zygote import _exec_main; _exec_main({child.fileno()})"
            self._process = subprocess.Popen([sys.executable, "-c", code], pass_fds=[child.fileno()],
                                             stdin=subprocess.DEVNULL)
            pid = self._process.pid
        else:
            import numpy  # noqa: F401
            import torch  # noqa: F401  (imported once here, shared by every worker)

            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    parent.close()
                    _serve(child)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
        child.close()
        self.pid = pid
        self._control = parent
        return self

    @property
    def running(self) -> bool:
        return self._control is not None

    def _ask(self, request: dict, fds: list[int] | None = None) -> Any:
        if self._control is None:
            raise ZygoteError("fork server is not running")
        data = pickle.dumps(request)
        try:
            if fds:
                socket.send_fds(self._control, [data], fds)
            else:
                self._control.sendall(data)
            reply = self._control.recv(MAX_MESSAGE)
        except OSError as exc:
            raise ZygoteError(f"fork server failed: {exc}") from exc
        if not reply:
            raise ZygoteError("fork server died")
        return pickle.loads(reply)

    def spawn(self, spec: WorkerSpec) -> tuple[int, socket.socket]:
        """Fork a worker for `spec`; returns its pid and the scorer's end of its socket."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            reply = self._ask({"op": "spawn", "spec": spec}, [theirs.fileno()])
        finally:
            theirs.close()
        return reply["pid"], mine

    def reap(self, pid: int, grace: float = 0.2) -> dict:
        """Wait for the worker (killing it and its group after `grace` seconds); how it ended."""
        return self._ask({"op": "wait", "pid": pid, "grace": grace})

    def stop(self) -> None:
        if self._control is None:
            return
        try:
            self._control.sendall(pickle.dumps({"op": "exit"}))
        except OSError:
            pass
        self._control.close()
        self._control = None
        if self._process is not None:
            self._process.wait()
            self._process = None
        elif self.pid:
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        self.pid = None

    def __enter__(self) -> "Zygote":
        return self.start() if not self.running else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
