"""Saved progress of interrupted attempts (for ``--resume``) and the last result (for ``--retry-wrong``).

Files live in ``$TORCHDOJO_QUIZ_STATE`` if set, else ``$XDG_STATE_HOME/torchdojo/quiz``
(``~/.local/state/torchdojo/quiz``), one per quiz and student:

* ``<quiz>.<student>.progress.json``: seed, mode, and the answers (file order) of an
  attempt stopped by Ctrl-C or the end of input; removed when the attempt completes;
* ``<quiz>.<student>.last.json``: the ids answered wrong (or not at all) in the last full
  attempt, for ``--retry-wrong``.

These files help the student; they are never trusted for scores (records are re-scored
against the bank by ``quiz report``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from torchdojo.errors import QuizError
from torchdojo.quiz.session import QuizSession

ENV_STATE = "TORCHDOJO_QUIZ_STATE"


def state_dir() -> Path:
    env = os.environ.get(ENV_STATE, "").strip()
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_STATE_HOME", "").strip()
    root = Path(base).expanduser() if base else Path.home() / ".local" / "state"
    return root / "torchdojo" / "quiz"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "_"


def _path(quiz_id: str, student: str, kind: str) -> Path:
    return state_dir() / f"{_safe(quiz_id)}.{_safe(student)}.{kind}.json"


def _write(path: Path, data: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise QuizError(f"{path}: cannot save quiz progress: {exc.strerror or exc}") from None


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def save_progress(session: QuizSession, exam: bool) -> Path:
    path = _path(session.quiz.id, session.student, "progress")
    _write(path, {
        "quiz": session.quiz.id,
        "student": session.student,
        "seed": session.seed,
        "lang": session.lang,
        "exam": exam,
        "only": list(session.only) if session.only is not None else None,
        "answers": {qid: list(numbers) for qid, numbers in session.answers.items()},
    })
    return path


def load_progress(quiz_id: str, student: str) -> dict[str, Any] | None:
    data = _read(_path(quiz_id, student, "progress"))
    if data is None or data.get("quiz") != quiz_id or not isinstance(data.get("answers"), dict):
        return None
    return data


def clear_progress(quiz_id: str, student: str) -> None:
    try:
        _path(quiz_id, student, "progress").unlink()
    except OSError:
        pass


def save_last(session: QuizSession) -> None:
    """Remember what to retry: the questions of this attempt answered wrong or not at all."""
    wrong = [s.id for s in session.questions if not session.is_correct(s.id)]
    path = _path(session.quiz.id, session.student, "last")
    previous = _read(path) or {}
    if session.only is not None:
        # a retry: questions fixed now leave the list, the others stay
        keep = [q for q in previous.get("wrong", []) if q not in {s.id for s in session.questions}]
        wrong = keep + wrong
    _write(path, {"quiz": session.quiz.id, "student": session.student, "wrong": wrong})


def load_wrong(quiz_id: str, student: str) -> list[str] | None:
    data = _read(_path(quiz_id, student, "last"))
    if data is None or not isinstance(data.get("wrong"), list):
        return None
    return [str(q) for q in data["wrong"]]
