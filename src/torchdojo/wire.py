"""BETWEEN THE SIDES: everything that crosses between the scorer and a worker, and how.

scorer -> fork server: a `WorkerSpec` (trusted data: every decision about the worker).

scorer -> worker: pickle (the scorer is trusted; the worker may unpickle anything it sends).
worker -> scorer: an *answer* (see `load_answer`), written by code the student can rewrite, so
the scorer reads it as an attacker's data: no pickle, no zip, no torch.load. An answer is

    b"TDA1" | u32 little-endian header length | header (ASCII JSON) | raw buffers

The header describes the value tree; tensors, arrays and bytes name their dtype and shape,
and their values are little-endian buffers following the header, in the order they appear.
Before anything is materialised, the scorer checks every size: the header against
`MAX_HEADER`, dtypes against an allow-list, ranks, dims, numel * itemsize against what is
left of the frame (itself capped by `Limits.result_bytes`), depth and item counts, string
lengths (lone surrogates replaced), the fields of handles and of exception descriptions.
Frames are an 8-byte length followed by the payload.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import re
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

HEADER = struct.Struct("!Q")


@dataclass
class WorkerSpec:
    """What the scorer tells a new worker (pickled to the fork server; all trusted data)."""

    path: str | None  # the file to load (inside scratch); None: no module (probes only)
    display: str  # how the student sees the file, e.g. "01_tensors.py"
    module_name: str  # key in sys.modules, e.g. "01_tensors"
    scratch: str  # working directory; a copy of the submission
    output_path: str  # where stdout/stderr go
    device: str = "cpu"
    memory_bytes: int = 2 * 1024**3
    file_bytes: int = 64 * 1024**2
    cpu_seconds: int = 60
    source_bytes: int = 1024**2
    limit_address_space: bool = True
    files: dict[str, bytes] = field(default_factory=dict)  # the submission's .py files, copied into scratch
    hidden: list[str] = field(default_factory=list)  # folders covered by an empty tmpfs (namespaces tier)
    shared: list[str] = field(default_factory=list)  # folders the grader wrote for the student to read
    tier: str = "basic"
    scratch_bytes: int = 256 * 1024**2
    max_processes: int = 64
    drop_uid: int | None = None  # who runs the student's code (None: stay who we are)
    environment: dict[str, str] = field(default_factory=dict)  # the worker's whole environment


class WireClosed(Exception):
    """The other side closed the connection (the worker died or exited)."""


class WireTimeout(Exception):
    """No complete frame arrived before the deadline."""


class WireTooLarge(Exception):
    """A frame announced more bytes than the receiver accepts."""

    def __init__(self, size: int, limit: int):
        super().__init__(f"{size} bytes > limit {limit}")
        self.size = size
        self.limit = limit


def send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(HEADER.pack(len(payload)) + payload)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes:
    chunks = []
    remaining = n
    while remaining:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise WireTimeout()
            sock.settimeout(left)
        else:
            sock.settimeout(None)
        try:
            chunk = sock.recv(min(remaining, 1 << 20))
        except socket.timeout:
            raise WireTimeout() from None
        except (ConnectionResetError, BrokenPipeError, OSError) as exc:
            raise WireClosed(str(exc)) from None
        if not chunk:
            raise WireClosed("connection closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_frame(sock: socket.socket, deadline: float | None = None, limit: int | None = None) -> bytes:
    (size,) = HEADER.unpack(_recv_exact(sock, HEADER.size, deadline))
    if limit is not None and size > limit:
        raise WireTooLarge(size, limit)
    return _recv_exact(sock, size, deadline)


# -- scorer -> worker ------------------------------------------------------------------

class RefPickler(pickle.Pickler):
    """Pickles scorer-side proxies of worker objects as references into the worker's table."""

    def persistent_id(self, obj: Any) -> Any:
        ref = getattr(type(obj), "__torchdojo_ref__", None)
        if ref is not None:
            return ("ref", ref(obj))
        return None


def dump_request(obj: Any) -> bytes:
    buf = io.BytesIO()
    RefPickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


class RefUnpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, table: dict[int, Any]):
        super().__init__(file)
        self._table = table

    def persistent_load(self, pid: Any) -> Any:
        kind, ident = pid
        if kind != "ref" or ident not in self._table:
            raise pickle.UnpicklingError(f"unknown object reference {pid!r}")
        return self._table[ident]


def load_request(data: bytes, table: dict[int, Any]) -> Any:
    return RefUnpickler(io.BytesIO(data), table).load()


# -- worker -> scorer: answers ---------------------------------------------------------

ANSWER_MAGIC = b"TDA1"
PREFIX = struct.Struct("<4sI")
MAX_HEADER = 4 * 1024**2  # JSON describing the value tree (values of tensors are not in it)
MAX_DEPTH = 64  # nesting of the tree (the worker's encoder hands out handles below 12 levels)
MAX_ITEMS = 200_000  # nodes of one answer
MAX_RANK = 32
MAX_DIM = 1 << 48
MAX_STR = 100_000  # characters of one string value (longer ones are cut)
MAX_BYTES = 1 << 20  # one bytes value
MAX_NAMES = 10_000  # names a module may define (hello)
NAME_CHARS = 200  # type names, qualified names, reprs, file and function names
MESSAGE_CHARS = 2000  # an exception's message
MAX_MRO = 16
MAX_WHERE = 5
FAILURE_KINDS = frozenset({"exception", "import", "syntax", "missing", "not_a_file", "too_large", "binary",
                           "encoding", "unsendable", "internal"})
TENSOR_DTYPES = ("float16", "float32", "float64", "bfloat16", "complex64", "complex128",
                 "int8", "int16", "int32", "int64", "uint8", "bool")
ARRAY_DTYPES = ("float16", "float32", "float64", "complex64", "complex128", "int8", "int16", "int32", "int64",
                "uint8", "uint16", "uint32", "uint64", "bool")
_DEVICE = re.compile(r"(cpu|cuda|mps|meta|xpu)(:[0-9]{1,3})?")
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadAnswer(ValueError):
    """The worker's answer breaks the format or a limit; the message says which (our words only)."""


def dump_answer(message: Any, buffers: list) -> bytes:
    """Worker side: `message` is JSON-able (tagged nodes for non-JSON values), `buffers` their bytes."""
    header = json.dumps(message, separators=(",", ":")).encode("ascii")
    return b"".join([PREFIX.pack(ANSWER_MAGIC, len(header)), header, *buffers])


def text(value: Any, limit: int = NAME_CHARS) -> str:
    """A string from the worker made safe to show and store: capped, lone surrogates replaced."""
    if type(value) is not str:
        return ""
    if len(value) > limit:
        value = value[: max(0, limit - 1)] + "…"
    return _SURROGATE.sub("\ufffd", value)


def _flag(value: Any) -> bool:
    return value is True


class _Reader:
    def __init__(self, data: memoryview, handle: Any, tensor_meta: Any):
        self.data = data
        self.cursor = 0
        self.count = 0
        self.handle = handle
        self.tensor_meta = tensor_meta

    def take(self, nbytes: Any) -> memoryview:
        if type(nbytes) is not int or nbytes < 0 or self.cursor + nbytes > len(self.data):
            raise BadAnswer("a value announces more bytes than the answer holds")
        chunk = self.data[self.cursor:self.cursor + nbytes]
        self.cursor += nbytes
        return chunk

    def shape(self, dims: Any) -> tuple[int, ...]:
        if type(dims) is not list or len(dims) > MAX_RANK:
            raise BadAnswer("a tensor's shape is not a short list of sizes")
        for d in dims:
            if type(d) is not int or not 0 <= d <= MAX_DIM:
                raise BadAnswer("a tensor's shape holds something other than a size")
        return tuple(dims)

    def value(self, node: Any, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_ITEMS:
            raise BadAnswer(f"more than {MAX_ITEMS} values in one answer")
        if depth > MAX_DEPTH:
            raise BadAnswer(f"values nested more than {MAX_DEPTH} levels deep")
        tp = type(node)
        if node is None or tp is bool or tp is int or tp is float:
            return node
        if tp is str:
            return text(node, MAX_STR)
        if tp is list:
            return [self.value(v, depth + 1) for v in node]
        if tp is not dict:
            raise BadAnswer("unknown kind of value")
        tag = node.get("t")
        if tag == "tuple":
            items = node.get("v")
            if type(items) is not list:
                raise BadAnswer("a tuple without items")
            return tuple(self.value(v, depth + 1) for v in items)
        if tag == "dict":
            pairs = node.get("v")
            if type(pairs) is not list:
                raise BadAnswer("a dict without items")
            out = {}
            for pair in pairs:
                if type(pair) is not list or len(pair) != 2:
                    raise BadAnswer("a dict item is not a key and a value")
                out[_hashable(self.value(pair[0], depth + 1))] = self.value(pair[1], depth + 1)
            return out
        if tag == "tensor":
            return self.tensor(node)
        if tag == "ndarray":
            return self.ndarray(node)
        if tag == "bytes":
            n = node.get("nbytes")
            if type(n) is not int or n > MAX_BYTES:
                raise BadAnswer("a bytes value over 1 MiB")
            return bytes(self.take(n))
        if tag == "npscalar":
            return self.npscalar(node)
        if tag == "complex":
            parts = node.get("v")
            if type(parts) is not list or len(parts) != 2 or not all(type(p) in (int, float) for p in parts):
                raise BadAnswer("a complex number without its two parts")
            return complex(parts[0], parts[1])
        if tag == "dtype":
            import torch

            name = node.get("name")
            dt = getattr(torch, name, None) if type(name) is str and len(name) <= 32 and name.isidentifier() else None
            if not isinstance(dt, torch.dtype):
                raise BadAnswer("an unknown dtype")
            return dt
        if tag == "device":
            import torch

            name = node.get("name")
            if type(name) is not str or not _DEVICE.fullmatch(name):
                raise BadAnswer("an unknown device")
            return torch.device(name)
        if tag == "size":
            import torch

            return torch.Size(self.shape(node.get("dims")))
        if tag == "handle":
            return self.handle(self.handle_info(node))
        raise BadAnswer("unknown kind of value")

    def tensor(self, node: dict) -> Any:
        import torch

        name = node.get("dtype")
        if name not in TENSOR_DTYPES:
            raise BadAnswer("a tensor of a dtype the grader does not accept")
        dtype = getattr(torch, name)
        shape = self.shape(node.get("shape"))
        numel = math.prod(shape)
        nbytes = numel * dtype.itemsize
        if node.get("nbytes") != nbytes:
            raise BadAnswer("a tensor whose values do not match its shape and dtype")
        chunk = self.take(nbytes)  # the values must be there: no tensor without values
        if numel == 0:
            tensor = torch.empty(shape, dtype=dtype)
        elif dtype is torch.bool:  # any byte but 0/1 would be an invalid bool
            tensor = torch.frombuffer(bytearray(chunk), dtype=torch.uint8).ne(0).reshape(shape)
        else:
            tensor = torch.frombuffer(bytearray(chunk), dtype=dtype).reshape(shape)
        meta = node.get("meta")
        if type(meta) is dict and self.tensor_meta is not None:
            shares = meta.get("shares_with")
            shares = [text(x, 64) for x in shares[:32]] if type(shares) is list else []
            grad_fn = meta.get("grad_fn")
            device = meta.get("device")
            tensor.__dict__["_td_meta"] = self.tensor_meta(
                shape=shape, dtype=name, device=device if type(device) is str and _DEVICE.fullmatch(device) else "cpu",
                requires_grad=_flag(meta.get("requires_grad")), is_leaf=_flag(meta.get("is_leaf")),
                grad_fn=text(grad_fn, 100) if type(grad_fn) is str else None,
                contiguous=_flag(meta.get("contiguous")), is_parameter=_flag(meta.get("is_parameter")),
                has_grad=_flag(meta.get("has_grad")), shares_with=tuple(shares))
        return tensor

    def ndarray(self, node: dict) -> Any:
        import numpy as np

        name = node.get("dtype")
        if name not in ARRAY_DTYPES:
            raise BadAnswer("an array of a dtype the grader does not accept")
        dtype = np.dtype(name).newbyteorder("<")
        shape = self.shape(node.get("shape"))
        nbytes = math.prod(shape) * dtype.itemsize
        if node.get("nbytes") != nbytes:
            raise BadAnswer("an array whose values do not match its shape and dtype")
        chunk = bytearray(self.take(nbytes))
        if name == "bool":
            return (np.frombuffer(chunk, dtype=np.uint8) != 0).reshape(shape)
        return np.frombuffer(chunk, dtype=dtype).astype(np.dtype(name), copy=False).reshape(shape)

    def npscalar(self, node: dict) -> Any:
        import numpy as np

        name = node.get("dtype")
        value = node.get("value")
        if name not in ARRAY_DTYPES:
            raise BadAnswer("a numpy scalar of a dtype the grader does not accept")
        if name.startswith("complex"):
            if type(value) is not list or len(value) != 2 or not all(type(p) in (int, float) for p in value):
                raise BadAnswer("a complex numpy scalar without its two parts")
            value = complex(value[0], value[1])
        elif name == "bool":
            if type(value) is not bool:
                raise BadAnswer("a numpy bool that is not a bool")
        elif type(value) not in (int, float) or (name[0] in "iu" and type(value) is not int):
            raise BadAnswer("a numpy scalar that is not a number")
        elif type(value) is int and abs(value) >= 1 << 64:
            raise BadAnswer("a numpy integer out of range")
        try:
            return np.dtype(name).type(value)
        except (OverflowError, ValueError, TypeError):
            raise BadAnswer("a numpy scalar out of range") from None

    def handle_info(self, node: dict) -> dict:
        ident = node.get("id")
        if type(ident) is not int or not 0 < ident < 1 << 62:
            raise BadAnswer("an object handle without a valid number")
        mro = node.get("mro")
        return {
            "id": ident,
            "type": text(node.get("type")) or "?",
            "mro": [text(c) for c in mro[:MAX_MRO]] if type(mro) is list else [],
            "repr": text(node.get("repr")),
            "callable": _flag(node.get("callable")),
        }


def _hashable(key: Any) -> Any:
    try:
        hash(key)
        return key
    except TypeError:
        return repr(key)[:NAME_CHARS]


def _failure(envelope: dict) -> dict:
    """A worker's description of a failure, every field checked and capped."""
    kind = envelope.get("kind")
    info: dict = {"ok": False, "kind": kind if kind in FAILURE_KINDS else "exception"}
    if type(envelope.get("type")) is str:
        info["type"] = text(envelope["type"]) or "Exception"
    mro = envelope.get("mro")
    info["mro"] = [text(c) for c in mro[:MAX_MRO] if type(c) is str] if type(mro) is list else []
    info["message"] = text(envelope.get("message"), MESSAGE_CHARS)
    where = envelope.get("where")
    entries = []
    for entry in where[-MAX_WHERE:] if type(where) is list else ():
        if type(entry) is not dict:
            continue
        line = entry.get("line")
        entries.append({"file": text(entry.get("file")) or "?",
                        "line": line if type(line) is int and 0 <= line < 10**7 else 0,
                        "function": text(entry.get("function")), "code": text(entry.get("code"))})
    info["where"] = entries
    if type(envelope.get("name")) is str:
        info["name"] = text(envelope["name"])
    return info


def load_answer(frame: bytes, *, handle: Any = None, tensor_meta: Any = None) -> dict:
    """Scorer side: the worker's answer, every size checked before anything is materialised.

    `handle(info)` turns a validated handle description into the scorer's proxy;
    `tensor_meta(**fields)` builds the (untrusted) metadata kept on a decoded tensor.
    Returns {"ok": True, "value": ..., "names": [...]} or a checked failure description.
    Raises BadAnswer.
    """
    if len(frame) < PREFIX.size:
        raise BadAnswer("an answer shorter than its header")
    magic, size = PREFIX.unpack_from(frame)
    if magic != ANSWER_MAGIC:
        raise BadAnswer("not an answer in torchdojo's format")
    if size > MAX_HEADER or PREFIX.size + size > len(frame):
        raise BadAnswer(f"an answer whose description is over {MAX_HEADER // 1024**2} MiB or cut short")
    view = memoryview(frame)
    try:
        envelope = json.loads(bytes(view[PREFIX.size:PREFIX.size + size]).decode("ascii"))
    except (ValueError, RecursionError, UnicodeDecodeError):
        raise BadAnswer("an answer whose description is not readable") from None
    if type(envelope) is not dict or type(envelope.get("ok")) is not bool:
        raise BadAnswer("an answer without a status")
    if not envelope["ok"]:
        return _failure(envelope)
    reader = _Reader(view[PREFIX.size + size:], handle or (lambda info: info), tensor_meta)
    try:
        value = reader.value(envelope.get("value"), 0)
    except RecursionError:
        raise BadAnswer("values nested too deeply") from None
    if reader.cursor != len(reader.data):
        raise BadAnswer("an answer with bytes that belong to no value")
    names = envelope.get("names")
    names = [text(n) for n in names[:MAX_NAMES] if type(n) is str] if type(names) is list else []
    return {"ok": True, "value": value, "names": names}
