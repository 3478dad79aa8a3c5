"""SCORER SIDE: proxies that look like the student's module and objects in a worker.

`student.row_stats(x)` sends a request to the worker, waits (within the time limit) and
returns the decoded answer: plain values and tensors; anything else comes back as a
`RemoteObject` that stays in the worker. Problems come back as exceptions that the
grading plugin turns into an item status.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import select
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .. import wire
from ..wire import WorkerSpec
from ..i18n import Explained, Text
from .explain import explain_exception
from .files import UnsafeFile, is_link, read_regular_file
from .isolation import drop_uid, worker_environment, worker_uid
from .limits import Limits
from .memory import TreeWatch, kill_all, resident, supported as memory_supported
from .zygote import Zygote, mark_process_has_graded

_SERIAL = itertools.count()


# -- what can go wrong, as the scorer sees it --------------------------------------------

_WHAT_KO = [
    (re.compile(r"^calling (.+)$"), "{0} 호출"),
    (re.compile(r"^loading (.+)$"), "{0} 불러오기"),
    (re.compile(r"^preparing (.+)$"), "{0} 준비"),
    (re.compile(r"^reading (.+)$"), "{0} 읽기"),
]


def what_ko(what: str | Text | Text) -> str:
    """The Korean of what the grader was doing ("calling split_and_stack" -> "split_and_stack 호출");
    a grader may pass a `Text` of its own."""
    if isinstance(what, Text):
        return what.pick("ko")
    for pattern, ko in _WHAT_KO:
        match = pattern.match(what)
        if match:
            return ko.format(*match.groups())
    return what


def what_en(what: str | Text | Text) -> str:
    return what.pick("en") if isinstance(what, Text) else what


class WorkerProblem(Explained):
    """Base: something about the student's code stopped a check (`text` says what)."""

    status = "error"

    def __init__(self, text: Text, *, detail: dict | None = None):
        super().__init__(text)
        self.detail = detail or {}


class StudentError(WorkerProblem):
    """The student's code raised an exception (or failed to import)."""

    def __init__(self, info: dict, context: str, limits: Limits | None = None):
        self.type_name: str = info.get("type", "Exception")
        self.mro: list[str] = info.get("mro", [])
        self.raw_message: str = info.get("message", "")
        self.where: list[dict] = info.get("where", [])
        self.kind: str = info.get("kind", "exception")
        location = ""
        if self.where:
            last = self.where[-1]
            location = f" ({last['file']}, line {last['line']})"
            location_ko = f" ({last['file']}, {last['line']}번째 줄)"
        else:
            location_ko = ""
        first_line = self.raw_message.strip().splitlines()[0] if self.raw_message.strip() else ""
        summary = f"{self.type_name}: {first_line}" if first_line else self.type_name
        if self.kind == "syntax":
            en = f"syntax error in your file{location}: {first_line}"
            ko = f"문법 오류{location_ko}: {first_line}"
        elif self.kind == "import":
            en = f"your file failed while loading{location}: {summary}"
            ko = f"파일을 불러오는 중 오류{location_ko}: {summary}"
        else:
            en = f"{what_en(context)} raised {summary}{location}"
            ko = f"{what_ko(context)} 중 예외 발생{location_ko}: {summary}"
        reason = explain_exception(info, limits or Limits())
        if reason:
            en = f"{reason.en}{location} — {en}"
            ko = f"{reason.ko}{location_ko} — {ko}"
        super().__init__(Text(en=en, ko=ko), detail=info)

    def is_a(self, name: str) -> bool:
        """True if the student's exception is (a subclass of) the builtin `name`."""
        return f"builtins.{name}" in self.mro

    @property
    def not_implemented(self) -> bool:
        return self.is_a("NotImplementedError")


class StudentMissing(WorkerProblem):
    """The file, or a name the grader needs, is not there."""

    status = "missing"


class StudentTimeout(WorkerProblem):
    status = "timeout"


class StudentCrash(WorkerProblem):
    """The worker process died: exit, signal, segfault, out of memory."""


def _size(n: int) -> str:
    return f"{n / 1024**3:g} GiB" if n >= 1024**3 else f"{n / 1024**2:g} MiB"


class ReferenceProblem(Exception):
    """The reference solution failed: a course bug, never the student's fault."""


# -- one live worker ----------------------------------------------------------------------

@dataclass
class _Session:
    pid: int
    sock: Any
    names: list[str]
    alive: bool = True
    objects: set[int] = field(default_factory=set)
    watch: TreeWatch | None = None  # the memory of the worker's whole process tree


class RemoteModule:
    """One module file of one submission, loaded in a worker; restarts it after a crash."""

    def __init__(
        self,
        zygote: Zygote,
        *,
        path: Path,
        submission: Path,
        module_name: str,
        limits: Limits,
        device: str = "cpu",
        role: str = "student",
        cache: dict | None = None,
        tier: str = "basic",
        hidden: list[str] | None = None,
        shared: list[str] | None = None,
    ):
        self.zygote = zygote
        self.path = Path(path)
        self.submission = Path(submission)
        self.module_name = module_name
        self.display = self.path.name
        self.limits = limits
        self.device = device
        self.role = role
        self.cache = cache
        self.tier = tier
        self.hidden = list(hidden or [])
        self.shared = shared if shared is not None else []  # may grow while the module is graded
        self._session: _Session | None = None
        self._load_failure: WorkerProblem | None = None
        self._restarts = 0
        self._spent = 0.0
        self._tmp: str | None = None
        self.output_tail = ""
        self.events: list[str] = []

    # -- life cycle --------------------------------------------------------------------
    def _prepare_scratch(self, source: bytes) -> tuple[str, str, dict[str, bytes]]:
        """An empty scratch folder (names unguessable, not listable) and the files to put in it.

        Every file is read through `files.read_regular_file`: no links, regular files only,
        capped while reading, never blocking. Other modules that cannot be read so are left out.
        """
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix=f"torchdojo-{self.module_name}-")
            os.chmod(self._tmp, 0o711)
        run = tempfile.mkdtemp(dir=self._tmp)
        os.chmod(run, 0o711)
        scratch = os.path.join(run, "work")
        os.mkdir(scratch)
        files: dict[str, bytes] = {}
        # every module of the submission, so one exercise may import another
        try:
            candidates = sorted(os.listdir(self.submission)) if not is_link(self.submission) else []
        except OSError:
            candidates = []
        for entry in candidates[:1000]:
            if not entry.endswith(".py") or entry == self.path.name:
                continue
            try:
                files[entry] = read_regular_file(self.submission / entry, self.limits.source_bytes,
                                                 root=self.submission)
            except (OSError, UnsafeFile):
                continue
        files[self.path.name] = source
        return scratch, os.path.join(run, "output.log"), files

    def _check_file(self) -> bytes:
        """The module's file as the scorer may read it; a link, a folder, a huge file cost the module."""
        try:
            return read_regular_file(self.path, self.limits.source_bytes, root=self.submission)
        except FileNotFoundError:
            raise StudentMissing(Text(en=f"file missing: {self.display}", ko=f"파일이 없습니다: {self.display}")) from None
        except UnsafeFile as unsafe:
            if unsafe.kind == "too_large":
                en = f"{self.display} is too large (more than {self.limits.source_bytes} bytes)"
                ko = f"{self.display} 파일이 너무 큽니다 ({self.limits.source_bytes}바이트 초과)"
            else:
                en, ko = unsafe.text.en, unsafe.text.ko
            raise WorkerProblem(Text(en=en, ko=ko), detail={"kind": unsafe.kind}) from None
        except OSError as exc:
            raise WorkerProblem(Text(en=f"{self.display} cannot be read ({exc.strerror})",
                                ko=f"{self.display}을(를) 읽을 수 없습니다 ({exc.strerror})")) from None

    def _start(self) -> _Session:
        if self._load_failure is not None:
            raise self._load_failure
        if self._session is not None and self._session.alive:
            return self._session
        if self._restarts > self.limits.restarts:
            raise StudentCrash(
                Text(en=f"gave up after {self.limits.restarts} restarts of your module",
                ko=f"모듈이 {self.limits.restarts}번 넘게 다시 시작되어 채점을 멈췄습니다"),
            )
        try:
            source = self._check_file()
        except WorkerProblem as problem:
            self._load_failure = problem
            raise
        scratch, output, files = self._prepare_scratch(source)
        spec = WorkerSpec(
            path=os.path.join(scratch, self.path.name),
            display=self.display,
            module_name=self.module_name,
            scratch=scratch,
            output_path=output,
            device=self.device,
            memory_bytes=self.limits.memory_bytes,
            file_bytes=self.limits.file_bytes,
            cpu_seconds=int(self.limits.wall_seconds) + 5,
            source_bytes=self.limits.source_bytes,
            files=files,
            hidden=self.hidden,
            shared=list(self.shared),
            tier=self.tier,
            drop_uid=drop_uid(self.tier, worker_uid(next(_SERIAL))),
            environment=worker_environment(scratch),
        )
        # fewer processes where the count is this worker's own (its own uid, or its namespace)
        spec.max_processes = 64 if spec.drop_uid is not None else 256
        self._output_path = output
        mark_process_has_graded()
        pid, sock = self.zygote.spawn(spec)
        self._restarts += 1
        headroom = 0 if self.device == "cpu" else 2 * 1024**3  # a CUDA context's host memory
        watch = TreeWatch(pid, spec.drop_uid, self.limits.memory_bytes + headroom,
                          base=resident(self.zygote.pid) if self.zygote.pid else 0)
        session = _Session(pid=pid, sock=sock, names=[], watch=watch)
        self._session = session
        try:
            hello = self._receive(session, f"loading {self.display}")
        except WorkerProblem as problem:
            self._load_failure = problem
            raise
        if not hello.get("ok"):
            self._load_failure = self._problem(hello, self.display)
            self._close_session(session)
            raise self._load_failure
        session.names = list(hello.get("names", []))
        return session

    def close(self) -> None:
        if self._session is not None:
            self._close_session(self._session, wait=False)
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _close_session(self, session: _Session, grace: float = 0.2, *, wait: bool = True) -> dict:
        """End the session; with `wait`, how the worker ended (else the fork server reaps it
        meanwhile: the worker flushes its output after every answer, so none is lost)."""
        info: dict = {}
        if session.alive:
            session.alive = False
            try:
                wire.send_frame(session.sock, wire.dump_request({"op": "exit"}))
            except OSError:
                pass
        try:
            session.sock.close()
        except OSError:
            pass
        try:
            if wait:
                info = self.zygote.reap(session.pid, grace)
            else:
                self.zygote.release(session.pid, grace)
        except Exception:
            pass
        self._read_output()
        return info

    def _read_output(self) -> None:
        try:
            with open(self._output_path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                fh.seek(max(0, size - self.limits.output_bytes))
                text = fh.read().decode("utf-8", "replace")
            # every session's output (a restart after a timeout must not drop what came before),
            # without the stack dumps asked for by _where_stuck
            text = re.sub(r"(?m)^(Stack|Current thread 0x[0-9a-f]+|Thread 0x[0-9a-f]+) \(most recent call first\):\n(  File .*\n)*", "", text)
            self.output_tail = (self.output_tail + text)[-self.limits.output_bytes:]
        except (OSError, AttributeError):
            pass

    # -- requests ----------------------------------------------------------------------
    @property
    def time_left(self) -> float:
        return self.limits.wall_seconds - self._spent

    def _receive(self, session: _Session, what: str | Text) -> Any:
        left = min(self.time_left, self.limits.call_seconds)
        if left <= 0:
            self._kill(session)
            raise self._timeout(what)
        start = time.monotonic()
        try:
            self._wait_within_memory(session, start + left, what)
            frame = wire.recv_frame(session.sock, start + left, self.limits.result_bytes)
        except wire.WireTimeout:
            self._spent += time.monotonic() - start
            where = self._where_stuck(session)  # a message only: never trusted for points
            self._kill(session)
            raise self._timeout(what, where) from None
        except wire.WireTooLarge as big:
            self._spent += time.monotonic() - start
            self._kill(session)
            raise StudentError({"type": "ResultTooLarge", "message":
                                f"the result is {big.size} bytes, more than the {big.limit} allowed"}, what) from None
        except wire.WireClosed:
            self._spent += time.monotonic() - start
            info = self._close_session(session)
            raise self._crash(info, what) from None
        self._spent += time.monotonic() - start
        try:
            return wire.load_answer(frame, handle=lambda info: self._handle(session, info), tensor_meta=TensorMeta)
        except wire.BadAnswer as bad:
            self._kill(session)
            raise self._refused(what, str(bad)) from None
        except Exception as exc:  # MemoryError and the like: the answer is the problem, never the scorer
            self._kill(session)
            raise self._refused(what, f"it could not be read ({type(exc).__name__})") from None

    def _refused(self, what: str | Text, reason: str) -> WorkerProblem:
        """An answer that breaks the format or a limit: the grader refuses it, the item gets nothing."""
        return WorkerProblem(
            Text(en=f"the grader refused the answer your code sent while {what_en(what)}: {reason} "
            "(only plain values cross: tensors with their values, numbers, strings, containers)",
            ko=f"{what_ko(what)} 중 코드가 보낸 답을 채점기가 받지 않았습니다: 값이 없는 텐서, 허용되지 않는 자료형, "
               "크기 제한을 넘는 값은 받을 수 없습니다"),
            detail={"kind": "refused", "reason": reason})

    def _wait_within_memory(self, session: _Session, deadline: float, what: str | Text) -> None:
        """Wait until the answer starts to arrive; meanwhile the worker's process tree must stay
        within the memory limit (all its processes together), or all of them are killed."""
        watch = session.watch
        if watch is None or not memory_supported():
            return
        quiet_until = time.monotonic() + 0.05  # most answers come sooner: no measuring at all
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            step = min(deadline - now, quiet_until - now if now < quiet_until else 0.1)
            try:
                readable, _, _ = select.select([session.sock], [], [], max(step, 0.0))
            except (OSError, ValueError):
                return
            if readable:
                return
            if time.monotonic() < quiet_until:
                continue
            pids = watch.over()
            if pids:
                kill_all(pids)
                self._spent += time.monotonic() - (deadline - min(self.time_left, self.limits.call_seconds))
                self._kill(session)
                limit = _size(self.limits.memory_bytes)
                raise StudentCrash(
                    Text(en=f"used more than the memory limit of {limit} (all its processes together) while {what_en(what)}; "
                    "every process of your module was stopped",
                    ko=f"{what_ko(what)} 중 메모리 제한 {limit}을(를) 넘게 사용했습니다 (모든 프로세스를 합쳐서). "
                       "모듈의 모든 프로세스를 멈췄습니다"),
                    detail={"memory_bytes": watch.peak})

    def _handle(self, session: _Session, info: dict) -> "RemoteObject":
        session.objects.add(info["id"])
        return RemoteObject(self, session, info)

    def _kill(self, session: _Session) -> None:
        if session.alive:
            try:
                os.killpg(session.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._close_session(session, grace=0)

    def _where_stuck(self, session: _Session) -> tuple[str, int, str] | None:
        """(file, line, function) of the student's innermost frame when the time limit hit.

        The worker dumps its stack into its output file on SIGUSR1 (faulthandler, registered
        in worker.setup); read back here, it improves the message and never decides a point."""
        path = getattr(self, "_output_path", None)
        if not path or not session.alive:
            return None
        try:
            before = os.path.getsize(path)
            from .memory import tree

            for pid in tree(session.pid):  # the worker dumps its stack; its parents ignore SIGUSR1
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGUSR1)
        except OSError:
            return None
        frame = re.compile(r'File "([^"]*)", line (\d+) in (\S+)')
        deadline = time.monotonic() + 0.5
        ready = False
        while time.monotonic() < deadline:
            time.sleep(0.02)
            try:
                with open(path, "rb") as fh:
                    fh.seek(before)
                    text = fh.read(64 * 1024).decode("utf-8", "replace")
            except OSError:
                return None
            if "most recent call first" not in text:
                continue
            if not ready:  # the dump is written at once by the handler: one more short wait for all of it
                ready = True
                continue
            for name, line, function in frame.findall(text):  # innermost first
                if os.path.basename(name) == self.path.name:
                    return self.path.name, int(line), function
            return None
        return None

    def _timeout(self, what: str | Text, where: tuple[str, int, str] | None = None) -> StudentTimeout:
        at_en = at_ko = ""
        if where is not None:
            at_en = f"; your code was at {where[0]}, line {where[1]} (in {where[2]})"
            at_ko = f". 그때 실행 중이던 곳: {where[0]} {where[1]}번째 줄 ({where[2]} 안)"
        if self.time_left <= 0:
            limit = self.limits.wall_seconds
            return StudentTimeout(
                Text(en=f"time limit of {limit:g} s for all of {self.display} exceeded (while {what_en(what)}){at_en}",
                ko=f"{self.display} 전체 시간 제한 {limit:g}초를 넘었습니다 ({what_ko(what)} 중){at_ko}"),
            )
        limit = self.limits.call_seconds
        return StudentTimeout(
            Text(en=f"time limit {limit:g} s exceeded while {what_en(what)}{at_en}",
            ko=f"{what_ko(what)} 중 시간 제한 {limit:g}초를 넘었습니다{at_ko}"),
        )

    def _crash(self, info: dict, what: str | Text) -> StudentCrash:
        if "signal_name" in info:
            sig = info["signal_name"]
            hint_en = {
                "SIGSEGV": "a segmentation fault",
                "SIGKILL": "killed (often: used too much memory)",
                "SIGXCPU": "CPU time limit exceeded",
                "SIGXFSZ": "file size limit exceeded",
                "SIGABRT": "aborted",
            }.get(sig, sig)
            en = f"your code crashed the worker process while {what_en(what)}: {hint_en} ({sig})"
            ko = f"{what_ko(what)} 중 프로세스가 비정상 종료되었습니다: {hint_en} ({sig})"
        elif "exit_code" in info:
            code = info["exit_code"]
            en = f"your code ended the process while {what_en(what)} (exit code {code}); do not call exit()/os._exit()"
            ko = f"{what_ko(what)} 중 코드가 프로세스를 종료했습니다 (종료 코드 {code}). exit()/os._exit()를 호출하지 마세요"
        else:
            en = f"the worker process ended unexpectedly while {what_en(what)}"
            ko = f"{what_ko(what)} 중 프로세스가 예기치 않게 끝났습니다"
        return StudentCrash(Text(en=en, ko=ko), detail=info)

    def _problem(self, info: dict, context: str) -> WorkerProblem:
        kind = info.get("kind")
        if kind == "missing":
            name = info.get("name")
            if name:
                return StudentMissing(Text(en=f"{name} is not defined in {self.display}",
                                      ko=f"{self.display}에 {name}이(가) 정의되어 있지 않습니다"))
            return StudentMissing(Text(en=f"file missing: {self.display}", ko=f"파일이 없습니다: {self.display}"))
        if kind in ("not_a_file", "too_large", "binary", "encoding"):
            ko = {
                "not_a_file": f"{self.display}은(는) 파일이 아니라 폴더입니다",
                "too_large": f"{self.display} 파일이 너무 큽니다",
                "binary": f"{self.display}은(는) 파이썬 소스가 아닌 바이너리 파일입니다",
                "encoding": f"{self.display}이(가) UTF-8 텍스트가 아닙니다",
            }[kind]
            return WorkerProblem(Text(en=info.get("message", kind), ko=ko), detail=info)
        return StudentError(info, context, self.limits)

    def request(self, message: dict, what: str | Text) -> Any:
        if self.role == "reference":
            try:
                return self._request(message, what)
            except WorkerProblem as problem:
                raise ReferenceProblem(f"reference solution failed while {what_en(what)}: {problem.text.en}") from None
        return self._request(message, what)

    def _request(self, message: dict, what: str | Text) -> Any:
        session = self._start()
        try:
            wire.send_frame(session.sock, wire.dump_request(message))
        except OSError:
            info = self._close_session(session)
            raise self._crash(info, what) from None
        reply = self._receive(session, what)
        if not reply.get("ok"):
            raise self._problem(reply, what)
        return reply["value"]

    # -- the module as the grader sees it ----------------------------------------------
    def names(self) -> list[str]:
        return list(self._start().names)

    def has(self, name: str) -> bool:
        return name in self.names()

    def call(self, target: Any, *args: Any, _keep: bool = False, _to_device: bool = True,
             _what: str | Text | None = None, **kwargs: Any) -> Any:
        """Call `target` in the worker: a module attribute name, a RemoteObject or a trusted callable."""
        if isinstance(target, str):
            wire_target: Any = ("module", target)
            label = target
        else:
            wire_target = target
            label = getattr(target, "__name__", None) or getattr(target, "_td_type", "object").rsplit(".", 1)[-1]
        message = {"op": "call", "target": wire_target, "args": args, "kwargs": kwargs,
                   "keep": _keep, "to_device": _to_device}
        what = _what or f"calling {label}"
        if self.cache is not None and isinstance(target, str) and not _keep:
            key = self._cache_key(message)
            if key is not None:
                if key not in self.cache:
                    value = self.request(message, what)
                    if _contains_remote(value):
                        return value
                    self.cache[key] = value
                return _fresh_copy(self.cache[key])
        return self.request(message, what)

    def _cache_key(self, message: dict) -> bytes | None:
        try:
            return self.module_name.encode() + b"\0" + wire.dump_request(message)
        except Exception:
            return None

    def put(self, value: Any, *, to_device: bool = True) -> "RemoteObject":
        """Send `value` (a tensor, a model, a list of tensors...) to the worker and keep it there.

        The student's code then works on that copy, and the grader can look at it afterwards
        (`fetch()`, attributes, trusted probes), e.g. to see what the student changed in place.
        """
        from ..worker.loop import keep

        return self.call(keep, value, _keep=True, _to_device=to_device, _what="sending data to your module")

    def attr(self, name: str) -> Any:
        """The value of a module-level name (a constant, a class as a RemoteObject...)."""
        return self.request({"op": "encode", "target": ("module", name)}, f"reading {name}")

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return _RemoteName(self, name)

    def __repr__(self) -> str:
        return f"<{self.role} {self.display}>"


class _RemoteName:
    """`student.row_stats`: calling it calls the student's function in the worker."""

    def __init__(self, module: RemoteModule, name: str):
        self._module = module
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._module.call(self.__name__, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<student {self._module.display}:{self.__name__}>"


class RemoteObject:
    """An object that lives in the worker (a model, a dataset, a loader...)."""

    __slots__ = ("_td_module", "_td_session", "_td_id", "_td_type", "_td_mro", "_td_repr", "_td_callable")

    def __init__(self, module: RemoteModule, session: _Session, info: dict):
        object.__setattr__(self, "_td_module", module)
        object.__setattr__(self, "_td_session", session)
        object.__setattr__(self, "_td_id", info["id"])
        object.__setattr__(self, "_td_type", info["type"])
        object.__setattr__(self, "_td_mro", info.get("mro", []))
        object.__setattr__(self, "_td_repr", info.get("repr", ""))
        object.__setattr__(self, "_td_callable", info.get("callable", False))

    @staticmethod
    def __torchdojo_ref__(obj: "RemoteObject") -> int:
        obj._td_check()
        return obj._td_id

    def _td_check(self) -> None:
        if self._td_module._session is not self._td_session or not self._td_session.alive:
            raise StudentCrash(
                Text(en="this object was lost when your module's process was restarted after an earlier problem",
                ko="앞선 문제로 프로세스가 다시 시작되어 이 객체를 잃었습니다"),
            )

    def _td_request(self, message: dict, what: str | Text) -> Any:
        self._td_check()
        return self._td_module.request({"target": self, **message}, what)

    @property
    def type_name(self) -> str:
        """Qualified name of the object's class in the worker, e.g. 'torch.nn.modules.linear.Linear'."""
        return self._td_type

    def isinstance_of(self, qualname: str) -> bool:
        return qualname in self._td_mro

    def same_object(self, other: Any) -> bool:
        return isinstance(other, RemoteObject) and other._td_session is self._td_session and other._td_id == self._td_id

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._td_request({"op": "getattr", "name": name}, f"reading .{name} of {self._short()}")

    def __setattr__(self, name: str, value: Any) -> None:
        self._td_request({"op": "setattr", "name": name, "value": value}, f"setting .{name}")

    def __call__(self, *args: Any, _to_device: bool = True, _keep: bool = False, **kwargs: Any) -> Any:
        return self._td_request({"op": "call", "args": args, "kwargs": kwargs, "to_device": _to_device,
                                 "keep": _keep}, f"calling {self._short()}")

    def __len__(self) -> int:
        return self._td_request({"op": "len"}, f"len() of {self._short()}")

    def __getitem__(self, key: Any) -> Any:
        return self._td_request({"op": "getitem", "key": key}, f"indexing {self._short()}[{key!r}]")

    def fetch(self) -> Any:
        """The object's current value as plain data (tensors with their metadata), if it has one."""
        return self._td_request({"op": "encode"}, f"reading {self._short()}")

    def materialize(self, limit: int = 10_000) -> list:
        """`list(obj)` computed in the worker (iterating a DataLoader, a generator...)."""
        return self._td_request({"op": "list", "limit": limit}, f"iterating {self._short()}")

    def __iter__(self):
        return iter(self.materialize())

    def _short(self) -> str:
        return self._td_type.rsplit(".", 1)[-1]

    def __repr__(self) -> str:
        return f"<remote {self._td_type}: {self._td_repr}>"

    def __reduce__(self):  # only ever pickled through RefPickler's persistent_id
        raise TypeError("RemoteObject cannot be pickled")


# -- decoding answers ---------------------------------------------------------------------

@dataclass(frozen=True)
class TensorMeta:
    """What the worker saw of a tensor before sending its values."""

    shape: tuple[int, ...]
    dtype: str
    device: str
    requires_grad: bool
    is_leaf: bool
    grad_fn: str | None
    contiguous: bool
    is_parameter: bool
    has_grad: bool
    shares_with: tuple[str, ...]


def _contains_remote(value: Any) -> bool:
    if isinstance(value, RemoteObject):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_remote(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_remote(v) for v in value.values())
    return False


def _fresh_copy(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        copy = value.clone()
        meta = value.__dict__.get("_td_meta")
        if meta is not None:
            copy.__dict__["_td_meta"] = meta
        return copy
    if isinstance(value, list):
        return [_fresh_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_fresh_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _fresh_copy(v) for k, v in value.items()}
    return value


def meta_of(t: Any) -> TensorMeta | None:
    """The worker's description of a tensor the student returned (None for other values)."""
    d = getattr(t, "__dict__", None)
    return d.get("_td_meta") if isinstance(d, dict) else None
