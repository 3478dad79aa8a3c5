"""Regrade after a grader changed: a per-student diff of two `grade` journals."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..grading.report import SubmissionReport
from .overview import load_journal_reports


@dataclass
class ItemChange:
    item: str  # module.item
    old: float | None  # None: the item was not there
    new: float | None
    message: str = ""  # the new message when points were lost


@dataclass
class StudentChange:
    student: str
    old: float | None  # None: not in the old journal
    new: float | None
    max_old: float | None = None
    max_new: float | None = None
    items: list[ItemChange] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return (self.new or 0) - (self.old or 0)


def _items(rep: SubmissionReport) -> dict[str, tuple[float, str]]:
    return {f"{m.name}.{i.name}": (i.score, i.text.pick(rep.lang)) for m in rep.modules for i in m.items}


def diff_reports(old: list[SubmissionReport], new: list[SubmissionReport], *, everyone: bool = False
                 ) -> list[StudentChange]:
    """Students whose score or any item changed (all students with `everyone`), by name."""
    before = {r.student or r.submission: r for r in old}
    after = {r.student or r.submission: r for r in new}
    out = []
    for student in sorted(set(before) | set(after)):
        a, b = before.get(student), after.get(student)
        ia, ib = (_items(a) if a else {}), (_items(b) if b else {})
        changes = []
        for key in list(ia) + [k for k in ib if k not in ia]:
            o, n = ia.get(key), ib.get(key)
            if o is None or n is None or o[0] != n[0]:
                changes.append(ItemChange(key, o[0] if o else None, n[0] if n else None, n[1] if n else ""))
        change = StudentChange(student, a.score if a else None, b.score if b else None,
                               a.max_score if a else None, b.max_score if b else None, changes)
        if everyone or changes or change.old != change.new:
            out.append(change)
    return out


def diff_journals(old: Path, new: Path, *, everyone: bool = False) -> list[StudentChange]:
    return diff_reports(load_journal_reports(old)[0], load_journal_reports(new)[0], everyone=everyone)


def format_diff(changes: list[StudentChange]) -> str:
    def p(x: float | None) -> str:
        return "-" if x is None else str(int(x) if float(x).is_integer() else round(x, 2))

    if not changes:
        return "no score changed\n"
    lines = []
    for c in changes:
        sign = "+" if c.delta > 0 else ""
        lines.append(f"{c.student}: {p(c.old)}/{p(c.max_old)} -> {p(c.new)}/{p(c.max_new)} ({sign}{p(c.delta)})")
        for i in c.items:
            tail = f"  {' '.join(i.message.split())[:100]}" if i.message and (i.new or 0) < (i.old or 0) else ""
            lines.append(f"    {i.item}: {p(i.old)} -> {p(i.new)}{tail}")
    up = sum(1 for c in changes if c.delta > 0)
    down = sum(1 for c in changes if c.delta < 0)
    lines.append(f"{len(changes)} student(s) changed: {up} up, {down} down")
    return "\n".join(lines) + "\n"
