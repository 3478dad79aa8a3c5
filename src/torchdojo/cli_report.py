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
@library_errors
def report(journal: Path, html_path: Path | None, as_json: bool, lang: str | None, width: int | None) -> None:
    """The class at a glance from a `grade` journal: per module and item, who passes, scores,
    a histogram and the most common failure messages.

    \b
    Example:
        torchdojo report .torchdojo/grades-submissions.jsonl
        torchdojo report .torchdojo/grades-submissions.jsonl --html class.html
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
