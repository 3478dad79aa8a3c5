"""Per-module resource limits: one place, sane defaults, raised per module in course.yaml."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

GIB = 1024**3
MIB = 1024**2


@dataclass(frozen=True)
class Limits:
    """What one worker (one module of one submission) may use."""

    wall_seconds: float = 60.0  # whole module: loading plus every call
    call_seconds: float = 10.0  # one call (or loading the file); a hang costs one item, not all
    memory_bytes: int = 2 * GIB  # new address space on top of the pre-imported torch (CPU)
    file_bytes: int = 64 * MIB  # largest file the student's code may write
    output_bytes: int = 16 * 1024  # captured stdout/stderr shown back at most
    source_bytes: int = 1 * MIB  # largest student source file we load
    result_bytes: int = 256 * MIB  # largest single answer sent back to the scorer
    restarts: int = 3  # fresh workers after a crash/timeout before giving up on the module

    def with_overrides(self, overrides: dict[str, Any] | None) -> "Limits":
        if not overrides:
            return self
        unknown = set(overrides) - set(self.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown limit(s): {', '.join(sorted(unknown))}")
        return replace(self, **overrides)

    def scaled(self, factor: float) -> "Limits":
        return replace(self, wall_seconds=self.wall_seconds * factor)
