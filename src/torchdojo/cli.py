"""The `torchdojo` command: parses options, calls the library, prints. Nothing else."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from .errors import TorchdojoError
from .i18n import default_lang


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def library_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into 'Error: ...' and exit status 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TorchdojoError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)

    return wrapper


def grading_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by check and grade."""
    fn = click.option("--seed", type=int, default=None,
                      help="Seed of the random inputs (default: a new one each run; printed in the report).")(fn)
    fn = click.option("--module", "modules", multiple=True, metavar="NAME",
                      help="Grade only this module (e.g. 01_tensors or 01); repeatable.")(fn)
    fn = click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
                      help="Where graders run the code: cuda when asked or when auto finds a GPU.")(fn)
    fn = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object to stdout.")(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="torchdojo")
def main() -> None:
    """torchdojo: auto-graded PyTorch exercises and quizzes (Korean first, English beside).

    \b
    Example:
        torchdojo check            # grade exercises/ (what `make check` runs)
        torchdojo grade submissions/ --csv grades.csv
        torchdojo quiz list
    """


@main.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@grading_options
@click.option("--lang", type=click.Choice(["ko", "en"]), default=None, help="Language of the messages.")
@library_errors
def check(directory: Path | None, as_json: bool, device: str, modules: tuple[str, ...], seed: int | None,
          lang: str | None) -> None:
    """Grade one folder of exercises (default: exercises/) and show points per item.

    Exit status 0 only at full score, 1 otherwise, 2 for bad input.

    \b
    Example:
        torchdojo check
        torchdojo check reference --json --module 01_tensors
    """
    from .course import exercises_dir
    from .grading.report import to_json
    from .grading.runner import check as run_check
    from .render import print_check

    lang = lang or default_lang()
    if directory is None:
        directory = Path("exercises") if Path("exercises").is_dir() else exercises_dir()
    report = run_check(directory, modules=modules or None, device=device, seed=seed, lang=lang)
    if as_json:
        click.echo(to_json(report))
    else:
        print_check(report, _console(), lang)
    sys.exit(0 if report.full else 1)


@main.command()
@click.argument("root", type=click.Path(path_type=Path))
@grading_options
@click.option("--csv", "csv_path", type=click.Path(path_type=Path), default=None,
              help="Also write a CSV: one row per student, one column per module.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Submissions graded at once (default: the number of cores).")
@click.option("--lang", type=click.Choice(["ko", "en"]), default=None, help="Language of the messages.")
@click.option("--results", "results_path", type=click.Path(path_type=Path), default=None,
              help="Journal of results, one JSON line per student, written as each is graded "
                   "(default: .torchdojo/grades-<ROOT name>.jsonl).")
@click.option("--resume", is_flag=True, help="Skip the students already in the journal (same seed as before).")
@library_errors
def grade(root: Path, as_json: bool, device: str, modules: tuple[str, ...], seed: int | None,
          csv_path: Path | None, jobs: int | None, lang: str | None, results_path: Path | None,
          resume: bool) -> None:
    """Grade a whole class: every subfolder of ROOT is one student's submission.

    Results are journaled as they come, so an interrupted run loses nothing: run it again
    with --resume to grade only the rest.

    \b
    Example:
        torchdojo grade submissions/ --csv grades.csv -j 2
        torchdojo grade submissions/ --resume
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .course import load_course
    from .errors import UsageError
    from .grading.journal import Journal
    from .grading.report import ClassReport, class_csv, to_json
    from .grading.runner import class_submissions, grade as run_grade
    from .render import print_class

    lang = lang or default_lang()
    course = load_course()
    names = [course.module(m).name for m in modules] if modules else course.names
    subs = class_submissions(root)
    journal = Journal.open(results_path or Path(".torchdojo") / f"grades-{Path(root).resolve().name}.jsonl",
                           resume=resume)
    if journal.seed is not None and seed is not None and seed != journal.seed:
        raise UsageError(f"{journal.path} was graded with seed {journal.seed}; --resume cannot change it to {seed}")
    seed = journal.seed if journal.seed is not None else seed
    todo = [name for name, _ in subs if name not in journal.done]
    err = _console(stderr=True)
    results = run_grade(root, jobs=jobs, modules=modules or None, device=device, seed=seed, lang=lang,
                        skip=journal.done, on_start=journal.start)
    if err.is_terminal and todo:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=err) as progress:
            task = progress.add_task("grading", total=len(todo))
            for rep in results:
                journal.record(rep)
                progress.update(task, advance=1, description=f"graded {rep.student}")
    else:
        for rep in results:
            journal.record(rep)
    reports = sorted(journal.done.values(), key=lambda r: r.student or "")
    if not as_json:
        err.print(f"results journal: {journal.path}", markup=False, highlight=False)
    if csv_path:
        csv_path.write_text(class_csv(reports, names), encoding="utf-8")
    if as_json:
        click.echo(to_json(ClassReport(reports, device=reports[0].device if reports else device,
                                       seed=reports[0].seed if reports else 0)))
    else:
        print_class(reports, _console(), names)


def _register_optional() -> None:
    try:
        from .cli_quiz import quiz
    except ImportError:  # the quiz tool is optional while it is being built
        return
    main.add_command(quiz)


_register_optional()

if __name__ == "__main__":
    main()
