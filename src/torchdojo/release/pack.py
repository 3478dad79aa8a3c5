"""The graders and reference solutions as one packed file, unpacked only while grading.

A pack is ``MAGIC`` followed by zlib-compressed JSON ``{"format", "meta", "files": {relpath:
base64}}``. It keeps grader and reference source out of plain-text search (grep, an editor,
`unzip`), nothing more: the code that unpacks it ships with torchdojo, so whoever holds the
pack can read it. docs/release.md states that trust model.

`unpacked_home(pack)` unpacks into a fresh private folder (0700) laid out like a project
root (``graders/``, ``reference/``) for ``TORCHDOJO_HOME``, and removes it afterwards. The
unpacking runs in a forked child, so the calling process, from which the grading fork server
is forked, never holds the packed sources in its memory.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import zlib
from pathlib import Path
from typing import Iterator

from ..errors import CourseError, UsageError

MAGIC = b"TORCHDOJO-PACK/1\n"
FORMAT = "torchdojo.pack/1"
PACK_ENV = "TORCHDOJO_PACK"
# what a pack holds: the folders of a project root TORCHDOJO_HOME points at
PACKED_FOLDERS = ("graders", "reference", "quizzes")
OPTIONAL_FOLDERS = ("quizzes",)  # quiz banks with their keys, for the bundle's quizzes
PACKED_FILES = ("torchdojo.yaml",)  # the course manifest: the unpacked folder is a course root


def collect_sources(project: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for folder in PACKED_FOLDERS:
        base = project / folder
        if not base.is_dir():
            if folder in OPTIONAL_FOLDERS:
                continue
            raise CourseError(f"{base}: no such folder (graders and reference solutions are packed from it)")
        for path in sorted(p for p in base.rglob("*") if p.suffix in (".py", ".yaml", ".yml") and p.is_file()):
            rel = path.relative_to(project)
            if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
                continue
            files[rel.as_posix()] = path.read_bytes()
    for name in PACKED_FILES:
        if not (project / name).is_file():
            raise CourseError(f"{project / name}: missing (the course manifest is packed with the graders)")
        files[name] = (project / name).read_bytes()
    return files


def pack_bytes(files: dict[str, bytes], meta: dict | None = None) -> bytes:
    payload = {
        "format": FORMAT,
        "meta": dict(meta or {}),
        "files": {name: base64.b64encode(data).decode("ascii") for name, data in sorted(files.items())},
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    return MAGIC + zlib.compress(json.dumps(payload).encode("utf-8"), 9)


def write_pack(dest: Path, project: Path, meta: dict | None = None) -> Path:
    """Pack `project`/graders and `project`/reference (every .py file) into `dest`."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(pack_bytes(collect_sources(Path(project)), meta))
    return dest


def _read_payload(pack: Path) -> dict:
    pack = Path(pack)
    try:
        raw = pack.read_bytes()
    except OSError as exc:
        raise UsageError(f"{pack}: cannot read the graders pack ({exc.strerror or exc})") from exc
    if not raw.startswith(MAGIC):
        raise UsageError(f"{pack}: not a torchdojo graders pack")
    try:
        payload = json.loads(zlib.decompress(raw[len(MAGIC):]).decode("utf-8"))
    except (zlib.error, ValueError) as exc:
        raise UsageError(f"{pack}: the graders pack is damaged ({exc})") from exc
    if payload.get("format") != FORMAT:
        raise UsageError(f"{pack}: unknown pack format {payload.get('format')!r}")
    return payload


def read_meta(pack: Path) -> dict:
    """The pack's metadata (e.g. the seed an nbgrader course grades with)."""
    return dict(_read_payload(pack).get("meta") or {})


def _unpack_into(pack: Path, dest: Path) -> None:
    payload = _read_payload(pack)
    for name, encoded in payload["files"].items():
        rel = Path(name)
        if rel.is_absolute() or ".." in rel.parts or (rel.parts[0] not in PACKED_FOLDERS and name not in PACKED_FILES):
            raise UsageError(f"{pack}: refusing the packed path {name!r}")
        data = base64.b64decode(encoded)
        if hashlib.sha256(data).hexdigest() != payload["sha256"].get(name):
            raise UsageError(f"{pack}: {name} is damaged (checksum)")
        target = dest / rel
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)


def unpack_to(pack: Path, dest: Path) -> None:
    """Unpack in a forked child (this process never holds the sources); errors come back."""
    pack, dest = Path(pack).resolve(), Path(dest)
    if not hasattr(os, "fork"):  # pragma: no cover - Windows: no fork server either
        _unpack_into(pack, dest)
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_end)
            try:
                _unpack_into(pack, dest)
            except BaseException as exc:  # report and fail
                os.write(write_end, str(exc).encode("utf-8", "replace")[:4000])
                code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        message = fh.read().decode("utf-8", "replace")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        raise UsageError(message or f"{pack}: unpacking the graders failed")


def find_pack(explicit: str | Path | None = None, start: Path | None = None,
              name: str = "torchdojo_graders.pack") -> Path:
    """`explicit`, else $TORCHDOJO_PACK, else `name` in `start` (default: cwd) or a parent folder."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(PACK_ENV, "").strip()
    if env:
        return Path(env)
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for candidate in (folder / name, folder / ".torchdojo" / "graders.pack"):
            if candidate.is_file():
                return candidate
    raise UsageError(f"no graders pack found ({name} in {here} or a parent folder; set {PACK_ENV})")


@contextlib.contextmanager
def unpacked_home(pack: Path) -> Iterator[Path]:
    """A private folder holding graders/ and reference/ from `pack`, removed on exit."""
    home = Path(tempfile.mkdtemp(prefix="torchdojo-home-"))
    os.chmod(home, 0o700)
    try:
        unpack_to(pack, home)
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def home_env(pack: Path) -> Iterator[Path]:
    """`unpacked_home` with TORCHDOJO_HOME pointing at it for the duration."""
    old = os.environ.get("TORCHDOJO_HOME")
    with unpacked_home(pack) as home:
        os.environ["TORCHDOJO_HOME"] = str(home)
        try:
            yield home
        finally:
            if old is None:
                os.environ.pop("TORCHDOJO_HOME", None)
            else:
                os.environ["TORCHDOJO_HOME"] = old
