"""Helpers of the release tests (imported by the test files)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
MODULE = "01_tensors"


def _lines(paths) -> set[str]:
    out = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            out.add(line.strip())
    return out


def public_text() -> str:
    """What students may see anyway: stubs, the manifest (hints), the torchdojo package (wheel), README, quizzes."""
    paths = [*sorted((ROOT / "exercises").glob("*.py")), ROOT / "README.md", ROOT / "torchdojo.yaml",
             *sorted((ROOT / "quizzes").glob("*.yaml")),
             *sorted(p for p in (ROOT / "src" / "torchdojo").rglob("*")
                     if p.is_file() and p.suffix in (".py", ".yaml", ".ini", ".txt"))]
    from torchdojo.course import load_course

    hints = [t for m in load_course(ROOT).modules for texts in m.hints.values() for h in texts for t in (h.ko, h.en)]
    return "\n".join([*(p.read_text(encoding="utf-8", errors="ignore") for p in paths if p.is_file()), *hints])


def secret_lines() -> dict[str, set[str]]:
    """Distinctive source lines of reference/ and graders/: long, and in nothing students see anyway."""
    public = public_text()
    found = {}
    for folder, minimum in (("reference", 24), ("graders", 30)):
        lines = _lines(sorted((ROOT / folder).glob("*.py")))
        found[folder] = {line for line in lines  # what the stubs show anyway (docstrings) is no secret
                         if len(line) >= minimum and line not in public and not line.startswith(("#", '"""'))}
    return found


def leaked(text: str, secrets: dict[str, set[str]]) -> list[str]:
    return [f"{folder}: {line}" for folder, lines in secrets.items() for line in lines if line in text]


def cells(path: Path) -> list[dict]:
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def source_of(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def grade_id(cell: dict) -> str | None:
    return (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")


_WHEEL: list[Path] = []


def shared_wheel() -> Path:
    """torchdojo's wheel, built once per test process (from a copy of the checkout, no network)."""
    if not _WHEEL:
        import atexit
        import shutil
        import tempfile

        from torchdojo.release.common import build_wheel

        folder = Path(tempfile.mkdtemp(prefix="torchdojo-test-wheel-"))
        atexit.register(shutil.rmtree, folder, True)
        _WHEEL.append(build_wheel(folder))
    return _WHEEL[0]
