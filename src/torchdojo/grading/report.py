"""The report: one versioned schema, written by the library, printed by the CLI.

JSON shape (schema "torchdojo.report/1"), stable for tools that read it:
  check: {"schema", "score", "max_score", "device", "seed", "isolation", "submission",
          "modules": [{"name", "score", "max_score", "items": [
              {"name", "score", "max_score", "status", "message", "messages": {"ko", "en"}}]}]}
  grade: {"schema", "device", "seed", "submissions": [{"student", "score", "max_score", "modules": [...]}]}
status is one of passed, failed, error, timeout, missing. Every item that loses points has a message.

Every string of a report is safe where the report is made (`clean_text`, `safe_label`): lone
surrogates become U+FFFD, control characters (C0 but newline and tab, DEL, C1, bidi and
zero-width marks) are dropped from messages and shown escaped in names, each message is capped
(MESSAGE_CHARS) and so is the text of a whole report (REPORT_TEXT_CHARS), so no submission can
make a report that cannot be written, splits a journal line, or fills the journal.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

SCHEMA = "torchdojo.report/1"
STATUSES = ("passed", "failed", "error", "timeout", "missing")

MESSAGE_CHARS = 2000  # one message (an exception's class name of megabytes is cut here)
NAME_CHARS = 255  # an item, module or student name
OUTPUT_CHARS = 16_000  # what the student's code printed, kept per module
REPORT_TEXT_CHARS = 200_000  # all messages of one report together
_CUT = " …"

# lone surrogates, C0 controls but tab and newline, DEL, C1, zero-width and bidi marks, BOM, and the
# Unicode line and paragraph separators (they become newlines)
_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069"
                  "\ufeff\ud800-\udfff]")
_BAD_IN_NAME = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e"
                          "\u2060-\u2069\ufeff\ud800-\udfff]")


def _drop(match: "re.Match[str]") -> str:
    char = match.group()
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return "\n" if char in "\u2028\u2029" else ""


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(0, limit - len(_CUT))] + _CUT


def clean_text(text: Any, limit: int = MESSAGE_CHARS) -> str:
    """A message safe to write anywhere: valid UTF-8, no control or bidi characters, capped
    (newlines and tabs stay; U+2028/U+2029 become newlines; a lone surrogate becomes U+FFFD)."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if len(text) > limit:
        text = _cap(text, limit)
    if _BAD.search(text) is not None:
        text = _BAD.sub(_drop, text)
    return text


def _escape(match: "re.Match[str]") -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (os.fsdecode's surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_label(name: Any, limit: int = NAME_CHARS) -> str:
    """A name (a student's folder, a path) as visible text: every control character, line
    separator, bidi mark and undecodable byte is shown escaped (`\\x1b`), never passed on."""
    if not isinstance(name, str):
        name = "" if name is None else str(name)
    if _BAD_IN_NAME.search(name) is not None:
        name = _BAD_IN_NAME.sub(_escape, name)
    return _cap(name, limit)


def _clean_messages(messages: Any) -> dict[str, str]:
    if not isinstance(messages, dict):
        return {}
    return {clean_text(k, 16): clean_text(v) for k, v in list(messages.items())[:8]}


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


@dataclass
class ItemResult:
    name: str
    score: float
    max_score: float
    status: str
    message: str = ""
    messages: dict[str, str] = field(default_factory=dict)

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "message":
            value = clean_text(value)
        elif key == "messages":
            value = _clean_messages(value)
        elif key in ("name", "status"):
            value = safe_label(value)
        object.__setattr__(self, key, value)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": _num(self.score), "max_score": _num(self.max_score),
                "status": self.status, "message": self.message, "messages": dict(self.messages)}


@dataclass
class ModuleResult:
    name: str
    items: list[ItemResult] = field(default_factory=list)
    output: str = ""  # the tail of what the student's code printed (never parsed)

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "output":
            value = clean_text(value[-OUTPUT_CHARS:] if isinstance(value, str) else value, OUTPUT_CHARS)
        elif key == "name":
            value = safe_label(value)
        object.__setattr__(self, key, value)

    @property
    def score(self) -> float:
        return sum(i.score for i in self.items)

    @property
    def max_score(self) -> float:
        return sum(i.max_score for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": _num(self.score), "max_score": _num(self.max_score),
                "items": [i.to_dict() for i in self.items]}


@dataclass
class SubmissionReport:
    submission: str
    modules: list[ModuleResult]
    device: str = "cpu"
    seed: int = 0
    isolation: str = ""
    student: str | None = None
    seconds: float = 0.0
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # for pictures; not in JSON

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "student" and value is not None:
            value = safe_label(value)
        elif key in ("submission", "device", "isolation"):
            value = safe_label(value, 4096)
        object.__setattr__(self, key, value)

    def fit(self) -> "SubmissionReport":
        """Cut every message of this report alike when all of them together exceed REPORT_TEXT_CHARS."""
        items = [i for m in self.modules for i in m.items]
        total = sum(len(i.message) + sum(len(v) for v in i.messages.values()) for i in items)
        if total > REPORT_TEXT_CHARS:
            count = sum(1 + len(i.messages) for i in items) or 1
            each = max(80, REPORT_TEXT_CHARS // count)
            for item in items:
                item.message = _cap(item.message, each)
                item.messages = {k: _cap(v, each) for k, v in item.messages.items()}
        return self

    @property
    def score(self) -> float:
        return sum(m.score for m in self.modules)

    @property
    def max_score(self) -> float:
        return sum(m.max_score for m in self.modules)

    @property
    def full(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score

    def to_dict(self) -> dict[str, Any]:
        self.fit()
        data: dict[str, Any] = {}
        if self.student is not None:
            data["student"] = self.student
        else:
            data["schema"] = SCHEMA
        data.update({
            "score": _num(self.score),
            "max_score": _num(self.max_score),
            "device": self.device,
            "seed": self.seed,
            "isolation": self.isolation,
            "submission": self.submission,
            "seconds": round(self.seconds, 3),
            "modules": [m.to_dict() for m in self.modules],
        })
        return data


@dataclass
class ClassReport:
    submissions: list[SubmissionReport]
    device: str = "cpu"
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA, "device": self.device, "seed": self.seed,
                "submissions": [s.to_dict() for s in self.submissions]}


def to_json(report: SubmissionReport | ClassReport) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that a spreadsheet shows as text, never runs: a text starting with = + - @,
    tab or carriage return gets a leading apostrophe (OWASP's advice against CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(v) for v in values]


def class_csv(submissions: Iterable[SubmissionReport], module_names: list[str]) -> str:
    """One row per student, one column per module, then the total (text cells neutralised)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(csv_row(["student", *module_names, "score", "max_score"]))
    for sub in submissions:
        by_name = {m.name: m for m in sub.modules}
        row = [sub.student or sub.submission]
        row += [_num(by_name[n].score) if n in by_name else "" for n in module_names]
        row += [_num(sub.score), _num(sub.max_score)]
        writer.writerow(csv_row(row))
    return buf.getvalue()


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {type(value).__name__}")
    return value


def submission_from_dict(data: dict[str, Any]) -> SubmissionReport:
    """Read back a report written by `to_dict` (used by grade --resume).

    Raises KeyError, TypeError or ValueError for data of another shape."""
    modules = [
        ModuleResult(name=m["name"], items=[
            ItemResult(name=i["name"], score=_number(i["score"]), max_score=_number(i["max_score"]),
                       status=i["status"], message=i.get("message", ""), messages=i.get("messages", {}))
            for i in m["items"]])
        for m in data["modules"]
    ]
    return SubmissionReport(submission=data.get("submission", ""), modules=modules, device=data.get("device", "cpu"),
                            seed=data.get("seed", 0), isolation=data.get("isolation", ""),
                            student=data.get("student"), seconds=float(data.get("seconds", 0.0)))


__all__ = ["ItemResult", "ModuleResult", "SubmissionReport", "ClassReport", "to_json", "class_csv",
           "submission_from_dict", "SCHEMA", "STATUSES", "clean_text", "safe_label", "csv_cell", "csv_row",
           "MESSAGE_CHARS", "REPORT_TEXT_CHARS"]
