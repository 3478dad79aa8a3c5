"""What one grading run is given (GradingContext) and what it gives back (RunRecord)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ..course import Course, load_course
from ..i18n import Text
from ..sandbox.limits import Limits
from ..sandbox.remote import RemoteModule
from ..sandbox.zygote import Zygote


def make_data_root(parent: str | None = None) -> str:
    """The run's folder for grader-written data; made before any worker so every worker sees it."""
    import tempfile

    root = tempfile.mkdtemp(prefix="torchdojo-data-", dir=parent)
    os.chmod(root, 0o755)
    return root


def reference_spent(remote: RemoteModule) -> bool:
    """Has this reference module used part of its failure budget (a crash, a timeout, a failed load)?

    Such a module is not kept for the next submission: a fresh one gets the whole budget, so
    transient failures never add up over a class run. A module that only started once is kept
    warm. (Reads RemoteModule's own counters; if they are not there, it is never kept.)"""
    if getattr(remote, "_load_failure", None) is not None:
        return True
    starts = getattr(remote, "_restarts", None)
    if not isinstance(starts, int):
        return True
    if starts == 0:
        return False
    session = getattr(remote, "_session", None)  # one start, still alive: the whole budget is left
    return not (starts == 1 and session is not None and getattr(session, "alive", False) is True)


@dataclass
class TestOutcome:
    """One pytest test of a grader, as the scorer saw it."""

    nodeid: str
    module: str
    item: str
    function: str
    points: float
    status: str
    text: Text = field(default_factory=Text)


@dataclass
class RunRecord:
    """What one pytest run over the graders found: returned by the run, never read from the context."""

    outcomes: list[TestOutcome] = field(default_factory=list)
    collection_errors: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # module -> the tail of what the student printed
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class GradingContext:
    """Everything a grader fixture needs: where the code is, the sandbox, the seed."""

    zygote: Zygote
    submission: Path
    reference: Path
    device: str = "cpu"
    seed: int = 0
    base_limits: Limits = field(default_factory=Limits)
    course: Course = field(default_factory=load_course)
    # kept across submissions of one run: reference workers and their answers
    reference_modules: dict[str, RemoteModule] = field(default_factory=dict)
    reference_cache: dict[bytes, Any] = field(default_factory=dict)
    tier: str = "basic"
    hidden: list[str] = field(default_factory=list)  # folders student code must not see
    data_root: str | None = None  # where graders put files a worker reads (data_dir fixture)
    shared: list[str] = field(default_factory=list)  # data_root, once made: visible to new workers
    _data_dirs: list[str] = field(default_factory=list)
    keep_artifacts: bool = False
    fixed_cases_only: bool = False  # drop the random cases of every battery (the mutant proof)

    def limits(self, module: str) -> Limits:
        return self.course.module(module).limits_for(self.base_limits)

    def student_module(self, module: str) -> RemoteModule:
        return RemoteModule(
            self.zygote, path=self.submission / f"{module}.py", submission=self.submission,
            module_name=module, limits=self.limits(module), device=self.device, role="student",
            tier=self.tier, hidden=[*self.hidden, str(self.submission)], shared=self.shared,
        )

    def reference_module(self, module: str) -> RemoteModule:
        remote = self.reference_modules.get(module)
        if remote is None:
            remote = RemoteModule(
                self.zygote, path=self.reference / f"{module}.py", submission=self.reference,
                module_name=module, limits=self.limits(module).scaled(3), device=self.device,
                role="reference", cache=self.reference_cache, tier=self.tier, hidden=self.hidden,
                shared=self.shared,
            )
            self.reference_modules[module] = remote
        return remote

    def new_data_dir(self) -> Path:
        """A folder the grader writes and every worker can read (not hidden, world-readable)."""
        import tempfile

        if self.data_root is None:
            self.data_root = make_data_root()
            self.shared.append(self.data_root)
        path = tempfile.mkdtemp(dir=self.data_root)
        os.chmod(path, 0o755)
        self._data_dirs.append(path)
        return Path(path)

    def seed_for(self, nodeid: str) -> int:
        digest = hashlib.sha256(f"{self.seed}:{nodeid}".encode()).digest()
        return int.from_bytes(digest[:6], "big")

    def remove_data(self) -> None:
        """Drop this submission's data folders (the root stays: live workers see it)."""
        import shutil

        for path in self._data_dirs:
            shutil.rmtree(path, ignore_errors=True)
        self._data_dirs.clear()


# where a grading run's configuration and record travel inside pytest (set by the Scorer's run,
# or by the plugin itself when a grader is run by hand)
CONTEXT = pytest.StashKey[GradingContext]()
RECORD = pytest.StashKey[RunRecord]()
