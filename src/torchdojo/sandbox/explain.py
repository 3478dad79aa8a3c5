"""Words a student understands for what went wrong in a worker (ko/en)."""

from __future__ import annotations

from ..i18n import Text
from .limits import Limits

GIB = 1024**3
MIB = 1024**2


def _size(n: int) -> str:
    return f"{n / GIB:g} GiB" if n >= GIB else f"{n / MIB:g} MiB"


def explain_exception(info: dict, limits: Limits) -> Text | None:
    """A plain-language reason for known kinds of failure, or None."""
    tp = info.get("type", "")
    mro = info.get("mro", [])
    message = info.get("message", "")
    lowered = message.lower()
    if tp == "MemoryError" or "can't allocate memory" in lowered or "not enough memory" in lowered \
            or "cannot allocate memory" in lowered:
        limit = _size(limits.memory_bytes)
        return Text(en=f"used more than the memory limit of {limit}",
                     ko=f"메모리 제한 {limit}을(를) 넘게 사용했습니다")
    if "network access is not allowed while grading" in message:
        return Text(en="tried to open a network connection (not allowed while grading)",
                     ko="네트워크 연결을 시도했습니다 (채점 중에는 허용되지 않습니다)")
    if "File too large" in message or "[Errno 27]" in message:
        limit = _size(limits.file_bytes)
        return Text(en=f"tried to write more than {limit} to a file (or to the screen)",
                     ko=f"파일(또는 화면 출력)에 {limit} 넘게 쓰려고 했습니다")
    if "builtins.RecursionError" in mro:
        return Text(en="infinite recursion: maximum recursion depth exceeded (does a function call itself forever?)",
                     ko="무한 재귀: 최대 재귀 깊이를 넘었습니다 (함수가 자기 자신을 끝없이 호출하나요?)")
    if tp == "PermissionError" or "Read-only file system" in message:
        return Text(en="tried to open or change a file outside its own scratch folder (not allowed while grading)",
                     ko="자기 작업 폴더 밖의 파일을 열거나 바꾸려고 했습니다 (채점 중에는 허용되지 않습니다)") \
            if ("Permission denied" in message or "Read-only" in message) else None
    return None
