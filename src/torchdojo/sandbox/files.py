"""Reading what a student handed in, as the scorer does it: no links, regular files only, capped.

The scorer may run as root, so a submission's file that is a symbolic link could show it
the reference, a packed grader or another student's work, and a link to a FIFO or to a
file under /proc could block it forever. Everything the scorer reads from a submission goes
through here.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..i18n import Explained, Text


class UnsafeFile(Explained):
    """A submission's path the scorer refuses to read; `text` says why, `kind` names the case."""

    def __init__(self, text: Text, kind: str = "unsafe"):
        super().__init__(text)
        self.kind = kind


def _linked(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def read_regular_file(path: Path | str, limit: int, *, root: Path | str | None = None) -> bytes:
    """The bytes of `path`, a regular file of at most `limit` bytes, never through a link.

    `root`: the submission folder; no component between it and the file may be a link either.
    Raises FileNotFoundError when it does not exist, UnsafeFile for links, folders, devices,
    FIFOs and files over `limit` (the size is counted while reading, never trusted).
    """
    path = Path(path)
    name = path.name
    if root is not None:
        root = Path(root)
        try:
            parts = path.relative_to(root).parts[:-1]
        except ValueError:
            parts = ()
        current = root
        for part in parts:
            current = current / part
            if _linked(current):
                raise UnsafeFile(Text(en=f"{current.name} is a symbolic link: links are not accepted",
                                 ko=f"{current.name}은(는) 심볼릭 링크입니다: 링크는 받지 않습니다"), "link")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if _linked(path):
            raise UnsafeFile(Text(en=f"{name} is a symbolic link: links are not accepted, hand in the file itself",
                             ko=f"{name}은(는) 심볼릭 링크입니다: 링크는 받지 않으니 파일 자체를 제출하세요"), "link") from None
        if isinstance(exc, FileNotFoundError):
            raise
        raise UnsafeFile(Text(en=f"{name} cannot be read ({exc.strerror})", ko=f"{name}을(를) 읽을 수 없습니다 ({exc.strerror})"),
                         "unreadable") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise UnsafeFile(Text(en=f"{name} is a folder, not a file", ko=f"{name}은(는) 파일이 아니라 폴더입니다"), "not_a_file")
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(Text(en=f"{name} is not a regular file", ko=f"{name}은(는) 일반 파일이 아닙니다"), "not_a_file")
        if info.st_nlink > 1:  # a hard link may name the reference or another student's file
            raise UnsafeFile(Text(en=f"{name} is a hard link to another file: hand in a file of its own",
                             ko=f"{name}은(는) 다른 파일의 하드 링크입니다: 독립된 파일을 제출하세요"), "link")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UnsafeFile(Text(en=f"{name} is too large (more than {limit} bytes)",
                                 ko=f"{name} 파일이 너무 큽니다 ({limit}바이트 초과)"), "too_large")
        return b"".join(chunks)
    finally:
        os.close(fd)


def is_link(path: Path | str) -> bool:
    """True for a symbolic link (dangling or not)."""
    return _linked(Path(path))
