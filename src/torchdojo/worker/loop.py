"""WORKER SIDE: the loop inside a worker process: load one module, answer requests, encode results.

Everything here runs after fork in the untrusted process, next to the student's code, which
can replace any of it. It never decides a score: it calls what the scorer asks for and
describes the results (values, tensor metadata); the scorer treats every answer as a claim
and decodes it under its own limits (`torchdojo.wire.load_answer`).
"""

from __future__ import annotations

import os
import socket
import sys
import traceback
import types
from pathlib import Path
from typing import Any

from .. import wire
from ..wire import WorkerSpec
from .setup import prepare_process

MAX_DEPTH = 12
MAX_ITEMS = 100_000
REPR_CHARS = 200


# -- describing values --------------------------------------------------------------------

def _safe_repr(obj: Any) -> str:
    try:
        text = repr(obj)
    except BaseException:
        text = f"<{type(obj).__name__}>"
    return text if len(text) <= REPR_CHARS else text[: REPR_CHARS - 3] + "..."


def _qualname(tp: type) -> str:
    return f"{getattr(tp, '__module__', '?')}.{getattr(tp, '__qualname__', tp.__name__)}"


def _memory_range(obj: Any) -> tuple[int, int] | None:
    import numpy as np
    import torch

    try:
        if isinstance(obj, torch.Tensor) and obj.device.type in ("cpu", "cuda"):
            storage = obj.untyped_storage()
            start = storage.data_ptr()
            return (start, start + storage.nbytes()) if storage.nbytes() else None
        if isinstance(obj, np.ndarray):
            low, high = np.lib.array_utils.byte_bounds(obj) if hasattr(np.lib, "array_utils") else np.byte_bounds(obj)
            return (low, high) if high > low else None
    except Exception:
        return None
    return None


def argument_ranges(args: tuple, kwargs: dict) -> dict[str, tuple[int, int]]:
    """Memory of every tensor/array argument, to tell which results share memory with which."""
    ranges: dict[str, tuple[int, int]] = {}
    named = [(f"args[{i}]", a) for i, a in enumerate(args)] + [(k, v) for k, v in kwargs.items()]
    for name, value in named:
        rng = _memory_range(value)
        if rng:
            ranges[name] = rng
    return ranges


TENSOR_DTYPES = frozenset(wire.TENSOR_DTYPES)
ARRAY_DTYPES = frozenset(wire.ARRAY_DTYPES)


class Encoder:
    """Turns any value into the answer format; what cannot be plain stays here behind a handle.

    Values of tensors, arrays and bytes go to `buffers` (little-endian, in the order the
    header names them); everything else into the JSON-able tree.
    """

    def __init__(self, table: "ObjectTable", buffers: list, arg_ranges: dict[str, tuple[int, int]] | None = None):
        self.table = table
        self.buffers = buffers
        self.arg_ranges = arg_ranges or {}
        self.count = 0

    def encode(self, obj: Any, depth: int = 0) -> Any:
        import numpy as np
        import torch

        self.count += 1
        tp = type(obj)
        if obj is None or tp in (bool, int, float, str):
            return obj
        if depth > MAX_DEPTH or self.count > MAX_ITEMS:
            return self.table.handle(obj)
        if tp is bytes and len(obj) <= wire.MAX_BYTES:
            self.buffers.append(obj)
            return {"t": "bytes", "nbytes": len(obj)}
        if tp is list:
            return [self.encode(v, depth + 1) for v in obj]
        if tp is tuple:
            return {"t": "tuple", "v": [self.encode(v, depth + 1) for v in obj]}
        if tp is dict:
            return {"t": "dict", "v": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in obj.items()]}
        if tp is complex:
            return {"t": "complex", "v": [obj.real, obj.imag]}
        if tp is torch.Tensor or tp is torch.nn.Parameter:
            return self.tensor(obj)
        if tp is np.ndarray and obj.dtype.name in ARRAY_DTYPES:
            data = np.ascontiguousarray(obj).astype(obj.dtype.newbyteorder("<"), copy=False).tobytes()
            self.buffers.append(data)
            return {"t": "ndarray", "dtype": obj.dtype.name, "shape": [int(d) for d in obj.shape], "nbytes": len(data)}
        if isinstance(obj, np.generic) and tp.__module__ == "numpy" and obj.dtype.name in ARRAY_DTYPES:
            value = obj.item()
            if isinstance(value, complex):
                value = [value.real, value.imag]
            return {"t": "npscalar", "value": value, "dtype": obj.dtype.name}
        if tp is torch.dtype:
            return {"t": "dtype", "name": str(obj).removeprefix("torch.")}
        if tp is torch.device:
            return {"t": "device", "name": str(obj)}
        if tp is torch.Size:
            return {"t": "size", "dims": [int(d) for d in obj]}
        return self.table.handle(obj)

    def tensor(self, t: Any) -> Any:
        import torch

        try:
            name = str(t.dtype).removeprefix("torch.")
            if t.layout != torch.strided or t.is_quantized or t.device.type == "meta" or name not in TENSOR_DTYPES:
                return self.table.handle(t)
            meta = {
                "device": str(t.device),
                "requires_grad": bool(t.requires_grad),
                "is_leaf": bool(t.is_leaf),
                "grad_fn": type(t.grad_fn).__name__ if t.grad_fn is not None else None,
                "contiguous": bool(t.is_contiguous()),
                "is_parameter": type(t) is torch.nn.Parameter,
                "has_grad": t.grad is not None if t.is_leaf else False,
                "shares_with": [],
            }
            rng = _memory_range(t)
            if rng:
                meta["shares_with"] = [
                    n for n, (lo, hi) in self.arg_ranges.items() if rng[0] < hi and lo < rng[1]
                ]
            data = t.detach().to("cpu", copy=True).contiguous()
            if data.is_conj():
                data = data.resolve_conj()
            if data.is_neg():
                data = data.resolve_neg()
            raw = memoryview(data.reshape(-1).view(torch.uint8).numpy()) if data.numel() else b""
            self.buffers.append(raw)
            return {"t": "tensor", "dtype": name, "shape": [int(d) for d in t.shape], "nbytes": len(raw),
                    "meta": meta}
        except Exception:
            return self.table.handle(t)


class ObjectTable:
    """Objects that cannot cross as data, kept alive here and named by a number."""

    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.next_id = 1

    def handle(self, obj: Any) -> dict:
        ident = self.ids.get(id(obj))
        if ident is None or self.objects.get(ident) is not obj:
            ident = self.next_id
            self.next_id += 1
            self.objects[ident] = obj
            self.ids[id(obj)] = ident
        tp = type(obj)
        return {
            "t": "handle",
            "id": ident,
            "type": _qualname(tp),
            "mro": [_qualname(c) for c in getattr(tp, "__mro__", (tp,))][:12],
            "repr": _safe_repr(obj),
            "callable": callable(obj),
        }


# -- errors -------------------------------------------------------------------------------

def describe_exception(exc: BaseException, scratch: str) -> dict:
    tb = exc.__traceback__
    where = []
    for frame in traceback.extract_tb(tb):
        filename = frame.filename
        if filename.startswith(scratch + os.sep):
            where.append({
                "file": os.path.relpath(filename, scratch),
                "line": frame.lineno,
                "function": frame.name,
                "code": (frame.line or "")[:200],
            })
    if isinstance(exc, SyntaxError) and exc.filename and str(exc.filename).startswith(scratch):
        where.append({
            "file": os.path.relpath(exc.filename, scratch),
            "line": exc.lineno,
            "function": "<module>",
            "code": (exc.text or "").strip()[:200],
        })
    try:
        message = exc.msg if isinstance(exc, SyntaxError) and type(exc.msg) is str else str(exc)
    except BaseException:
        message = "<unprintable message>"
    tp = type(exc)
    return {
        "ok": False,
        "kind": "exception",
        "type": str(tp.__name__)[:200],
        "mro": [_qualname(c) for c in tp.__mro__][:12],
        "message": message[:2000],
        "where": where[-5:],
    }


def failure(kind: str, message: str, **extra: Any) -> dict:
    return {"ok": False, "kind": kind, "message": message, **extra}


# -- loading ------------------------------------------------------------------------------

def load_module(spec: WorkerSpec) -> tuple[types.ModuleType | None, dict]:
    path = Path(spec.path)  # type: ignore[arg-type]
    if not path.exists():
        return None, failure("missing", f"{spec.display} is missing")
    if path.is_dir():
        return None, failure("not_a_file", f"{spec.display} is a folder, not a file")
    with open(path, "rb") as fh:
        raw = fh.read(spec.source_bytes + 1)
    if len(raw) > spec.source_bytes:
        return None, failure("too_large", f"{spec.display} is larger than {spec.source_bytes} bytes")
    if b"\x00" in raw:
        return None, failure("binary", f"{spec.display} is a binary file, not Python source")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, failure("encoding", f"{spec.display} is not UTF-8 text (byte {exc.start})")
    module = types.ModuleType(spec.module_name)
    module.__file__ = str(path)
    sys.modules[spec.module_name] = module
    try:
        code = compile(text, str(path), "exec")
        exec(code, module.__dict__)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: they are the student's
        info = describe_exception(exc, spec.scratch)
        info["kind"] = "syntax" if isinstance(exc, SyntaxError) else "import"
        return None, info
    names = sorted(n for n in vars(module) if not n.startswith("_"))
    return module, {"ok": True, "names": names}


# -- the request loop ---------------------------------------------------------------------

def _to_device(value: Any, device: str) -> Any:
    """Tensors and modules moved to `device`; a container is rebuilt only if something in it moved,
    so an object the grader left in the worker (`put`) reaches the student as itself."""
    import torch

    if isinstance(value, torch.Tensor) or isinstance(value, torch.nn.Module):
        return value.to(device)
    if type(value) in (list, tuple):
        items = [_to_device(v, device) for v in value]
        return value if all(a is b for a, b in zip(items, value)) else type(value)(items)
    if type(value) is dict:
        moved = {k: _to_device(v, device) for k, v in value.items()}
        return value if all(moved[k] is value[k] for k in value) else moved
    return value


class Worker:
    def __init__(self, sock: socket.socket, spec: WorkerSpec):
        self.sock = sock
        self.spec = spec
        self.table = ObjectTable()
        self.buffers: list = []  # values of the answer being built (see Encoder)
        self.module: types.ModuleType | None = None

    def send(self, message: Any) -> None:
        buffers, self.buffers = self.buffers, []
        try:
            data = wire.dump_answer(message, buffers)
        except BaseException as exc:  # e.g. MemoryError while encoding a huge answer
            data = wire.dump_answer(failure("unsendable", f"the result could not be sent back: {type(exc).__name__}"), [])
        del buffers
        wire.send_frame(self.sock, data)

    def resolve(self, target: Any) -> Any:
        if isinstance(target, tuple) and len(target) == 2 and target[0] == "module":
            if self.module is None:
                raise LookupError("no module loaded")
            name = target[1]
            if not hasattr(self.module, name):
                raise _Missing(name)
            return getattr(self.module, name)
        return target  # an object already resolved by the unpickler (a ref or a trusted callable)

    def handle_request(self, request: dict) -> dict:
        op = request["op"]
        target = self.resolve(request.get("target"))
        if op == "call":
            args = request.get("args", ())
            kwargs = request.get("kwargs", {})
            if request.get("to_device", True) and self.spec.device != "cpu":
                args = _to_device(args, self.spec.device)
                kwargs = _to_device(kwargs, self.spec.device)
            ranges = argument_ranges(args, kwargs)
            result = target(*args, **kwargs)
            encoder = Encoder(self.table, self.buffers, ranges)
            if request.get("keep"):
                return {"ok": True, "value": self.table.handle(result)}
            return {"ok": True, "value": encoder.encode(result)}
        if op == "getattr":
            return {"ok": True, "value": Encoder(self.table, self.buffers).encode(getattr(target, request["name"]))}
        if op == "setattr":
            setattr(target, request["name"], request["value"])
            return {"ok": True, "value": None}
        if op == "len":
            return {"ok": True, "value": int(len(target))}
        if op == "getitem":
            return {"ok": True, "value": Encoder(self.table, self.buffers).encode(target[request["key"]])}
        if op == "list":
            limit = int(request.get("limit", 10_000))
            items = []
            for i, item in enumerate(target):
                if i >= limit:
                    raise OverflowError(f"more than {limit} items")
                items.append(item)
            return {"ok": True, "value": Encoder(self.table, self.buffers).encode(items)}
        if op == "encode":
            return {"ok": True, "value": Encoder(self.table, self.buffers).encode(target)}
        if op == "release":
            ident = request["id"]
            obj = self.table.objects.pop(ident, None)
            if obj is not None:
                self.table.ids.pop(id(obj), None)
            return {"ok": True, "value": None}
        if op == "names":
            names = sorted(n for n in vars(self.module) if not n.startswith("_")) if self.module else []
            return {"ok": True, "value": names}
        raise ValueError(f"unknown op {op!r}")

    def serve(self) -> None:
        if self.spec.path is not None:
            self.module, hello = load_module(self.spec)
        else:
            hello = {"ok": True, "names": []}
        self.send(hello)
        if self.module is None and self.spec.path is not None:
            return
        while True:
            try:
                frame = wire.recv_frame(self.sock)
            except wire.WireClosed:
                return
            try:
                request = wire.load_request(frame, self.table.objects)
            except BaseException as exc:
                self.send(failure("internal", f"bad request: {type(exc).__name__}: {exc}"))
                continue
            if request.get("op") == "exit":
                return
            try:
                reply = self.handle_request(request)
            except _Missing as missing:
                self.buffers = []
                reply = failure("missing", f"{missing.name} is not defined in {self.spec.display}", name=missing.name)
            except BaseException as exc:  # the student's exception, whatever it is
                self.buffers = []
                reply = describe_exception(exc, self.spec.scratch)
            _flush_output()  # what the student printed is in the file before the answer leaves
            self.send(reply)


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # a student's replacement stream: its problem, not the answer's
            pass


def keep(value: Any) -> Any:
    """Identity, called in the worker by `RemoteModule.put` to leave a value there."""
    return value


class _Missing(Exception):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def worker_main(sock_fd: int, spec: WorkerSpec) -> int:
    """Entry point in the freshly forked child; returns the exit status."""
    prepare_process(sock_fd, spec)
    sock = socket.socket(fileno=sock_fd)
    try:
        Worker(sock, spec).serve()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:
            pass
    return 0
