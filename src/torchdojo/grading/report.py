"""The report: one versioned schema, written by the library, printed by the CLI.

JSON shape (schema "torchdojo.report/1"), stable for tools that read it:
  check: {"schema", "score", "max_score", "device", "seed", "isolation", "submission", "lang",
          "modules": [{"name", "score", "max_score", "output", "items": [
              {"name", "score", "max_score", "status", "message", "messages": {"ko", "en"}}]}]}
"message" is the item's message in the report's "lang"; "messages" holds both languages.
  grade: {"schema", "device", "seed", "submissions": [{"student", "score", "max_score", "modules": [...]}]}
status is one of passed, failed, error, timeout, missing. Every item that loses points has a message.
A module's "output" is the tail of what the student's own code printed (stdout and stderr of its
worker, capped, never parsed; "" when it printed nothing).

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

from ..csvsafe import csv_cell, csv_row  # noqa: F401  (re-exported: the class CSV uses them)
from ..i18n import LANGS, Lang, Text

SCHEMA = "torchdojo.report/1"
STATUSES = ("passed", "failed", "error", "timeout", "missing")

MESSAGE_CHARS = 2000  # one message (an exception's class name of megabytes is cut here)
NAME_CHARS = 255  # an item, module or student name
OUTPUT_CHARS = 16_000  # what the student's code printed, kept per module
REPORT_TEXT_CHARS = 200_000  # all messages of one report together
REPORT_OUTPUT_CHARS = 64_000  # all modules' printed output of one report together
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


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(x, 4)


@dataclass
class ItemResult:
    name: str
    score: float
    max_score: float
    status: str
    text: Text = field(default_factory=Text)  # why it lost points ("" when it passed)

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "text":
            if isinstance(value, str):
                value = Text.same(value)
            value = (value if isinstance(value, Text) else Text()).map(clean_text)
        elif key in ("name", "status"):
            value = safe_label(value)
        object.__setattr__(self, key, value)

    def to_dict(self, lang: Lang = "ko") -> dict[str, Any]:
        return {"name": self.name, "score": _num(self.score), "max_score": _num(self.max_score),
                "status": self.status, "message": self.text.pick(lang),
                "messages": self.text.to_dict() if self.text else {}}


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

    def to_dict(self, lang: Lang = "ko") -> dict[str, Any]:
        return {"name": self.name, "score": _num(self.score), "max_score": _num(self.max_score),
                "output": self.output, "items": [i.to_dict(lang) for i in self.items]}


@dataclass
class SubmissionReport:
    submission: str
    modules: list[ModuleResult]
    device: str = "cpu"
    seed: int = 0
    isolation: str = ""
    student: str | None = None
    seconds: float = 0.0
    lang: Lang = "ko"  # the language of each item's "message" in the JSON ("messages" has both)
    artifacts: dict[str, dict[str, Any]] = field(default_factory=dict)  # for pictures; not in JSON

    def __setattr__(self, key: str, value: Any) -> None:
        if key == "student" and value is not None:
            value = safe_label(value)
        elif key in ("submission", "device", "isolation"):
            value = safe_label(value, 4096)
        elif key == "lang" and value not in LANGS:
            value = "ko"
        object.__setattr__(self, key, value)

    def fit(self) -> "SubmissionReport":
        """Cut every message of this report alike when all of them together exceed REPORT_TEXT_CHARS."""
        items = [i for m in self.modules for i in m.items]
        # the JSON holds three strings per item: "message" and both "messages"
        total = sum(max(len(i.text.ko), len(i.text.en)) + len(i.text.ko) + len(i.text.en) for i in items)
        if total > REPORT_TEXT_CHARS:
            each = max(80, REPORT_TEXT_CHARS // (3 * len(items) or 1))
            for item in items:
                item.text = item.text.map(lambda t: _cap(t, each))
        outputs = sum(len(m.output) for m in self.modules)
        if outputs > REPORT_OUTPUT_CHARS:  # the tail of each module's output, cut alike
            each = max(200, REPORT_OUTPUT_CHARS // max(1, len(self.modules)))
            for module in self.modules:
                if len(module.output) > each:
                    module.output = "… " + module.output[-(each - 2):]
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
            "lang": self.lang,
            "modules": [m.to_dict(self.lang) for m in self.modules],
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




# Why a module scored what it did, for the CSV (a missing file, a timeout and a syntax error must
# not look like a plain 0). Read from the messages torchdojo itself writes (English side).
MODULE_STATUSES = ("full", "partial", "zero", "not_started", "missing_file", "syntax_error",
                   "import_error", "timeout", "crash", "link", "not_graded", "grader_error")


def _en(item: "ItemResult") -> str:
    return item.text.en.lower()


def module_status(module: ModuleResult) -> str:
    """One word for a module's result: full, partial, zero, or why it is 0 (see MODULE_STATUSES).

    `not_started`: every item still raises NotImplementedError; `missing_file`: the file is not
    there; `syntax_error` / `import_error`: the file does not load; `timeout`: a time limit was hit
    (partial points may remain); `crash`: the worker process died; `link`: the file or folder is a
    symbolic link; `not_graded`: the grading process failed on this submission."""
    items = module.items
    if not items:
        return "zero"
    texts = [_en(i) for i in items]
    if any(i.name == "(grader)" for i in items):
        return "grader_error"
    if module.max_score > 0 and module.score >= module.max_score:
        return "full"
    if all("symbolic link" in t or "links are not accepted" in t for t in texts):
        return "link"
    if all("was not graded" in t or "it was not graded" in t for t in texts):
        return "not_graded"
    if all(i.status == "missing" and t.startswith("file missing") for i, t in zip(items, texts)):
        return "missing_file"
    if any(t.startswith("syntax error") or " syntax error in your file" in t for t in texts):
        return "syntax_error"
    if any("failed while loading" in t for t in texts):
        return "import_error"
    if any(i.status == "timeout" for i in items):
        return "timeout"
    if any("crashed the worker" in t or "ended the process" in t or "ended unexpectedly" in t
           or "memory limit" in t for t in texts):
        return "crash"
    if all(i.status == "missing" and "not implemented yet" in t for i, t in zip(items, texts)):
        return "not_started"
    return "partial" if module.score > 0 else "zero"


def class_csv(submissions: Iterable[SubmissionReport], module_names: list[str],
              notes: dict[str, str] | None = None) -> str:
    """One row per student: one column per module, the total, then one status column per module
    (`module_status`: why a 0 is a 0) and a note (e.g. files found one folder too deep).
    Text cells are neutralised; the first columns are the same as ever."""
    notes = notes or {}
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(csv_row(["student", *module_names, "score", "max_score",
                             *[f"{n}:status" for n in module_names], "note"]))
    for sub in submissions:
        by_name = {m.name: m for m in sub.modules}
        row = [sub.student or sub.submission]
        row += [_num(by_name[n].score) if n in by_name else "" for n in module_names]
        row += [_num(sub.score), _num(sub.max_score)]
        row += [module_status(by_name[n]) if n in by_name else "" for n in module_names]
        row += [clean_text(notes.get(sub.student or sub.submission) or misplaced_note(sub), 500)]
        writer.writerow(csv_row(row))
    return buf.getvalue()


def misplaced_folder(folder: Path | str, filenames: Iterable[str]) -> str | None:
    """The subfolder that holds the exercise files when `folder` itself holds none
    (`frank/exercises/01_tensors.py`): its name, else None.

    Looks only at plain folders one level down (the first by name), never through a link."""
    import os
    import stat as _stat
    from pathlib import Path

    names = set(filenames)
    root = Path(folder)
    try:
        if _stat.S_ISLNK(os.lstat(root).st_mode) or any(os.path.lexists(root / n) for n in names):
            return None
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return None
    for entry in entries[:200]:
        try:
            if entry.is_dir(follow_symlinks=False) and any(os.path.lexists(Path(entry.path) / n) for n in names):
                return entry.name
        except OSError:
            continue
    return None


def misplaced_files(submission: SubmissionReport, filenames: Iterable[str] | None = None) -> str | None:
    """`misplaced_folder` of a report's submission folder (its files were graded from there)."""
    if filenames is None:
        try:
            from ..course import load_course

            filenames = [m.filename for m in load_course().modules]
        except Exception:
            return None
    return misplaced_folder(submission.submission, filenames)


def misplaced_note(submission: SubmissionReport) -> str:
    folder = misplaced_files(submission)
    if folder is None:
        return ""
    return Text(ko=f"파일이 한 단계 아래 {safe_label(folder)}/ 폴더에 있어 그 폴더에서 채점했습니다. 다음에는 위로 옮겨 제출하세요",
                en=f"exercise files were one folder too deep, in {safe_label(folder)}/: graded from there; "
                   "hand them in at the top next time").both(" / ")


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {type(value).__name__}")
    return value


def submission_from_dict(data: dict[str, Any]) -> SubmissionReport:
    """Read back a report written by `to_dict` (used by grade --resume).

    Raises KeyError, TypeError or ValueError for data of another shape."""
    modules = [
        ModuleResult(name=m["name"], output=m.get("output", "") if isinstance(m.get("output", ""), str) else "",
                     items=[
            ItemResult(name=i["name"], score=_number(i["score"]), max_score=_number(i["max_score"]),
                       status=i["status"], text=_text_of(i))
            for i in m["items"]])
        for m in data["modules"]
    ]
    return SubmissionReport(submission=data.get("submission", ""), modules=modules, device=data.get("device", "cpu"),
                            seed=data.get("seed", 0), isolation=data.get("isolation", ""),
                            student=data.get("student"), seconds=float(data.get("seconds", 0.0)),
                            lang=data.get("lang", "ko"))


def _text_of(item: dict[str, Any]) -> Text:
    """An item's message as written by `ItemResult.to_dict` (both languages; else the one message)."""
    text = Text.from_dict(item.get("messages"))
    message = item.get("message")
    return text if text or not isinstance(message, str) else Text.same(message)


__all__ = ["ItemResult", "ModuleResult", "SubmissionReport", "ClassReport", "to_json", "class_csv",
           "submission_from_dict", "SCHEMA", "STATUSES", "clean_text", "safe_label", "csv_cell", "csv_row",
           "MESSAGE_CHARS", "REPORT_TEXT_CHARS", "module_status", "MODULE_STATUSES", "misplaced_files", "misplaced_folder",
           "misplaced_note"]
