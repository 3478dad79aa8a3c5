"""BETWEEN THE SIDES: everything that crosses between the scorer and a worker, and how.

scorer -> fork server: a `WorkerSpec` (trusted data: every decision about the worker).

scorer -> worker: pickle (the scorer is trusted; the worker may unpickle anything it sends).
worker -> scorer: `torch.save` of plain containers and tensors, read back with
`torch.load(weights_only=True)`, so nothing the student wrote can execute in the scorer.
Frames are an 8-byte length followed by the payload.
"""

from __future__ import annotations

import io
import pickle
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


# -- worker -> scorer ------------------------------------------------------------------

def dump_plain(obj: Any) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def load_plain(data: bytes) -> Any:
    """Decode a worker's answer; only tensors and plain containers can come out of it."""
    import torch

    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


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
