"""`torchdojo quiz ...`: take quizzes, check quiz files, roll up records.

This module only parses options, prints and calls :mod:`torchdojo.quiz`.
It must not import torch (start-up stays fast).
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from torchdojo.errors import QuizError
from torchdojo.i18n import LANGS, default_lang
from torchdojo.quiz import bank, progress, render
from torchdojo.quiz.records import append_record, build_report, read_records
from torchdojo.quiz.session import SEED_MAX, InvalidKey, QuizSession

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

ENV_PROMPT = "TORCHDOJO_QUIZ_PROMPT"  # "typed" or "arrows" (default: arrows on a terminal)


def _no_shuffle_removed(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    if value:
        raise click.UsageError(
            "--no-shuffle is gone: in file order a choice's position could give the key away. "
            "Every attempt is shuffled by a seed; replay one with --seed N. "
            "(--no-shuffle는 없어졌습니다: 보기는 늘 섞이며, 같은 순서는 --seed N으로 다시 봅니다.)"
        )
    return value


@quiz.command("run")
@click.argument("quiz_ref", metavar="ID")
@lang_option
@click.option("--no-shuffle", is_flag=True, hidden=True, expose_value=False, callback=_no_shuffle_removed)
@click.option("--seed", type=click.IntRange(min=0), default=None, help="보기 섞기 시드 (출력된 값으로 재현) / shuffle seed (replay a printed one).")
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON 답안지 {seed: N, answers: {문제 id: 번호}} (`quiz sheet`의 번호) 또는 {문제 id: 보기 글} / "
    "answer non-interactively from a sheet: numbers are the positions of the sheet printed with that seed "
    "(`quiz sheet ID --seed N`), or give the choice texts.",
)
@click.option("--json", "as_json", is_flag=True, help="결과를 JSON 한 개로 stdout에 (질문은 stderr) / one JSON object on stdout; prompts go to stderr.")
@click.option("--student", default=None, help="학생 이름 (기본: TORCHDOJO_STUDENT, 아니면 로그인 이름) / student name.")
@click.option("--record", "record_file", type=click.Path(dir_okay=False, path_type=Path), help="응시 기록을 JSON 한 줄로 덧붙일 파일 / append the attempt as one JSON line.")
@click.option("--exam", is_flag=True, help="정답과 해설을 끝에만 보여 줌 / show answers and explanations only at the end.")
@click.option("--resume", is_flag=True, help="Ctrl-C로 멈춘 응시를 이어서 / continue the attempt stopped by Ctrl-C (same seed, answers kept).")
@click.option("--retry-wrong", is_flag=True, help="지난 응시에서 틀린 문제만 다시 (연습) / retry only the questions the last attempt got wrong (practice).")
@click.option("--typed", is_flag=True, help="화살표 메뉴 대신 번호 입력 / type numbers instead of the arrow-key menu (also TORCHDOJO_QUIZ_PROMPT=typed).")
@click.pass_context
@_input_errors
def run_cmd(
    ctx: click.Context,
    quiz_ref: str,
    lang: str | None,
    seed: int | None,
    answers_file: Path | None,
    as_json: bool,
    student: str | None,
    record_file: Path | None,
    exam: bool,
    resume: bool,
    retry_wrong: bool,
    typed: bool,
) -> None:
    """퀴즈 풀기 / Take quiz ID (an id from `quiz list`, or a path to a .yaml file).

    \b
    On a terminal: choose with the arrow keys and Enter (Space marks choices of
    a multi-select question; number keys work too); --typed or a pipe: type a
    choice number (multi-select: 1,3 or 1 3). Choices are always shuffled.
    Ctrl-C or the end of input stops and reports the answers given so far
    (exit 130 for Ctrl-C, 1 for end of input; saved with --record); continue
    with --resume. --retry-wrong asks again what the last attempt got wrong.
    """
    chosen_lang = lang or default_lang()
    name = student or _default_student()
    the_quiz = bank.find_quiz(quiz_ref)
    if sum([resume, retry_wrong, answers_file is not None]) > 1:
        raise QuizInputError("--resume, --retry-wrong and --answers do not go together: choose one")
    human = render.Output(sys.stderr if as_json else sys.stdout)
    sheet_data = None
    if answers_file is not None:
        sheet_data = bank.read_data_file(answers_file, what=f"answers file {answers_file}:")
        if isinstance(sheet_data, dict) and isinstance(sheet_data.get("seed"), int) and not isinstance(sheet_data.get("seed"), bool):
            if seed is not None and seed != sheet_data["seed"]:
                raise QuizInputError(f"answers file {answers_file}: the sheet says seed {sheet_data['seed']} but --seed is {seed}")
            seed = sheet_data["seed"]
    only = None
    saved = None
    if resume:
        saved = progress.load_progress(the_quiz.id, name)
        if saved is None:
            raise QuizInputError(
                f"no stopped attempt of quiz '{the_quiz.id}' for student '{name}' to resume "
                f"(looked in {progress.state_dir()}); start one with `torchdojo quiz run {the_quiz.id}`"
            )
        if seed is not None and seed != saved.get("seed"):
            raise QuizInputError(f"--resume continues with the saved seed {saved.get('seed')}; leave --seed out")
        seed = saved.get("seed")
        only = tuple(saved["only"]) if isinstance(saved.get("only"), list) else None
        exam = exam or bool(saved.get("exam"))
    if retry_wrong:
        wrong = progress.load_wrong(the_quiz.id, name)
        if wrong is None:
            raise QuizInputError(f"no finished attempt of quiz '{the_quiz.id}' for student '{name}' yet: take it first, then retry")
        wrong = [q for q in wrong if q in {x.id for x in the_quiz.questions}]
        if not wrong:
            human.line(render.msg("retry_none", chosen_lang))  # type: ignore[arg-type]
            ctx.exit(0)
        only = tuple(wrong)
    session = QuizSession(the_quiz, seed=seed, lang=chosen_lang, student=name, only=only)  # type: ignore[arg-type]
    if saved is not None:
        session.restore(saved["answers"])
    status = 0
    if sheet_data is not None:
        missing = session.apply_answer_sheet(sheet_data, source=f"answers file {answers_file}")
        if missing:
            click.echo(render.msg("unanswered_ids", chosen_lang, ids=", ".join(missing)), err=True)  # type: ignore[arg-type]
        if not as_json:
            render.header(human, the_quiz, session, chosen_lang, interactive=False)  # type: ignore[arg-type]
            render.score_report(human, session, chosen_lang, explain=True)  # type: ignore[arg-type]
    else:
        if retry_wrong:
            human.line(render.msg("retry", chosen_lang, n=len(session.questions)), style="yellow")  # type: ignore[arg-type]
        if saved is not None:
            human.line(render.msg("resumed", chosen_lang, answered=len(session.answers), n=len(session.questions), seed=session.seed), style="yellow")  # type: ignore[arg-type]
        arrows = _use_arrows(typed, as_json)
        stopped = _interactive(session, human, exam, arrows)
        if stopped == "interrupted":
            status = EXIT_INTERRUPTED
        elif stopped == "eof":
            status = EXIT_INCOMPLETE
        render.score_report(human, session, chosen_lang, explain=exam, interrupted=stopped)  # type: ignore[arg-type]
        if stopped:
            progress.save_progress(session, exam)
            human.line(render.msg("resume_hint", chosen_lang, quiz=the_quiz.id), style="yellow")  # type: ignore[arg-type]
        else:
            progress.clear_progress(the_quiz.id, name)
            progress.save_last(session)
    result = session.result()
    if record_file is not None:
        append_record(record_file, result)
        human.line(render.msg("recorded", chosen_lang, path=record_file), style="dim")  # type: ignore[arg-type]
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    ctx.exit(status)


def _use_arrows(typed: bool, as_json: bool) -> bool:
    """The arrow-key menu: on a terminal (stdin and stdout), unless asked for typed numbers."""
    choice = os.environ.get(ENV_PROMPT, "").strip().lower()
    if typed or as_json or choice == "typed":
        return False
    try:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return False
        import questionary  # noqa: F401
    except (AttributeError, ValueError, ImportError):
        return False
    return True


def _ask_arrows(shown: Any, lang: str) -> tuple[int, ...]:
    """One answer from the arrow-key menu (questionary); KeyboardInterrupt / EOFError pass through."""
    import questionary
    from questionary import Choice

    tr = render.Texts(lang)  # type: ignore[arg-type]
    titles = [render.strip_code(tr(c)) for c in shown.choices]
    message = render.msg("arrow_prompt", lang)  # type: ignore[arg-type]
    if shown.multi:
        question = questionary.checkbox(
            message,
            choices=[Choice(title=f"{n}) {t}", value=n) for n, t in enumerate(titles, start=1)],
            validate=lambda picked: True if picked else render.msg("pick_one", lang),  # type: ignore[arg-type]
            instruction=render.msg("arrow_instruction_multi", lang),  # type: ignore[arg-type]
            qmark="?",
        )
        picked = question.unsafe_ask()
    else:
        question = questionary.select(
            message,
            choices=[Choice(title=t, value=n, shortcut_key=str(n) if n <= 9 else None) for n, t in enumerate(titles, start=1)],
            use_shortcuts=len(titles) <= 9,
            use_arrow_keys=True,
            instruction=render.msg("arrow_instruction", lang),  # type: ignore[arg-type]
            qmark="?",
        )
        picked = [question.unsafe_ask()]
    if not picked or any(p is None for p in picked):
        raise KeyboardInterrupt
    return tuple(sorted(int(p) for p in picked))


def _interactive(session: QuizSession, out: render.Output, exam: bool, arrows: bool = False) -> str | None:
    """Ask every unanswered question on `out`, reading stdin; returns None, 'interrupted' or 'eof'."""
    lang = session.lang
    stdin = sys.stdin
    try:
        echo_input = not stdin.isatty()
    except (AttributeError, ValueError):
        echo_input = True
    total = len(session.questions)
    try:
        render.header(out, session.quiz, session, lang, interactive=True, arrows=arrows)
        for index, shown in enumerate(session.questions, start=1):
            if session.is_answered(shown.id):
                continue  # resumed: answered before the stop
            if arrows:
                render.question(out, shown, index, total, lang, choices=False)
                try:
                    numbers = _ask_arrows(shown, lang)
                except EOFError:
                    out.line()
                    return "eof"
                correct = session.answer_shown(shown.id, numbers)
            else:
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
                        out.line(exc.text.pick(lang), style="yellow")
                        continue
                    break
            if not exam:
                render.feedback(out, shown, correct, lang)
    except KeyboardInterrupt:
        out.line()
        return "interrupted"
    return None


# --------------------------------------------------------------------------- sheet


@quiz.command("sheet")
@click.argument("quiz_ref", metavar="ID")
@lang_option
@click.option("--seed", type=click.IntRange(min=0), default=None, help="보기 섞기 시드 (학생마다 다르게) / shuffle seed (one per student).")
@click.option("--student", default=None, help="학생 이름: 시드를 정하지 않으면 이름에서 만듭니다 / student name (gives the seed when --seed is not set).")
@_input_errors
def sheet_cmd(quiz_ref: str, lang: str | None, seed: int | None, student: str | None) -> None:
    """답안지 출력 / Print an answer sheet: shuffled choices and a YAML answer template.

    \b
    The template records the seed; numbers written on it refer to this sheet's
    positions, so `quiz run ID --answers FILE` scores them in the same order.
    """
    chosen_lang = lang or default_lang()
    if seed is None and student:
        seed = int(hashlib.sha256(f"{student}/{quiz_ref}".encode()).hexdigest(), 16) % SEED_MAX
    the_quiz = bank.find_quiz(quiz_ref)
    session = QuizSession(the_quiz, seed=seed, lang=chosen_lang, student=student or "")  # type: ignore[arg-type]
    render.sheet(render.Output(sys.stdout), session, chosen_lang)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- validate


@quiz.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="경고도 실패로 / warnings (e.g. biased answer positions) fail too.")
@_input_errors
def validate_cmd(paths: tuple[Path, ...], strict: bool) -> None:
    """퀴즈 파일 검사 / Check quiz files (or folders of *.yaml; default: the quiz bank).

    
    Every problem is printed as FILE:LINE: question 'ID': field 'FIELD': message.
    Warnings: answer positions biased (over a quiz's, and the whole bank's,
    single-answer questions: one position holds more than half of the keys, or
    a chi-square test against chance gives p < 0.05).
    Exit 1 if there is any problem (or, with --strict, any warning), 0 otherwise.
    """
    targets = list(paths) or [bank.quizzes_dir()]
    report = bank.check_paths(targets)
    for problem in report.problems:
        click.echo(str(problem))
    for warning in report.warnings:
        click.echo(str(warning))
    if strict and report.warnings and not report.problems:
        click.echo(f"{len(report.warnings)} warning(s) (--strict)")
        sys.exit(1)
    if not report.files:
        click.echo("no quiz files found in: " + ", ".join(map(str, targets)))
        sys.exit(1)
    if report.problems:
        bad = len({p.file for p in report.problems})
        click.echo(f"{len(report.problems)} problem(s) in {bad} of {len(report.files)} file(s)")
        sys.exit(1)
    warned = f", {len(report.warnings)} warning(s)" if report.warnings else ""
    click.echo(f"OK: {len(report.files)} file(s), {len(report.quizzes)} quiz(zes), {report.questions} question(s), no problems{warned}")


# --------------------------------------------------------------------------- report


@quiz.command("report")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--quiz", "quiz_id", default=None, help="이 퀴즈만 / only this quiz id.")
@click.option(
    "--bank", "bank_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
    help="채점 기준 퀴즈 파일/폴더 (기본: 퀴즈 폴더) / quiz files or folders to re-score against (default: the bank).",
)
@click.option("--items", "item_analysis", is_flag=True,
              help="문항 분석 / item analysis: facility, upper-lower 27% discrimination, point-biserial, "
                   "KR-20, distractors by group; flags negative discrimination.")
@lang_option
@_input_errors
def report_cmd(files: tuple[Path, ...], fmt: str, quiz_id: str | None, bank_paths: tuple[Path, ...], lang: str | None,
               item_analysis: bool) -> None:
    """여러 학생의 기록 집계 / Roll up record files (JSON lines from `quiz run --record`).

    \b
    Per-student scores count the LATEST COMPLETE attempt per student and quiz
    (the attempt count includes incomplete ones; students with only incomplete
    attempts are listed apart). Per-question statistics (share correct, most
    chosen wrong choice in the quiz file's order) use those same attempts.
    A malformed line is reported as FILE:LINE and skipped.
    Every record is RE-SCORED against the bank: its own score/correct fields are
    never used, and records that disagree with the bank (edited by hand) or name
    unknown questions are flagged (FILE:LINE on stderr, a column in the table).
    --items adds the item analysis of each quiz (table; JSON: `analysis`);
    with --format csv it prints the analysis table instead (sections quiz,
    item, distractor).
    """
    records, problems = read_records(files)
    for problem in problems:
        click.echo(f"warning: skipped {problem}", err=True)
    if bank_paths:
        checked = bank.check_paths(bank_paths, require_both=False)
        known = {q.id: q for q in checked.quizzes}
    else:
        known = {q.id: q for q in bank.load_bank()[0]}
    report = build_report(records, problems, quiz=quiz_id, bank=known)
    for problem in report.problems[len(problems):]:
        click.echo(f"warning: skipped {problem}", err=True)
    for flagged in report.flagged:
        click.echo(f"warning: disagrees with the bank: {flagged}", err=True)
    analyses = []
    if item_analysis:
        from torchdojo.quiz.analysis import analyse_records

        analyses = analyse_records(records, known, quiz_id)
    if fmt == "json":
        data = report.to_dict()
        if item_analysis:
            data["analysis"] = [a.to_dict() for a in analyses]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif fmt == "csv" and item_analysis:
        from torchdojo.quiz.analysis import analysis_csv

        click.echo(analysis_csv(analyses), nl=False)
    elif fmt == "csv":
        click.echo(render.report_csv(report), nl=False)
    else:
        render.report_table(render.Output(sys.stdout), report, lang or default_lang(), known)  # type: ignore[arg-type]
        if item_analysis:
            from torchdojo.quiz.analysis import format_analysis

            for a in analyses:
                click.echo()
                click.echo(format_analysis(a, known[a.quiz], lang or default_lang()), nl=False)


if __name__ == "__main__":  # pragma: no cover
    quiz()
