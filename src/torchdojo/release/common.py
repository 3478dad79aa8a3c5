"""Shared by the release commands: output folders, the torchdojo wheel, external tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable

from ..errors import UsageError


def _dangerous(out: Path) -> str | None:
    out = out.resolve()
    home = Path.home().resolve()
    source = Path(__file__).resolve().parents[3]
    if out == Path(out.anchor) or out == home:
        return "it is a root or home folder"
    if (out / ".git").exists():
        return "it holds a .git folder"
    if out == source or out in source.parents:
        return "it holds torchdojo's own source"
    return None


def prepare_out(out: Path, force: bool, keep: Iterable[str] = ()) -> Path:
    """An empty (or emptied, with --force) folder to write a release into.

    `keep`: names of entries --force leaves in place (e.g. an nbgrader course's submissions)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder (폴더가 아닙니다)")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise UsageError(f"{out}: folder is not empty; use --force to replace it "
                             f"(폴더가 비어 있지 않습니다. 덮어쓰려면 --force)")
        why = _dangerous(out)
        if why:
            raise UsageError(f"{out}: refusing to empty it with --force: {why}")
        keep = set(keep)
        for entry in out.iterdir():
            if entry.name in keep:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    return out


def prepare_out_file(out: Path, force: bool) -> Path:
    out = Path(out)
    if out.is_dir():
        raise UsageError(f"{out}: is a folder; give a file name such as autograder.zip")
    if out.exists() and not force:
        raise UsageError(f"{out}: file exists; use --force to replace it (파일이 이미 있습니다. 덮어쓰려면 --force)")
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def source_checkout() -> Path | None:
    """The project folder torchdojo runs from (pyproject.toml and src/torchdojo), if any."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "src" / "torchdojo").is_dir():
        return root
    return None


def build_wheel(dest: Path, wheel: Path | None = None) -> Path:
    """Copy `wheel` into `dest`, or build torchdojo's wheel there from the source checkout.

    Builds from a clean copy (pyproject.toml, README.md, src/torchdojo) in a temporary folder,
    with `pip wheel --no-deps --no-build-isolation` (no network), so the checkout is untouched."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if wheel is not None:
        wheel = Path(wheel)
        if not (wheel.is_file() and wheel.name.endswith(".whl")):
            raise UsageError(f"{wheel}: not a wheel file (.whl)")
        target = dest / wheel.name
        shutil.copyfile(wheel, target)
        return target
    root = source_checkout()
    if root is None:
        raise UsageError("torchdojo is not installed from a source checkout, so it cannot build its wheel; "
                         "pass --wheel torchdojo-*.whl")
    with tempfile.TemporaryDirectory(prefix="torchdojo-wheel-") as tmp:
        copy = Path(tmp) / "src-copy"
        copy.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE.txt", "setup.cfg", "MANIFEST.in"):
            if (root / name).is_file():
                shutil.copy2(root / name, copy / name)
        shutil.copytree(root / "src" / "torchdojo", copy / "src" / "torchdojo",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
        out = Path(tmp) / "dist"
        base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(copy)]
        done = subprocess.run([*base[:4], "--no-build-isolation", *base[4:]], capture_output=True, text=True)
        if done.returncode != 0:  # no setuptools here: let pip fetch the build backend
            done = subprocess.run(base, capture_output=True, text=True)
        wheels = sorted(out.glob("torchdojo-*.whl"))
        if done.returncode != 0 or not wheels:
            raise UsageError("building the torchdojo wheel failed: " + (done.stderr or done.stdout).strip()[-800:])
        target = dest / wheels[0].name
        shutil.copyfile(wheels[0], target)
        return target


def run_tool(cmd: list[str], cwd: Path, what: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("TORCHDOJO_HOME", None)
    # nbgrader runs helper programs (alembic) by name: the venv's bin folder must be on PATH
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout)
    except FileNotFoundError as exc:
        raise UsageError(f"{what}: {cmd[0]} not found") from exc
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise UsageError(f"{what} failed (exit {done.returncode}):\n{tail}")
    return done


def refuse_solved_stubs(names: list[str]) -> None:
    """Every stub in the course's exercises/ must still score 0: a solved copy is never released.

    Grades the stubs (they stop at their first NotImplementedError, so this takes seconds) and
    raises CourseError naming each stub that scores points or is missing.
    """
    from ..course import load_course
    from ..errors import CourseError
    from ..grading.runner import Scorer

    course = load_course()
    folder = course.exercises_dir
    missing = [str(folder / course.module(n).filename) for n in names if not (folder / course.module(n).filename).is_file()]
    if missing:
        raise CourseError(f"no stub to release: {', '.join(missing)} (배포할 연습 문제 파일이 없습니다)")
    with Scorer(device="cpu", lang="en", course=course) as scorer:
        report = scorer.score(folder, names)
    solved = [f"{folder / (m.name + '.py')} ({m.score:g}/{m.max_score:g})" for m in report.modules if m.score > 0]
    if solved:
        raise CourseError(
            "refusing to release stubs that already score points (a solved copy in exercises/?): "
            + ", ".join(solved) + ". Restore the stubs (e.g. `git checkout exercises/`) and release again "
            "(이미 점수를 받는 연습 문제 파일은 배포하지 않습니다: 풀린 파일 대신 원래 문제 파일을 두세요)")


def release_manifest(names: list[str], pack: str) -> str:
    """The course manifest a release ships: the released modules, the pack named, no authoring folders.

    A bundle or an nbgrader course is then a course of its own: torchdojo run inside it finds this
    manifest, and its graders in the pack."""
    import yaml

    from ..course import load_course

    data = load_course().model_dump(mode="json", exclude={"mutants", "hidden", "pack"})
    data["modules"] = [m for m in data["modules"] if m["name"] in names]
    data["pack"] = pack
    return ("# torchdojo course manifest (a release): modules, items and points, hints; graders in the pack.\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
