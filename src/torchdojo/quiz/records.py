"""Attempt records (one JSON object per line) and instructor roll-ups.

A record is the ``quiz run --json`` object plus ``timestamp`` (UTC, ISO 8601)
and ``complete``.  It holds what the student *chose* (file-order numbers and the
Korean texts of the chosen choices), never the answer keys.  Its ``score`` and
``correct`` fields are claims: reports re-score every record against the bank and
flag records that disagree (edited by hand) or name questions the bank lacks.
Reports use, per student and quiz, the latest *complete* attempt; students with
only incomplete attempts are listed apart.  Retry (practice) attempts never count.
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
from torchdojo.quiz.model import Quiz
from torchdojo.quiz.session import AttemptResult, _norm

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
    chosen_text: list[StrictStr] | None = None
    correct: StrictBool | None = None  # a claim, checked against the bank


class Record(BaseModel):
    """One line of a record file (score, max_score and correct are claims)."""

    model_config = ConfigDict(extra="allow")

    quiz: StrictStr
    student: StrictStr
    score: StrictInt | None = None
    max_score: StrictInt | None = None
    lang: StrictStr | None = None
    seed: StrictInt | None = None
    mode: StrictStr = "full"
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
            records.append(record)
    return records, problems


# --------------------------------------------------------------------------- re-scoring


@dataclass(frozen=True)
class Rescored:
    """A record scored by the bank: per question the chosen file numbers and whether right."""

    score: int
    max_score: int
    chosen: dict[str, tuple[int, ...] | None]
    correct: dict[str, bool]
    flags: tuple[str, ...]  # why the record disagrees with the bank (empty: it agrees)


def _chosen_numbers(result: ResultRecord, question: Any) -> tuple[tuple[int, ...] | None, str | None]:
    """The file numbers a result chose; the texts win over the numbers (the bank may be reordered)."""
    n = len(question.choices)
    if result.chosen_text:
        numbers = []
        for text in result.chosen_text:
            found = [i for i, c in enumerate(question.choices, start=1) if _norm(text) in {_norm(c.get("ko")), _norm(c.get("en"))}]
            if not found:
                return None, f"question '{result.id}': chosen text {text!r} is not one of its choices"
            numbers.append(found[0])
        return tuple(sorted(numbers)), None
    if result.chosen is None:
        return None, None
    numbers = result.chosen if isinstance(result.chosen, list) else [result.chosen]
    bad = [x for x in numbers if not 1 <= x <= n]
    if bad:
        return None, f"question '{result.id}': chosen {bad[0]} is not a choice (there are {n})"
    return tuple(sorted(numbers)), None


def rescore(record: Record, quiz: Quiz) -> Rescored:
    """Score a record against the bank's keys; every disagreement becomes a flag."""
    flags: list[str] = []
    by_id = {q.id: q for q in quiz.questions}
    unknown = [r.id for r in record.results if r.id not in by_id]
    if unknown:
        flags.append(f"names question(s) the quiz does not have: {', '.join(unknown)}")
    seen: set[str] = set()
    chosen: dict[str, tuple[int, ...] | None] = {}
    correct: dict[str, bool] = {}
    for result in record.results:
        question = by_id.get(result.id)
        if question is None:
            continue
        if result.id in seen:
            flags.append(f"question '{result.id}' appears twice")
            continue
        seen.add(result.id)
        numbers, problem = _chosen_numbers(result, question)
        if problem:
            flags.append(problem)
        right = numbers is not None and frozenset(numbers) == question.answer_set
        chosen[result.id] = numbers
        correct[result.id] = right
        if result.correct is not None and result.correct != right:
            flags.append(f"question '{result.id}' says correct={str(result.correct).lower()}, the bank says {str(right).lower()}")
    expected = [q.id for q in quiz.questions] if record.mode != "retry" else [r.id for r in record.results if r.id in by_id]
    for qid in expected:
        correct.setdefault(qid, False)
        chosen.setdefault(qid, None)
    score = sum(correct[qid] for qid in expected)
    max_score = len(expected)
    if record.score is not None and record.score != score:
        flags.append(f"score says {record.score}, the bank gives {score}")
    if record.max_score is not None and record.max_score != max_score:
        flags.append(f"max_score says {record.max_score}, the quiz has {max_score}")
    if record.complete and any(chosen[qid] is None for qid in expected):
        flags.append("marked complete but some questions have no answer")
    return Rescored(score, max_score, {q: chosen[q] for q in expected}, {q: correct[q] for q in expected}, tuple(flags))


# --------------------------------------------------------------------------- roll-ups


@dataclass(frozen=True)
class StudentScore:
    student: str
    quiz: str
    score: int
    max_score: int
    timestamp: str
    attempts: int  # all attempts of this student at this quiz, complete or not
    flags: tuple[str, ...] = ()  # the counted record disagrees with the bank

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
    flagged: list[RecordProblem] = field(default_factory=list)  # records that disagree with the bank
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
                    "flags": list(s.flags),
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
            "flagged": [str(p) for p in self.flagged],
        }


def _iso(ts: datetime) -> str:
    return ts.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _latest(records: list[Record], quiz: str | None, bank: dict[str, Quiz], report: Report,
            ) -> tuple[dict[tuple[str, str], tuple[Record, Rescored]], Counter]:
    """The latest complete attempt per (student, quiz), re-scored; attempts counted; problems and
    flags added to `report`."""
    selected = [r for r in records if (quiz is None or r.quiz == quiz)]
    scored: list[tuple[Record, Rescored]] = []
    for record in selected:
        the_quiz = bank.get(record.quiz)
        if the_quiz is None:
            report.problems.append(RecordProblem(record.file, record.line, f"quiz '{record.quiz}' is not in the bank: cannot re-score, skipped"))
            continue
        rescored = rescore(record, the_quiz)
        if rescored.flags:
            report.flagged.append(RecordProblem(record.file, record.line, f"{record.student}/{record.quiz}: " + "; ".join(rescored.flags)))
        if record.mode == "retry":
            continue  # practice: never a score
        scored.append((record, rescored))
    report.records = len(scored)
    attempts: Counter[tuple[str, str]] = Counter()
    best: dict[tuple[str, str], tuple[datetime, int, Record, Rescored]] = {}
    for index, (record, rescored) in enumerate(scored):
        key = (record.student, record.quiz)
        attempts[key] += 1
        if not record.complete:
            continue
        # the later timestamp wins; on a tie the line read later wins
        if key not in best or (record.timestamp, index) >= best[key][:2]:
            best[key] = (record.timestamp, index, record, rescored)
    return {key: (value[2], value[3]) for key, value in best.items()}, attempts


def latest_attempts(records: list[Record], bank: dict[str, Quiz], quiz: str | None = None,
                    ) -> dict[tuple[str, str], tuple[Record, Rescored]]:
    """(student, quiz) -> the latest complete attempt and its re-scoring against `bank` (what
    reports count; retry attempts and quizzes the bank lacks are left out)."""
    return _latest(records, quiz, bank, Report())[0]


def build_report(
    records: list[Record],
    problems: Iterable[RecordProblem] = (),
    quiz: str | None = None,
    bank: dict[str, Quiz] | None = None,
) -> Report:
    """Per-student scores (latest complete attempt per student and quiz) and per-question statistics.

    Every record is re-scored against `bank` (quiz id -> Quiz); a record of a quiz the bank
    lacks cannot be scored and is skipped with a problem.  What a record says about its own
    score or correctness is never used: disagreements are listed in ``report.flagged``.
    """
    bank = bank or {}
    report = Report(problems=list(problems))
    latest, attempts = _latest(records, quiz, bank, report)
    for key in sorted(attempts):
        if key not in latest:
            report.incomplete_only.append(key)
    for (student, quiz_id), (record, rescored) in sorted(latest.items()):
        report.students.append(
            StudentScore(student, quiz_id, rescored.score, rescored.max_score, _iso(record.timestamp), attempts[(student, quiz_id)], rescored.flags)
        )
    # per question, over the latest complete attempts, in the bank's order
    answered: Counter[tuple[str, str]] = Counter()
    correct: Counter[tuple[str, str]] = Counter()
    wrong: dict[tuple[str, str], Counter[Any]] = defaultdict(Counter)
    quizzes_seen: list[str] = []
    for _key, (record, rescored) in sorted(latest.items()):
        if record.quiz not in quizzes_seen:
            quizzes_seen.append(record.quiz)
        for qid, numbers in rescored.chosen.items():
            qkey = (record.quiz, qid)
            answered[qkey] += 1
            if rescored.correct[qid]:
                correct[qkey] += 1
            elif numbers is not None:
                wrong[qkey][numbers if len(numbers) > 1 or bank[record.quiz].question(qid).multi else numbers[0]] += 1
    for quiz_id in sorted(quizzes_seen):
        for question in bank[quiz_id].questions:
            qkey = (quiz_id, question.id)
            if qkey not in answered:
                continue
            top, count = None, 0
            if wrong[qkey]:
                # most chosen; ties go to the smaller choice number
                top, count = sorted(wrong[qkey].items(), key=lambda kv: (-kv[1], str(kv[0])))[0]
                top = list(top) if isinstance(top, tuple) else top
            report.questions.append(QuestionStat(quiz_id, question.id, answered[qkey], correct[qkey], top, count))
    return report
