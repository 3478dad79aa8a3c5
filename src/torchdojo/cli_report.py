"""`torchdojo report JOURNAL` and `torchdojo regrade-diff OLD NEW`: parse options, call
torchdojo.classroom, print. Nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from .cli_common import library_errors


@click.command("report")
@click.argument("journal", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write one self-contained HTML page (plots inside; opens offline).")
@click.option("--json", "as_json", is_flag=True, help="Print the overview as one JSON object.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default=None, help="Language of headings and messages.")
@click.option("--width", type=click.IntRange(min=60), default=None, help="Columns of the text (default: the terminal's).")
@click.option("--canvas", "canvas_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write a Canvas gradebook CSV (needs --roster).")
@click.option("--roster", "roster_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="CSV mapping folders to Canvas: folder,student,id,sis_user_id,sis_login_id,section.")
@click.option("--assignment", default="torchdojo", show_default=True,
              help="Canvas assignment name; NAME (ID) updates that assignment.")
@click.option("--per-module", is_flag=True, help="Canvas: one more column per module.")
@click.option("--bom/--no-bom", default=True, show_default=True,
              help="CSV files in UTF-8 with a BOM, so Excel on Windows shows Korean names.")
@click.option("--junitxml", "junit_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write JUnit XML (a suite per student, a case per item) for CI dashboards.")
@click.option("--feedback", "feedback_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Write one Markdown file per student (items, points, messages) into this folder.")
@library_errors
def report(journal: Path, html_path: Path | None, as_json: bool, lang: str | None, width: int | None,
           canvas_path: Path | None, roster_path: Path | None, assignment: str, per_module: bool, bom: bool,
           junit_path: Path | None, feedback_dir: Path | None) -> None:
    """The class at a glance from a `grade` journal: per module and item, who passes, scores,
    a histogram and the most common failure messages.

    \b
    Example:
        torchdojo report .torchdojo/grades-submissions.jsonl
        torchdojo report .torchdojo/grades-submissions.jsonl --html class.html
        torchdojo report J.jsonl --canvas canvas.csv --roster roster.csv --junitxml junit.xml
    """
    from .classroom import build_overview, format_overview, load_journal_reports
    from .i18n import default_lang

    lang = lang or default_lang()
    reports, _seed = load_journal_reports(journal)
    ov = build_overview(reports, lang=lang)
    if as_json:
        click.echo(json.dumps(ov.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_overview(ov, width=width or shutil.get_terminal_size((100, 24)).columns), nl=False)
    if html_path is not None:
        from .classroom.html import html_report

        html_path.write_text(html_report(ov, lang=lang), encoding="utf-8")
        click.echo(f"HTML report: {html_path}", err=as_json)
    if canvas_path is not None:
        from .classroom.exports import canvas_csv, encode_csv, read_roster
        from .errors import UsageError

        if roster_path is None:
            raise UsageError("--canvas needs --roster (a CSV with the columns folder,student,id,...)")
        export = canvas_csv(reports, read_roster(roster_path), assignment=assignment,
                            modules=[m.name for m in ov.modules] if per_module else ())
        canvas_path.write_bytes(encode_csv(export.text, bom=bom))
        click.echo(f"Canvas CSV: {canvas_path}", err=as_json)
        for folder in export.unmatched:
            click.echo(f"warning: {folder} is not in the roster: left out of the Canvas CSV", err=True)
        for folder in export.absent:
            click.echo(f"warning: {folder} (roster) has no result: left blank", err=True)
    if junit_path is not None:
        from .classroom.exports import junit_xml

        junit_path.write_text(junit_xml(reports), encoding="utf-8")
        click.echo(f"JUnit XML: {junit_path}", err=as_json)
    if feedback_dir is not None:
        from .classroom.feedback import write_feedback

        files = write_feedback(reports, feedback_dir, lang)
        click.echo(f"feedback: {len(files)} file(s) in {feedback_dir}", err=as_json)


@click.command("regrade-diff")
@click.argument("old", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("new", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--all", "everyone", is_flag=True, help="List every student, changed or not.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list.")
@library_errors
def regrade_diff(old: Path, new: Path, everyone: bool, as_json: bool) -> None:
    """Per-student diff of two `grade` journals (before and after a grader changed).

    \b
    Example:
        torchdojo grade submissions/ --results new.jsonl --seed 123
        torchdojo regrade-diff old.jsonl new.jsonl
    """
    from dataclasses import asdict

    from .classroom.regrade import diff_journals, format_diff

    changes = diff_journals(old, new, everyone=everyone)
    if as_json:
        click.echo(json.dumps([{**asdict(c), "delta": c.delta} for c in changes], ensure_ascii=False, indent=2))
    else:
        click.echo(format_diff(changes), nl=False)
