"""`torchdojo new` and `torchdojo dev ...`: writing and checking a course. Parses and prints only."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from .cli_common import library_errors


@click.command("new")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--id", "course_id", default=None, help="The course's id (default: the folder's name).")
@library_errors
def new(directory: Path, course_id: str | None) -> None:
    """Write a small working course into DIRECTORY (one module, its grader, a mutant, a quiz).

    \b
    Example:
        torchdojo new mycourse && cd mycourse && torchdojo dev check
    """
    from .authoring.scaffold import new_course

    for path in new_course(directory, course_id=course_id):
        click.echo(f"wrote {path}")
    click.echo(f"next: cd {directory} && torchdojo dev check")


@click.group("dev")
def dev() -> None:
    """Tools for course authors: add a module, check the whole course.

    \b
    Example:
        torchdojo dev new 10_my_topic --exercise my_function
        torchdojo dev check
    """


@dev.command("new")
@click.argument("module")
@click.option("--exercise", default="double", show_default=True, help="Name of the example exercise to write.")
@click.option("--title-ko", default=None, help="The module's Korean title.")
@click.option("--title-en", default=None, help="The module's English title.")
@library_errors
def dev_new(module: str, exercise: str, title_ko: str | None, title_en: str | None) -> None:
    """Add MODULE (e.g. 10_my_topic) to the current course: stub, reference, grader, mutants, manifest entry.

    \b
    Example:
        torchdojo dev new 10_my_topic --exercise my_function --title-ko "내 주제" --title-en "My topic"
    """
    from .authoring.scaffold import add_module
    from .course import find_course_root

    for path in add_module(find_course_root(), module, title_ko=title_ko, title_en=title_en, exercise=exercise):
        click.echo(f"wrote {path}")


@dev.command("check")
@click.option("--seed", "seeds", type=int, multiple=True, help="Seeds to run the mutants on (default: 1 and 2).")
@click.option("--no-grading", is_flag=True, help="Check the manifest and files only (fast).")
@click.option("--module", "modules", multiple=True, metavar="NAME",
              help="Grade only this module's stub, reference and mutants (files are checked for all); repeatable.")
@library_errors
def dev_check(seeds: tuple[int, ...], no_grading: bool, modules: tuple[str, ...]) -> None:
    """Check the whole course: manifest, files, stubs 0, reference full, mutants caught, quizzes valid.

    \b
    Example:
        torchdojo dev check
    """
    from .authoring.devcheck import dev_check as run
    from .course import find_course_root

    console = Console(highlight=False, soft_wrap=True)
    root = find_course_root()
    findings = run(root, seeds=seeds or (1, 2), grade=not no_grading, modules=list(modules) or None,
                   progress=lambda text: console.print(f"[dim]… {escape(text)}[/dim]"))
    for f in findings:
        mark = "[green]ok[/green]  " if f.ok else "[red]FAIL[/red]"
        console.print(f"{mark} {escape(f.check)}" + (f"  [dim]{escape(f.detail)}[/dim]" if f.detail else ""))
    failed = [f for f in findings if not f.ok]
    console.print(f"{len(findings) - len(failed)}/{len(findings)} checks passed in {root}")
    sys.exit(1 if failed else 0)
