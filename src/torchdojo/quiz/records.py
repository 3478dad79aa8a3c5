"""Attempt records (one JSON object per line) and instructor roll-ups.

A record is the ``quiz run --json`` object plus ``timestamp`` (UTC, ISO 8601)
and ``complete``.  Reports use, per student and quiz, the latest *complete*
attempt; students with only incomplete attempts are listed apart.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StrictStr, ValidationError

from torchdojo.errors import QuizError
from torchdojo.quiz.session import AttemptResult

Choice = StrictInt | list[StrictInt] | None


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def record_dict(result: AttemptResult, timestamp: str | None = None) -> dict[str, Any]:
    """The record object of an attempt: the --json object plus timestamp and complete."""
    data = result.to_dict()
    data["timestamp"] = timestamp or utc_now()
    data["complete"] = result.complete
    return data


def append_record(path: Path | str, result: AttemptResult, timestamp: str | None = None) -> dict[str, Any]:
    """Append one attempt as one JSON line (creating the file and its folder)."""
    path = Path(path)
    data = record_dict(result, timestamp)
    line = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # one write of one line in append mode: concurrent students do not interleave lines
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as exc:
        raise QuizError(f"{path}: cannot write record: {exc.strerror or exc}") from None
    return data


class ResultRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: StrictStr
    chosen: Choice = None
    answer: StrictInt | list[StrictInt]
    correct: StrictBool


class Record(BaseModel):
    """One line of a record file."""

    model_config = ConfigDict(extra="allow")

    quiz: StrictStr
    student: StrictStr
    score: StrictInt
    max_score: StrictInt
    lang: StrictStr | None = None
    seed: StrictInt | None = None
    results: list[ResultRecord]
    timestamp: datetime
    complete: StrictBool

    # where it came from, for messages and for ordering equal timestamps
    file: str = ""
    line: int = 0


@dataclass(frozen=True)
class RecordProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def read_records(paths: Iterable[Path | str]) -> tuple[list[Record], list[RecordProblem]]:
    """Read record files; a malformed line becomes a RecordProblem (file:line) and is skipped."""
    records: list[Record] = []
    problems: list[RecordProblem] = []
    for raw in paths:
        path = Path(raw)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise QuizError(f"{path}: no such record file") from None
        except UnicodeDecodeError as exc:
            raise QuizError(f"{path}: not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise QuizError(f"{path}: cannot read: {exc.strerror or exc}") from None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(RecordProblem(str(path), number, f"not JSON ({exc.msg} at column {exc.colno})"))
                continue
            if not isinstance(data, dict):
                problems.append(RecordProblem(str(path), number, "not a JSON object"))
                continue
            data = {k: v for k, v in data.items() if k not in ("file", "line")}
            try:
                record = Record.model_validate({**data, "file": str(path), "line": number})
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                where = ".".join(str(p) for p in first.get("loc", ())) or "record"
                more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
                problems.append(RecordProblem(str(path), number, f"field '{where}': {first.get('msg')}{more}"))
                continue
            if record.timestamp.tzinfo is None:
                record.timestamp = record.timestamp.replace(tzinfo=timezone.utc)
            if record.max_score != len(record.results) or record.score != sum(r.correct for r in record.results):
                problems.append(
                    RecordProblem(str(path), number, "score/max_score do not match the results (edited by hand?)")
                )
                continue
            records.append(record)
    return records, problems


# --------------------------------------------------------------------------- roll-ups


@dataclass(frozen=True)
class StudentScore:
    student: str
    quiz: str
    score: int
    max_score: int
    timestamp: str
    attempts: int  # all attempts of this student at this quiz, complete or not

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass(frozen=True)
class QuestionStat:
    quiz: str
    question: str
    answered: int  # latest complete attempts that include the question
    correct: int
    top_wrong: int | list[int] | None  # the most chosen wrong choice (file order)
    top_wrong_count: int

    @property
    def share_correct(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


@dataclass
class Report:
    students: list[StudentScore] = field(default_factory=list)
    questions: list[QuestionStat] = field(default_factory=list)
    incomplete_only: list[tuple[str, str]] = field(default_factory=list)  # (student, quiz)
    problems: list[RecordProblem] = field(default_factory=list)
    records: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "students": [
                {
                    "student": s.student,
                    "quiz": s.quiz,
                    "score": s.score,
                    "max_score": s.max_score,
                    "percent": round(s.percent, 1),
                    "timestamp": s.timestamp,
                    "attempts": s.attempts,
                }
                for s in self.students
            ],
            "questions": [
                {
                    "quiz": q.quiz,
                    "question": q.question,
                    "answered": q.answered,
                    "correct": q.correct,
                    "share_correct": round(q.share_correct, 4),
                    "top_wrong": q.top_wrong,
                    "top_wrong_count": q.top_wrong_count,
                }
                for q in self.questions
            ],
            "incomplete_only": [{"student": s, "quiz": q} for s, q in self.incomplete_only],
            "problems": [str(p) for p in self.problems],
        }


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def build_report(records: list[Record], problems: Iterable[RecordProblem] = (), quiz: str | None = None) -> Report:
    """Per-student scores (latest complete attempt per student and quiz) and per-question statistics."""
    report = Report(problems=list(problems))
    selected = [r for r in records if quiz is None or r.quiz == quiz]
    report.records = len(selected)
    attempts: Counter[tuple[str, str]] = Counter()
    best: dict[tuple[str, str], tuple[datetime, int, Record]] = {}
    for index, record in enumerate(selected):
        key = (record.student, record.quiz)
        attempts[key] += 1
        if not record.complete:
            continue
        # the later timestamp wins; on a tie the line read later wins
        if key not in best or (record.timestamp, index) >= best[key][:2]:
            best[key] = (record.timestamp, index, record)
    latest = {key: value[2] for key, value in best.items()}
    for key in sorted(attempts):
        if key not in latest:
            report.incomplete_only.append(key)
    for (student, quiz_id), record in sorted(latest.items()):
        report.students.append(
            StudentScore(student, quiz_id, record.score, record.max_score, _iso(record.timestamp), attempts[(student, quiz_id)])
        )
    # per question, over the latest complete attempts, in the order questions first appear
    order: dict[tuple[str, str], int] = {}
    answered: Counter[tuple[str, str]] = Counter()
    correct: Counter[tuple[str, str]] = Counter()
    wrong: dict[tuple[str, str], Counter[Any]] = defaultdict(Counter)
    for _key, record in sorted(latest.items()):
        for position, result in enumerate(record.results):
            qkey = (record.quiz, result.id)
            order.setdefault(qkey, position)
            answered[qkey] += 1
            if result.correct:
                correct[qkey] += 1
            elif result.chosen is not None:
                chosen = result.chosen
                wrong[qkey][tuple(sorted(chosen)) if isinstance(chosen, list) else chosen] += 1
    for qkey in sorted(order, key=lambda k: (k[0], order[k])):
        top, count = None, 0
        if wrong[qkey]:
            # most chosen; ties go to the smaller choice number
            top, count = sorted(wrong[qkey].items(), key=lambda kv: (-kv[1], str(kv[0])))[0]
            top = list(top) if isinstance(top, tuple) else top
        report.questions.append(QuestionStat(qkey[0], qkey[1], answered[qkey], correct[qkey], top, count))
    return report
