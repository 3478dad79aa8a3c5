"""Choosing the device without touching CUDA in the scorer (a CUDA context must not be forked)."""

from __future__ import annotations

import os

from ..errors import UsageError


def cuda_available() -> bool:
    """Asked in a short-lived child so that neither the scorer nor the fork server opens CUDA."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        answer = b"0"
        try:
            import torch

            answer = b"1" if torch.cuda.is_available() else b"0"
        except BaseException:
            pass
        os.write(write, answer)
        os._exit(0)
    os.close(write)
    try:
        answer = os.read(read, 1)
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    return answer == b"1"


def resolve_device(requested: str) -> str:
    """'auto' -> cuda when a GPU is there, else cpu; 'cuda' without one is a clear error."""
    requested = (requested or "auto").lower()
    if requested == "cpu":
        return "cpu"
    if requested not in ("auto", "cuda"):
        raise UsageError(f"unknown device {requested!r}: use auto, cpu or cuda")
    has_cuda = cuda_available()
    if requested == "cuda" and not has_cuda:
        raise UsageError("--device cuda was asked for, but PyTorch sees no CUDA GPU here "
                         "(CUDA 장치가 없습니다); use --device cpu or auto")
    return "cuda" if has_cuda else "cpu"
