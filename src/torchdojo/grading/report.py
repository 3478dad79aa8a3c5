"""The report: one versioned schema, written by the library, printed by the CLI.

JSON shape (schema "torchdojo.report/1"), stable for tools that read it:
  check: {"schema", "score", "max_score", "device", "seed", "isolation", "submission",
          "modules": [{"name", "score", "max_score", "items": [
              {"name", "score", "max_score", "status", "message", "messages": {"ko", "en"}}]}]}
  grade: {"schema", "device", "seed", "submissions": [{"student", "score", "max_score", "modules": [...]}]}
status is one of passed, failed, error, timeout, missing. Every item that loses points has a message.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

SCHEMA = "torchdojo.report/1"
STATUSES = ("passed", "failed", "error", "timeout", "missing")


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

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "score": _num(self.score), "max_score": _num(self.max_score),
                "status": self.status, "message": self.message, "messages": dict(self.messages)}


@dataclass
class ModuleResult:
    name: str
    items: list[ItemResult] = field(default_factory=list)
    output: str = ""  # the tail of what the student's code printed (never parsed)

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


def class_csv(submissions: Iterable[SubmissionReport], module_names: list[str]) -> str:
    """One row per student, one column per module, then the total."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["student", *module_names, "score", "max_score"])
    for sub in submissions:
        by_name = {m.name: m for m in sub.modules}
        row = [sub.student or sub.submission]
        row += [_num(by_name[n].score) if n in by_name else "" for n in module_names]
        row += [_num(sub.score), _num(sub.max_score)]
        writer.writerow(row)
    return buf.getvalue()


def submission_from_dict(data: dict[str, Any]) -> SubmissionReport:
    """Read back a report written by `to_dict` (used by grade --resume)."""
    modules = [
        ModuleResult(name=m["name"], items=[
            ItemResult(name=i["name"], score=i["score"], max_score=i["max_score"], status=i["status"],
                       message=i.get("message", ""), messages=i.get("messages", {}))
            for i in m["items"]])
        for m in data["modules"]
    ]
    return SubmissionReport(submission=data.get("submission", ""), modules=modules, device=data.get("device", "cpu"),
                            seed=data.get("seed", 0), isolation=data.get("isolation", ""),
                            student=data.get("student"), seconds=data.get("seconds", 0.0))


__all__ = ["ItemResult", "ModuleResult", "SubmissionReport", "ClassReport", "to_json", "class_csv",
           "submission_from_dict", "SCHEMA", "STATUSES"]
