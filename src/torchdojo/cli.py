"""The `torchdojo` command: parses options, calls the library, prints. Nothing else."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console

from .cli_common import LocalizedGroup, class_export_options, library_errors
from .i18n import Text, default_lang


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


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


def _use_course(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    if value is not None:  # every later look-up of the course (graders, reference, hints) finds this one
        import os

        from .course import COURSE_ENV

        os.environ[COURSE_ENV] = str(value.resolve())


@click.group(cls=LocalizedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="torchdojo")
@click.option("--course", type=click.Path(path_type=Path, file_okay=False), default=None, expose_value=False,
              is_eager=True, callback=_use_course,
              help="The course folder (holds torchdojo.yaml); default: the current folder or one above it.")
@click.pass_context
def main(ctx: click.Context) -> None:
    """torchdojo: auto-graded PyTorch exercises and quizzes (Korean first, English beside).

    \b
    Example:
        torchdojo check            # grade exercises/ (what `make check` runs)
        torchdojo grade submissions/ --csv grades.csv
        torchdojo quiz list
    """
    from .course import load_course
    from .errors import TorchdojoError

    try:
        course = load_course()
    except TorchdojoError:
        return  # no course here: commands that need one say so themselves
    if course.needs_unpacking:  # a student bundle: its graders are packed until a command needs them
        ctx.with_resource(course.open_pack())


lang_option = click.option("--lang", type=click.Choice(["ko", "en"]), default=None,
                           help="Language of what you read (default: your locale, else Korean).")


def _exercises(directory: Path | None) -> Path:
    from .course import exercises_dir

    if directory is not None:
        return directory
    return Path("exercises") if Path("exercises").is_dir() else exercises_dir()


@main.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@grading_options
@lang_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gradescope"]), default="text",
              help="text (a table), json (same as --json) or gradescope (its results.json).")
@click.option("--artifacts", "artifacts_dir", type=click.Path(path_type=Path), default=None,
              help="Write pictures of your results here (image restoration, training curves).")
@library_errors
def check(directory: Path | None, as_json: bool, device: str, modules: tuple[str, ...], seed: int | None,
          lang: str | None, fmt: str, artifacts_dir: Path | None) -> None:
    """Grade one folder of exercises (default: exercises/) and show points per item.

    Exit status 0 only at full score, 1 otherwise, 2 for bad input.

    \b
    Example:
        torchdojo check
        torchdojo check reference --json --module 01_tensors
        torchdojo check --artifacts pictures/
    """
    from .grading.report import to_json
    from .grading.runner import check as run_check
    from .render import print_check

    lang = lang or default_lang()
    directory = _exercises(directory)
    report = run_check(directory, modules=modules or None, device=device, seed=seed, lang=lang,
                       artifacts=artifacts_dir is not None)
    if as_json or fmt == "json":
        click.echo(to_json(report))
    elif fmt == "gradescope":
        from .release.gradescope import to_gradescope

        click.echo(json.dumps(to_gradescope(report), ensure_ascii=False, indent=2))
    else:
        print_check(report, _console(), lang)
    if artifacts_dir is not None:
        from .pictures import missing_pictures, render

        to_stderr = as_json or fmt != "text"
        word = Text(ko="그림", en="picture").pick(lang)
        for path in render(report.artifacts, artifacts_dir, lang=lang):
            click.echo(f"{word}: {path}", err=to_stderr)
        for line in missing_pictures(report, lang):  # why a module made no picture
            click.echo(line, err=to_stderr)
    sys.exit(0 if report.full else 1)


@main.command("list")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@lang_option
@library_errors
def list_(directory: Path | None, as_json: bool, lang: str | None) -> None:
    """Every module with its items, points and your status from the last check.

    \b
    Example:
        torchdojo list
        torchdojo list --json
    """
    from .progress import progress
    from .render import print_progress

    lang = lang or default_lang()
    data = progress(_exercises(directory))
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_progress(data, _console(), lang)


@main.command()
@click.argument("module", required=False)
@click.argument("item", required=False)
@lang_option
@click.option("--level", type=click.IntRange(min=1), default=1, show_default=True,
              help="1 a nudge, 2 the PyTorch idea, 3 near-code.")
@library_errors
def hint(module: str | None, item: str | None, lang: str | None, level: int) -> None:
    """A hint for one exercise: a nudge, then the PyTorch idea, then near-code.

    MODULE is e.g. 01_tensors or 01; ITEM defaults to your next unfinished item.

    \b
    Example:
        torchdojo hint 01_tensors
        torchdojo hint 01 flatten_images --level 2 --lang en
    """
    from .course import load_course
    from .grading.state import first_unfinished, load_state
    from .hints import hint as find_hint

    lang = lang or default_lang()
    course = load_course()
    state = load_state(_exercises(None))
    done = {name: m for name, m in state.items() if m.max_score > 0 and m.score >= m.max_score}
    if module is None:
        nxt = first_unfinished(state, course.names)
        if nxt is None and state and all(name in done for name in course.names):
            click.echo(Text(ko="모든 모듈이 만점입니다. 더 풀 항목이 없어요! 🎉 "
                               "(다시 보고 싶은 힌트는 torchdojo hint 01 처럼 모듈을 지정하세요)",
                            en="Every module is at full score: nothing left to do! "
                               "(for a hint anyway, name the module: torchdojo hint 01)").pick(lang))
            return
        module, item = (nxt if nxt else (course.names[0], ""))
    if not item:
        name = course.module(module).name
        if name in done:
            nxt = first_unfinished(state, course.names)
            later = (Text(ko=f" 다음 할 일: torchdojo hint {nxt[0]}", en=f" Next: torchdojo hint {nxt[0]}") if nxt
                     else Text(ko=" 모든 모듈이 만점입니다! 🎉", en=" Every module is at full score!"))
            click.echo((Text(ko=f"{name}은(는) 만점입니다 (모든 항목 통과).",
                             en=f"{name} is at full score (every item passed).") + later).pick(lang))
            click.echo(Text(ko="첫 연습 문제의 힌트를 다시 보여 드립니다:",
                            en="Here is the first exercise's hint again:").pick(lang))
        nxt = first_unfinished({name: state[name]}, [name]) if name in state else None
        item = nxt[1] if nxt and nxt[1] else None
    name, exercise, shown, levels, text = find_hint(module, item, level=level, lang=lang)  # type: ignore[arg-type]
    label = Text(ko="힌트", en="hint").pick(lang)
    click.echo(f"{name} / {exercise} — {label} {shown}/{levels}")
    click.echo(text)
    if shown < levels:
        more = Text(ko=f"더 보려면: torchdojo hint {name} {exercise} --level {shown + 1}",
                    en=f"more: torchdojo hint {name} {exercise} --level {shown + 1} --lang en").pick(lang)
        click.echo(more)


@main.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True)
@lang_option
@click.option("--artifacts", "artifacts_dir", type=click.Path(path_type=Path), default=None,
              help="Also write pictures of your results here after each run.")
@library_errors
def watch(directory: Path | None, device: str, lang: str | None, artifacts_dir: Path | None) -> None:
    """Grade once, then re-grade a module each time you save its file (Ctrl-C to stop).

    \b
    Example:
        torchdojo watch
        make watch
    """
    from .render import print_watch
    from .watch import watch as run_watch

    lang = lang or default_lang()
    console = _console()

    def show(report, regraded, seconds) -> None:
        print_watch(report, regraded, seconds, console, lang)
        if artifacts_dir is not None:
            from .pictures import render

            for path in render(report.artifacts, artifacts_dir, lang=lang):
                word = Text(ko="그림", en="picture").pick(lang)
                console.print(f"{word}: {path}", markup=False, highlight=False)

    try:
        run_watch(_exercises(directory), device=device, lang=lang, artifacts=artifacts_dir is not None,
                  on_report=show)
    except KeyboardInterrupt:
        pass
    console.print(Text(ko="watch를 마칩니다.", en="watch stopped.").pick(lang), markup=False, highlight=False)


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
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="local: this machine (-j processes); dask: a Dask cluster (pip install 'torchdojo[cluster]').")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --executor dask: the scheduler to use (default: start a LocalCluster here).")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="With --executor dask: LocalCluster processes, or workers to wait for with --scheduler.")
@click.option("--overview/--no-overview", default=True, show_default=True,
              help="Print the class overview (per module and item, most common failures) after the table.")
@click.option("--html", "html_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Also write the overview as one self-contained HTML page (plots inside; opens offline).")
@class_export_options
@click.option("--bom/--no-bom", default=None,
              help="CSV files in UTF-8 with a BOM, so Excel on Windows shows Korean names "
                   "(default: --canvas with a BOM, --csv without, as before).")
@click.option("--similarity", is_flag=True,
              help="Compare the students' files with copydetect (stubs and the reference are boilerplate); "
                   "pairs above --threshold go into the overview.")
@click.option("--threshold", type=float, default=None, help="With --similarity: share of own code (default 0.5).")
@click.option("--similarity-html", "similarity_html", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="With --similarity: write copydetect's HTML report here.")
@click.option("--gradebook", "gradebook", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Write the points into this nbgrader gradebook.db (automatic when ROOT is an nbgrader course "
                   "or its submitted/ folder).")
@library_errors
def grade(root: Path, as_json: bool, device: str, modules: tuple[str, ...], seed: int | None,
          csv_path: Path | None, jobs: int | None, lang: str | None, results_path: Path | None,
          resume: bool, executor: str, scheduler: str | None, workers: int | None, overview: bool,
          html_path: Path | None, junit_path: Path | None, canvas_path: Path | None, roster_path: Path | None,
          assignment: str, bom: bool | None, feedback_dir: Path | None, similarity: bool, threshold: float | None,
          similarity_html: Path | None, gradebook: Path | None) -> None:
    """Grade a whole class: every subfolder of ROOT is one student's submission.

    Results are journaled as they come, so an interrupted run loses nothing: run it again
    with --resume to grade only the rest.

    \b
    Example:
        torchdojo grade submissions/ --csv grades.csv -j 2
        torchdojo grade submissions/ --resume
        torchdojo grade submissions/ --executor dask --scheduler tcp://10.0.0.5:8786
        torchdojo grade submissions/ --html class.html --junitxml junit.xml --similarity
        torchdojo grade course/submitted/          # an nbgrader course: points into its gradebook.db
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .classroom.outputs import OutputOptions, write_outputs
    from .course import load_course
    from .grading.classrun import detect_source, start_class_run
    from .grading.report import ClassReport, safe_label, to_json
    from .render import print_class

    lang = lang or default_lang()
    course = load_course()
    names = [course.module(m).name for m in modules] if modules else course.names
    source = detect_source(root)
    nb_course = source.nbgrader_course
    if gradebook is None and nb_course is not None and (nb_course / "gradebook.db").is_file():
        gradebook = nb_course / "gradebook.db"
    outputs = OutputOptions(lang=lang, html=html_path, canvas=canvas_path, roster=roster_path, assignment=assignment,
                            bom=bom, junitxml=junit_path, feedback=feedback_dir, csv=csv_path, csv_modules=names,
                            similarity=root if similarity else None, threshold=threshold,
                            similarity_html=similarity_html, gradebook=gradebook, gradebook_course=nb_course)
    outputs.check()  # before the journal is opened: a bad option loses nothing
    run = start_class_run(root, source=source, executor=executor, jobs=jobs, scheduler=scheduler, workers=workers,
                          modules=modules or None, device=device, seed=seed, lang=lang, results=results_path,
                          resume=resume)
    journal, worker_counts = run.journal, run.worker_counts
    err = _console(stderr=True)
    if err.is_terminal and run.todo:
        # the description names a student: shown as text, never parsed as markup
        columns = (TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn())
        with Progress(*columns, console=err) as progress:
            task = progress.add_task("grading", total=len(run.todo))
            for rep in run:
                progress.update(task, advance=1, description=f"graded {safe_label(rep.student)}")
    else:
        for _ in run:
            pass
    reports = run.reports
    if not as_json:
        err.print(f"results journal: {safe_label(str(journal.path), 4096)}", markup=False, highlight=False,
                  emoji=False)
        for address, count in sorted(worker_counts.items()):
            err.print(f"  {safe_label(address)}: {count} graded", markup=False, highlight=False, emoji=False)
    ov, lines = write_outputs(reports, outputs)
    if as_json:
        click.echo(to_json(ClassReport(reports, device=reports[0].device if reports else device,
                                       seed=reports[0].seed if reports else 0)))
    else:
        print_class(reports, _console(), names)
        if overview and reports:
            import shutil

            from .classroom import format_overview

            click.echo("")
            click.echo(format_overview(ov, width=shutil.get_terminal_size((100, 24)).columns), nl=False)
    for text, warning in lines:
        err.print(text, markup=False, highlight=False, emoji=False) if (warning or as_json) else \
            click.echo(text)


from .cli_quiz import quiz  # noqa: E402
from .cli_dev import dev, new  # noqa: E402
from .cli_release import release  # noqa: E402

main.add_command(quiz)
main.add_command(release)
main.add_command(new)
main.add_command(dev)

from .cli_report import regrade_diff, report  # noqa: E402

main.add_command(report)
main.add_command(regrade_diff)

if __name__ == "__main__":
    main()
