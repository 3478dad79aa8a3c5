"""What `grade` and `report` write after a class is graded, in one place (the commands only parse
options and print): the overview (with similar pairs), the HTML page, Canvas CSV, JUnit XML,
feedback files, the class CSV and nbgrader's gradebook.

`write_outputs(reports, options)` returns the overview and the lines to show: `(text, warning)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import UsageError
from ..grading.report import SubmissionReport, safe_label
from .overview import ClassOverview, build_overview


@dataclass
class OutputOptions:
    lang: str = "en"
    html: Path | None = None
    canvas: Path | None = None
    roster: Path | None = None
    assignment: str = "torchdojo"
    per_module: bool = False
    bom: bool | None = None  # None: the Canvas CSV with a BOM, the class CSV without (as `grade --csv` always was)
    junitxml: Path | None = None
    feedback: Path | None = None
    csv: Path | None = None  # the class CSV (grade --csv)
    csv_modules: Sequence[str] = ()
    similarity: Path | None = None  # the class folder whose files are compared
    threshold: float | None = None
    similarity_html: Path | None = None
    similarity_reference: bool = True  # the reference solution counts as boilerplate too
    gradebook: Path | None = None  # nbgrader's gradebook.db (or a database URL)
    gradebook_course: Path | None = None  # the nbgrader course folder (for submitted/ and the course id)

    def check(self) -> None:
        """Bad combinations, before anything is graded."""
        if self.canvas is not None and self.roster is None:
            raise UsageError("--canvas needs --roster (a CSV with the columns folder,student,id,...)")
        if self.threshold is not None and not 0 < self.threshold <= 1:
            raise UsageError("--threshold is a share of the code: more than 0, at most 1 (e.g. 0.5)")
        if (self.threshold is not None or self.similarity_html is not None) and self.similarity is None:
            raise UsageError("--threshold and --similarity-html go with --similarity")


def _path(p: Path) -> str:
    return safe_label(str(p), 4096)


def write_outputs(reports: list[SubmissionReport], opts: OutputOptions) -> tuple[ClassOverview, list[tuple[str, bool]]]:
    opts.check()
    lines: list[tuple[str, bool]] = []
    similar, threshold = [], None
    if opts.similarity is not None:
        from .similarity import DEFAULT_THRESHOLD, similarity_of_root

        modules = list(dict.fromkeys(m.name for r in reports for m in r.modules))
        threshold = opts.threshold if opts.threshold is not None else DEFAULT_THRESHOLD
        result = similarity_of_root(opts.similarity, modules, threshold=threshold, html_path=opts.similarity_html,
                                    reference=opts.similarity_reference)
        similar = result.pairs
        for why in result.skipped:
            lines.append((f"similarity: skipped {why}", True))
        if result.html_path is not None:
            lines.append((f"similarity report (copydetect): {_path(result.html_path)}", False))
    ov = build_overview(reports, lang=opts.lang, similar=similar, similarity_threshold=threshold)
    if opts.html is not None:
        from .html import html_report

        _write_text(opts.html, html_report(ov, lang=opts.lang))
        lines.append((f"HTML report: {_path(opts.html)}", False))
    if opts.csv is not None:
        from ..grading.report import class_csv
        from .exports import encode_csv

        _write_bytes(opts.csv, encode_csv(class_csv(reports, list(opts.csv_modules)), bom=bool(opts.bom)))
        lines.append((f"CSV: {_path(opts.csv)}", False))
    if opts.canvas is not None:
        from .exports import canvas_csv, encode_csv, read_roster

        assert opts.roster is not None
        export = canvas_csv(reports, read_roster(opts.roster), assignment=opts.assignment,
                            modules=[m.name for m in ov.modules] if opts.per_module else ())
        _write_bytes(opts.canvas, encode_csv(export.text, bom=opts.bom is not False))
        lines.append((f"Canvas CSV: {_path(opts.canvas)}", False))
        for folder in export.unmatched:
            lines.append((f"warning: {folder} is not in the roster: left out of the Canvas CSV", True))
        for folder in export.absent:
            lines.append((f"warning: {folder} (roster) has no result: left blank", True))
    if opts.junitxml is not None:
        from .exports import junit_xml

        _write_text(opts.junitxml, junit_xml(reports))
        lines.append((f"JUnit XML: {_path(opts.junitxml)}", False))
    if opts.feedback is not None:
        from .feedback import write_feedback

        files = write_feedback(reports, opts.feedback, opts.lang)
        lines.append((f"feedback: {len(files)} file(s) in {_path(opts.feedback)}", False))
    if opts.gradebook is not None:
        from ..release.nbgrader_course import write_gradebook

        written = write_gradebook(reports, opts.gradebook, course_dir=opts.gradebook_course)
        lines.append((f"nbgrader gradebook: {written.summary()} ({_path(opts.gradebook)})", False))
        for warning in written.warnings:
            lines.append((f"warning: {warning}", True))
    return ov, lines


def _write_text(path: Path, text: str) -> None:
    _write_bytes(path, text.encode("utf-8"))


def _write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    if path.is_symlink():  # never write through a link someone left in the output's place
        path.unlink()
    path.write_bytes(data)
