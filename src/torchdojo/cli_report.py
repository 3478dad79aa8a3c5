"""`torchdojo report JOURNAL` and `torchdojo regrade-diff OLD NEW`: parse options, call
torchdojo.classroom, print. Nothing else."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from .cli_common import class_export_options, library_errors


@click.command("report")
@click.argument("journal", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write one self-contained HTML page (plots inside; opens offline).")
@click.option("--json", "as_json", is_flag=True, help="Print the overview as one JSON object.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default=None, help="Language of headings and messages.")
@click.option("--width", type=click.IntRange(min=60), default=None, help="Columns of the text (default: the terminal's).")
@class_export_options
@click.option("--per-module", is_flag=True, help="Canvas: one more column per module.")
@click.option("--bom/--no-bom", default=True, show_default=True,
              help="CSV files in UTF-8 with a BOM, so Excel on Windows shows Korean names.")
@click.option("--similarity", "similarity_root", type=click.Path(path_type=Path, file_okay=False), default=None,
              metavar="ROOT", help="Compare the students' files in ROOT (the graded class folder) with copydetect; "
                                   "stubs and the reference are boilerplate. Pairs above --threshold are listed.")
@click.option("--threshold", type=float, default=None,
              help="With --similarity: the share of own code two files must share to be listed (default 0.5).")
@click.option("--similarity-html", "similarity_html", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="With --similarity: write copydetect's HTML report (copied code highlighted) here.")
@library_errors
def report(journal: Path, html_path: Path | None, as_json: bool, lang: str | None, width: int | None,
           canvas_path: Path | None, roster_path: Path | None, assignment: str, per_module: bool, bom: bool,
           junit_path: Path | None, feedback_dir: Path | None, similarity_root: Path | None,
           threshold: float | None, similarity_html: Path | None) -> None:
    """The class at a glance from a `grade` journal: per module and item, who passes, scores,
    a histogram and the most common failure messages.

    \b
    Example:
        torchdojo report .torchdojo/grades-submissions.jsonl
        torchdojo report .torchdojo/grades-submissions.jsonl --html class.html
        torchdojo report J.jsonl --canvas canvas.csv --roster roster.csv --junitxml junit.xml
        torchdojo report J.jsonl --similarity submissions/ --similarity-html similar.html
    """
    from .classroom import format_overview, load_journal_reports
    from .classroom.outputs import OutputOptions, write_outputs
    from .i18n import default_lang

    lang = lang or default_lang()
    options = OutputOptions(lang=lang, html=html_path, canvas=canvas_path, roster=roster_path, assignment=assignment,
                            per_module=per_module, bom=bom, junitxml=junit_path, feedback=feedback_dir,
                            similarity=similarity_root, threshold=threshold, similarity_html=similarity_html)
    options.check()
    reports, _seed = load_journal_reports(journal)
    ov, lines = write_outputs(reports, options)
    if as_json:
        click.echo(json.dumps(ov.to_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(format_overview(ov, width=width or shutil.get_terminal_size((100, 24)).columns), nl=False)
    for text, warning in lines:
        click.echo(text, err=as_json or warning)


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
