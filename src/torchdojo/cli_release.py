"""`torchdojo release`: instructor releases (nbgrader course, student bundle, Gradescope zip).

Registered by the main CLI as a command group; all work happens in `torchdojo.release`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from .cli_common import library_errors


def _modules_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--module", "--modules", "modules", multiple=True, metavar="NAME",
                        help="Only this module (e.g. 01_tensors or 01); repeatable. Default: all nine.")(fn)


def _force_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--force", is_flag=True, help="Replace an existing, non-empty output.")(fn)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def release() -> None:
    """Instructor releases: an nbgrader course, a student bundle, a Gradescope autograder.

    \b
    Example:
        torchdojo release nbgrader --out course/
        torchdojo release student --out bundle/
        torchdojo release gradescope --out autograder.zip
    """


@release.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The course folder to write.")
@_modules_option
@_force_option
@click.option("--no-generate", is_flag=True, help="Write source/ only; do not run nbgrader generate_assignment.")
@click.option("--seed", type=int, default=None, help="Seed of the hidden tests' inputs (default: a new one).")
@library_errors
def nbgrader(out: Path, modules: tuple[str, ...], force: bool, no_generate: bool, seed: int | None) -> None:
    """Write an nbgrader course: config, one notebook per module, graders pack, release/.

    --force on an existing course rewrites what this release writes (the source/ and
    release/ of the modules given, pack, config) and deletes nothing else: other
    assignments, submitted/, autograded/, feedback/ and gradebook.db stay.

    \b
    Example:
        torchdojo release nbgrader --out course/ --module 01_tensors --module 02
        cd course && nbgrader autograde 01_tensors && nbgrader export --to grades.csv
    """
    from .release.nbgrader_course import release_nbgrader

    result = release_nbgrader(out, modules or None, force=force, generate=not no_generate, seed=seed)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"nbgrader course: {result.root} ({len(result.modules)} assignments"
               f"{', released' if result.released else ''}; {result.seconds:.0f} s)")


@release.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The bundle folder to write.")
@_modules_option
@_force_option
@click.option("--wheel", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Ship this torchdojo wheel instead of building one from the checkout.")
@library_errors
def student(out: Path, modules: tuple[str, ...], force: bool, wheel: Path | None) -> None:
    """Write what students receive: stubs, quizzes without keys, README, Makefile, packed graders.

    \b
    Example:
        torchdojo release student --out bundle/
        cd bundle && make check
    """
    from .release.student import release_student

    bundle = release_student(out, force=force, wheel=wheel, modules=modules or None)
    click.echo(f"student bundle: {bundle.root} ({len(bundle.modules)} modules, {len(bundle.quizzes)} quizzes, "
               f"{bundle.wheel.name})")


@release.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="The zip file to write.")
@_modules_option
@_force_option
@click.option("--wheel", type=click.Path(path_type=Path, exists=True, dir_okay=False), default=None,
              help="Ship this torchdojo wheel instead of building one from the checkout.")
@click.option("--lang", type=click.Choice(["ko", "en"]), default="ko", show_default=True,
              help="Language of the first message line (both languages are always shown).")
@click.option("--seed", type=int, default=None,
              help="Seed every run of the autograder grades with (default: one drawn now, pinned in the zip).")
@library_errors
def gradescope(out: Path, modules: tuple[str, ...], force: bool, wheel: Path | None, lang: str,
               seed: int | None) -> None:
    """Write a Gradescope autograder zip (setup.sh, run_autograder, wheel, packed graders).

    \b
    Example:
        torchdojo release gradescope --out autograder.zip --module 01_tensors
    """
    from .release.gradescope import release_gradescope

    path = release_gradescope(out, modules or None, force=force, wheel=wheel, lang=lang, seed=seed)
    click.echo(f"gradescope autograder: {path}")


__all__ = ["release"]
