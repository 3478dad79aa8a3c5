"""Grades where they belong: a Canvas gradebook CSV (with a roster), Excel-friendly CSV, JUnit XML.

- `read_roster(path)`: a CSV mapping each submission folder to the LMS: columns `folder` and
  `student` (the name Canvas shows), `id` (Canvas user id), `sis_user_id`, `sis_login_id`,
  `section` (all but `folder` optional).
- `canvas_csv(reports, roster, assignment=...)`: Canvas's gradebook import layout: `Student, ID,
  SIS User ID, SIS Login ID, Section`, then one column per assignment (`Name (assignment id)`
  updates that assignment; a name alone makes a new one), a `Points Possible` row first.
- `encode_csv(text, bom=True)`: bytes for a file Excel on Windows opens right, Korean names
  included (UTF-8 with a byte order mark).
- `junit_xml(reports)`: one <testsuite> per student, one <testcase> per item; lost points are a
  <failure> (an <error> for error and timeout), the message as its text.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import UsageError
from ..grading.report import SubmissionReport, clean_text, csv_row, safe_label

CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
ROSTER_COLUMNS = ["folder", "student", "id", "sis_user_id", "sis_login_id", "section"]


@dataclass(frozen=True)
class RosterEntry:
    folder: str
    student: str = ""
    id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


def read_roster(path: Path) -> dict[str, RosterEntry]:
    """folder -> RosterEntry from a roster CSV (UTF-8, a BOM allowed)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{safe_label(str(path), 4096)}: cannot read the roster ({exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip().lower() for f in reader.fieldnames or []]
    if "folder" not in fields:
        raise UsageError(f"{safe_label(str(path), 4096)}: the roster needs a 'folder' column "
                         f"(columns: {', '.join(ROSTER_COLUMNS)})")
    roster: dict[str, RosterEntry] = {}
    for number, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
        folder = row.get("folder", "")
        if not folder:
            continue
        if folder in roster:
            raise UsageError(f"{safe_label(str(path), 4096)}:{number}: folder {safe_label(folder)!r} appears twice")
        roster[folder] = RosterEntry(**{c: row.get(c, "") for c in ROSTER_COLUMNS})
    return roster


def _pts(x: float) -> str:
    return str(int(x) if float(x).is_integer() else round(float(x), 2))


@dataclass
class CanvasExport:
    text: str
    unmatched: list[str]  # graded folders the roster does not name (left out of the CSV)
    absent: list[str]  # roster folders with no result (left blank: Canvas keeps their grade)


def canvas_csv(reports: Iterable[SubmissionReport], roster: dict[str, RosterEntry], *,
               assignment: str = "torchdojo", assignment_id: str | None = None,
               modules: Sequence[str] = ()) -> CanvasExport:
    """The Canvas gradebook CSV: the total as `assignment`, and per module in `modules` a column
    `<assignment> <module>`; students in roster order."""
    by_folder = {(r.student or r.submission): r for r in reports}
    title = f"{assignment} ({assignment_id})" if assignment_id else assignment
    columns = [title] + [f"{assignment} {m}" for m in modules]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csv_row([*CANVAS_FIXED, *columns]))
    some = next(iter(by_folder.values()), None)
    possible = [_pts(some.max_score)] if some else [""]
    for m in modules:
        mod = next((x for x in (some.modules if some else []) if x.name == m), None)
        possible.append(_pts(mod.max_score) if mod else "")
    writer.writerow(["Points Possible", "", "", "", "", *possible])
    absent = []
    for folder, entry in roster.items():
        rep = by_folder.get(folder)
        if rep is None:
            absent.append(folder)
            scores = [""] * len(columns)
        else:
            per = {m.name: m for m in rep.modules}
            scores = [_pts(rep.score)] + [_pts(per[m].score) if m in per else "" for m in modules]
        writer.writerow(csv_row([entry.student or folder, entry.id, entry.sis_user_id, entry.sis_login_id,
                                 entry.section, *scores]))
    unmatched = sorted(f for f in by_folder if f not in roster)
    return CanvasExport(buf.getvalue(), unmatched, absent)


def encode_csv(text: str, *, bom: bool = True) -> bytes:
    """CSV text as bytes; with `bom` UTF-8 with a byte order mark (Excel on Windows reads Korean)."""
    return text.encode("utf-8-sig" if bom else "utf-8")


def junit_xml(reports: Iterable[SubmissionReport], *, name: str = "torchdojo") -> str:
    """JUnit XML for CI dashboards: a suite per student, a case per item (classname student.module)."""
    root = ET.Element("testsuites", name=name)
    total = {"tests": 0, "failures": 0, "errors": 0}
    for rep in reports:
        student = safe_label(rep.student or rep.submission)
        suite = ET.SubElement(root, "testsuite", name=student)
        counts = {"tests": 0, "failures": 0, "errors": 0}
        for mod in rep.modules:
            for item in mod.items:
                counts["tests"] += 1
                case = ET.SubElement(suite, "testcase", classname=f"{student}.{mod.name}", name=item.name)
                ET.SubElement(case, "properties")
                props = case.find("properties")
                assert props is not None
                ET.SubElement(props, "property", name="score", value=_pts(item.score))
                ET.SubElement(props, "property", name="max_score", value=_pts(item.max_score))
                full = item.max_score > 0 and item.score >= item.max_score or item.max_score == 0 and item.status == "passed"
                if full:
                    continue
                tag = "error" if item.status in ("error", "timeout") else "failure"
                counts["errors" if tag == "error" else "failures"] += 1
                text = clean_text(item.text.pick(rep.lang) or item.status)
                element = ET.SubElement(case, tag, type=item.status,
                                        message=f"{_pts(item.score)}/{_pts(item.max_score)}: {text[:200]}")
                element.text = text
        for key, value in counts.items():
            suite.set(key, str(value))
            total[key] += value
        suite.set("score", _pts(rep.score))
        suite.set("max_score", _pts(rep.max_score))
    for key, value in total.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
