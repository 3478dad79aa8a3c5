"""The student's progress between runs: the last result of every module, kept OUT of the
submission folder (what students hand in must hold only their own files).

`check DIR` merges what it graded into one file per folder, keyed by the folder's real path:
`<course root>/.torchdojo/progress/<folder name>-<hash>.json` (the course root holds
torchdojo.yaml; `.torchdojo/` is not part of what students zip), or, where the course root is
not writable (an installed course, a read-only checkout), the user's state folder
(`$XDG_STATE_HOME/torchdojo/progress/`, default `~/.local/state/torchdojo/progress/`).
`list` and `hint` read it to show progress and to find the next unfinished item.

A state file that older versions wrote into `<DIR>/.torchdojo/state.json` is still read (once,
when there is no new one) and removed at the next save, so it no longer travels in the zip.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

from ..sandbox.files import UnsafeFile, is_link, read_regular_file
from .report import ModuleResult, SubmissionReport, submission_from_dict

LEGACY_STATE = Path(".torchdojo") / "state.json"  # where versions before issue 16 kept it
STATE_BYTES = 8 * 1024 * 1024  # far above any real state file (messages are capped)
STATE_ENV = "TORCHDOJO_STATE_DIR"  # a folder for progress files (tests, read-only course roots)


def _key(submission: Path) -> str:
    real = os.path.realpath(os.fspath(submission))
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(real).name)[:40] or "folder"
    return f"{name}-{hashlib.sha256(real.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}.json"


def _user_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "torchdojo" / "progress"


def state_dirs() -> list[Path]:
    """Where progress files go, in order of preference."""
    explicit = os.environ.get(STATE_ENV, "").strip()
    if explicit:
        return [Path(explicit)]
    places = []
    try:
        from ..course import load_course

        root = load_course().root
        if root is not None:
            places.append(Path(root) / ".torchdojo" / "progress")
    except Exception:
        pass
    places.append(_user_state_dir())
    return places


def legacy_state_path(submission: Path) -> Path:
    return Path(submission) / LEGACY_STATE


def _read(path: Path, root: Path | None) -> dict[str, ModuleResult] | None:
    try:  # never through a link (the folder is the student's; `check` may run as root)
        raw = read_regular_file(path, STATE_BYTES, root=root)
        data = json.loads(raw.decode("utf-8", errors="replace"))
        report = submission_from_dict({"modules": data["modules"]})
    except (OSError, UnsafeFile, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return {m.name: m for m in report.modules}


def load_state(submission: Path) -> dict[str, ModuleResult]:
    """Last known result per module (empty when never checked or unreadable)."""
    key = _key(Path(submission))
    for folder in state_dirs():
        found = _read(folder / key, folder)
        if found is not None:
            return found
    return _read(legacy_state_path(submission), Path(submission)) or {}


def _write(path: Path, text: str) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if is_link(path.parent):
            return False
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        with open(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except (OSError, ValueError):
        return False
    return True


def _remove_legacy(submission: Path) -> None:
    """Remove the state file older versions wrote into the student's folder (never through a link)."""
    legacy = legacy_state_path(submission)
    try:
        if is_link(legacy.parent) or is_link(legacy):
            return
        info = os.lstat(legacy)
        if stat.S_ISREG(info.st_mode) and info.st_nlink == 1:
            os.unlink(legacy)
        if not any(legacy.parent.iterdir()):
            legacy.parent.rmdir()
    except OSError:
        pass


def save_state(submission: Path, report: SubmissionReport) -> Path | None:
    """Merge `report` into the folder's progress file; returns where it went (None: nowhere
    writable, which is not an error).

    A submission whose `.torchdojo` is a symbolic link gets no progress at all: nothing is read
    or written through it, and no file elsewhere takes its place."""
    submission = Path(submission)
    if is_link(legacy_state_path(submission).parent):
        return None
    modules = load_state(submission)
    for module in report.modules:
        modules[module.name] = module
    data: dict[str, Any] = {
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "submission": os.path.realpath(os.fspath(submission)),
        "modules": [m.to_dict() for m in modules.values()],
    }
    text = json.dumps(data, ensure_ascii=False, indent=1)
    key = _key(submission)
    for folder in state_dirs():
        if _write(folder / key, text):
            _remove_legacy(submission)
            return folder / key
    return None


def first_unfinished(modules: dict[str, ModuleResult], order: list[str]) -> tuple[str, str] | None:
    """(module, item) of the first item not passed, in course order."""
    for name in order:
        module = modules.get(name)
        if module is None:
            return None if not modules else (name, "")
        for item in module.items:
            if item.status != "passed":
                return name, item.name
    return None
