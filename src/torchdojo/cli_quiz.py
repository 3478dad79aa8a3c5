"""`torchdojo quiz ...`: take quizzes, check quiz files, roll up records.

This module only parses options, prints and calls :mod:`torchdojo.quiz`.
It must not import torch (start-up stays fast).
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from torchdojo.errors import QuizError
from torchdojo.i18n import LANGS, default_lang
from torchdojo.quiz import bank, render
from torchdojo.quiz.records import append_record, build_report, read_records
from torchdojo.quiz.session import InvalidKey, QuizSession

F = TypeVar("F", bound=Callable[..., Any])

EXIT_INTERRUPTED = 130  # Ctrl-C, like a shell
EXIT_INCOMPLETE = 1  # stdin ended before the last question


class QuizInputError(click.ClickException):
    """Bad input (a quiz, answers or record file): message and exit status 2."""

    exit_code = 2


def _input_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except QuizError as exc:
            raise QuizInputError(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _default_student() -> str:
    name = os.environ.get("TORCHDOJO_STUDENT", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "anonymous"


lang_option = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=None,
    help="ko | en. 기본값: TORCHDOJO_LANG, 로캘, 아니면 한국어 / default: TORCHDOJO_LANG, the locale, else Korean.",
)


@click.group("quiz")
def quiz() -> None:
    """퀴즈 풀기와 채점 / Take quizzes, check quiz files, report results."""


# --------------------------------------------------------------------------- list


@quiz.command("list")
@click.option("--json", "as_json", is_flag=True, help="JSON 출력 / print JSON.")
@lang_option
@_input_errors
def list_cmd(as_json: bool, lang: str | None) -> None:
    """퀴즈 목록 / List the quizzes: ids, titles, question counts."""
    quizzes, problems = bank.load_bank()
    for problem in problems:
        click.echo(f"warning: skipped: {problem}", err=True)
    if as_json:
        click.echo(json.dumps(render.quiz_list_json(quizzes), ensure_ascii=False, indent=2))
        return
    render.quiz_list(render.Output(sys.stdout), quizzes, lang or default_lang())  # type: ignore[arg-type]


# --------------------------------------------------------------------------- run


@quiz.command("run")
@click.argument("quiz_ref", metavar="ID")
@lang_option
@click.option("--no-shuffle", is_flag=True, help="보기를 섞지 않음 / keep the file's choice order.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="보기 섞기 시드 (출력된 값으로 재현) / shuffle seed (replay a printed one).")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON 답 파일 {문제 id: 번호 또는 [번호,...]} (파일의 보기 순서) / answer non-interactively: "
    "question id -> choice number or list, in the quiz FILE's choice order.",
)
@click.option("--json", "as_json", is_flag=True, help="결과를 JSON 한 개로 stdout에 (질문은 stderr) / one JSON object on stdout; prompts go to stderr.")
@click.option("--student", default=None, help="학생 이름 (기본: TORCHDOJO_STUDENT, 아니면 로그인 이름) / student name.")
@click.option("--record", "record_file", type=click.Path(dir_okay=False, path_type=Path), help="응시 기록을 JSON 한 줄로 덧붙일 파일 / append the attempt as one JSON line.")
@click.option("--exam", is_flag=True, help="정답과 해설을 끝에만 보여 줌 / show answers and explanations only at the end.")
@click.pass_context
@_input_errors
def run_cmd(
    ctx: click.Context,
    quiz_ref: str,
    lang: str | None,
    no_shuffle: bool,
    seed: int | None,
    answers_file: Path | None,
    as_json: bool,
    student: str | None,
    record_file: Path | None,
    exam: bool,
) -> None:
    """퀴즈 풀기 / Take quiz ID (an id from `quiz list`, or a path to a .yaml file).

    \b
    Interactive by default: type a choice number (multi-select: 1,3 or 1 3).
    Ctrl-C or the end of input stops and reports the answers given so far
    (exit 130 for Ctrl-C, 1 for end of input; saved with --record).
    """
    chosen_lang = lang or default_lang()
    the_quiz = bank.find_quiz(quiz_ref)
    session = QuizSession(
        the_quiz, seed=seed, shuffle=not no_shuffle, lang=chosen_lang, student=student or _default_student()  # type: ignore[arg-type]
    )
    human = render.Output(sys.stderr if as_json else sys.stdout)
    status = 0
    if answers_file is not None:
        data = bank.read_data_file(answers_file, what=f"answers file {answers_file}:")
        missing = session.apply_answer_map(data, source=f"answers file {answers_file}")
        if missing:
            click.echo(render.msg("unanswered_ids", chosen_lang, ids=", ".join(missing)), err=True)  # type: ignore[arg-type]
        if not as_json:
            render.header(human, the_quiz, session, chosen_lang, interactive=False)  # type: ignore[arg-type]
            render.score_report(human, session, chosen_lang, explain=True, file_order=True)  # type: ignore[arg-type]
    else:
        stopped = _interactive(session, human, exam)
        if stopped == "interrupted":
            status = EXIT_INTERRUPTED
        elif stopped == "eof":
            status = EXIT_INCOMPLETE
        render.score_report(human, session, chosen_lang, explain=exam, interrupted=stopped)  # type: ignore[arg-type]
    result = session.result()
    if record_file is not None:
        append_record(record_file, result)
        human.line(render.msg("recorded", chosen_lang, path=record_file), style="dim")  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    ctx.exit(status)


def _interactive(session: QuizSession, out: render.Output, exam: bool) -> str | None:
    """Ask every question on `out`, reading stdin; returns None, 'interrupted' or 'eof'."""
    lang = session.lang
    stdin = sys.stdin
    try:
        echo_input = not stdin.isatty()
    except (AttributeError, ValueError):
        echo_input = True
    total = len(session.questions)
    try:
        render.header(out, session.quiz, session, lang, interactive=True)
        for index, shown in enumerate(session.questions, start=1):
            render.question(out, shown, index, total, lang)
            while True:
                out.write(render.prompt_text(shown, lang))
                line = stdin.readline()
                if line == "":
                    out.line()
                    return "eof"
                typed = line.rstrip("\r\n")
                if echo_input:
                    out.line(typed)
                try:
                    correct = session.answer_text(shown.id, typed)
                except InvalidKey as exc:
                    out.line(exc.text(lang), style="yellow")
                    continue
                break
            if not exam:
                render.feedback(out, shown, correct, lang)
    except KeyboardInterrupt:
        out.line()
        return "interrupted"
    return None


# --------------------------------------------------------------------------- validate


@quiz.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@_input_errors
def validate_cmd(paths: tuple[Path, ...]) -> None:
    """퀴즈 파일 검사 / Check quiz files (or folders of *.yaml; default: the quiz bank).

    Every problem is printed as FILE:LINE: question 'ID': field 'FIELD': message.
    Exit 1 if there is any problem, 0 otherwise.
    """
    targets = list(paths) or [bank.quizzes_dir()]
    report = bank.check_paths(targets)
    for problem in report.problems:
        click.echo(str(problem))
    if not report.files:
        click.echo("no quiz files found in: " + ", ".join(map(str, targets)))
        sys.exit(1)
    if report.problems:
        bad = len({p.file for p in report.problems})
        click.echo(f"{len(report.problems)} problem(s) in {bad} of {len(report.files)} file(s)")
        sys.exit(1)
    click.echo(f"OK: {len(report.files)} file(s), {len(report.quizzes)} quiz(zes), {report.questions} question(s), no problems")


# --------------------------------------------------------------------------- report


@quiz.command("report")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--quiz", "quiz_id", default=None, help="이 퀴즈만 / only this quiz id.")
@lang_option
@_input_errors
def report_cmd(files: tuple[Path, ...], fmt: str, quiz_id: str | None, lang: str | None) -> None:
    """여러 학생의 기록 집계 / Roll up record files (JSON lines from `quiz run --record`).

    \b
    Per-student scores count the LATEST COMPLETE attempt per student and quiz
    (the attempt count includes incomplete ones; students with only incomplete
    attempts are listed apart). Per-question statistics (share correct, most
    chosen wrong choice in the quiz file's order) use those same attempts.
    A malformed line is reported as FILE:LINE and skipped.
    """
    records, problems = read_records(files)
    for problem in problems:
        click.echo(f"warning: skipped {problem}", err=True)
    report = build_report(records, problems, quiz=quiz_id)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        click.echo(render.report_csv(report), nl=False)
    else:
        try:
            known = {q.id: q for q in bank.load_bank()[0]}
        except QuizError:
            known = {}
        render.report_table(render.Output(sys.stdout), report, lang or default_lang(), known)  # type: ignore[arg-type]


if __name__ == "__main__":  # pragma: no cover
    quiz()
