"""SCORER SIDE: the handle on the fork server (its own loop is `torchdojo.worker.forkserver`).

The fork server is started before anything is graded, so a worker's memory holds no grader,
no reference answer and no other student's results (a forked child sees its parent's whole
heap). The scorer sends it one end of a socket pair per worker (SCM_RIGHTS) and gets a pid back.
"""

from __future__ import annotations

import os
import pickle
import socket
from typing import Any

from ..wire import WorkerSpec
from ..worker.forkserver import MAX_MESSAGE, serve



class ZygoteError(RuntimeError):
    """The fork server died or answered nonsense (a torchdojo bug, not the student's)."""


_PROCESS_HAS_GRADED = False


def mark_process_has_graded() -> None:
    """Called once grading starts: from now on a fork of this process could carry answers."""
    global _PROCESS_HAS_GRADED
    _PROCESS_HAS_GRADED = True


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

            code = f"from torchdojo.worker.forkserver import exec_main; exec_main({child.fileno()})"
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
                    serve(child)
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

    def release(self, pid: int, grace: float = 0.2) -> None:
        """Let the worker end by itself within `grace` seconds (else it and its group are killed),
        without waiting for it: the fork server reaps it meanwhile."""
        self._ask({"op": "release", "pid": pid, "grace": grace})

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
