"""Output for the quiz CLI: Rich on a terminal, plain text otherwise.

Rich's Console decides whether its file is a terminal and honours NO_COLOR;
when it is not a terminal we print plain lines (no box drawing, no escapes).
"""

from __future__ import annotations

import csv
import io
import re
from typing import IO, Any, Iterable, Mapping, Sequence

import click
from rich.cells import cell_len
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from torchdojo.i18n import Lang, texts
from torchdojo.quiz.model import LangText, Quiz
from torchdojo.quiz.records import Report
from torchdojo.quiz.session import QuizSession, ShownQuestion

# --------------------------------------------------------------------------- messages

MESSAGES = texts({  # key -> i18n.Text
    "questions": {"ko": "{n}문제", "en": "{n} questions"},
    "seed": {"ko": "보기 섞기 시드: {seed} (같은 순서로 다시 풀려면 --seed {seed})", "en": "Shuffle seed: {seed} (replay the same order with --seed {seed})"},
    "no_shuffle": {"ko": "보기를 섞지 않습니다.", "en": "Choices are not shuffled."},
    "how": {"ko": "번호를 입력하고 Enter. 중단: Ctrl-C (지금까지의 답은 저장되고 --resume으로 이어 풉니다).", "en": "Type a number and press Enter. Stop: Ctrl-C (answers so far are kept; continue with --resume)."},
    "multi_hint": {"ko": "(복수 선택: 맞는 것을 모두 고르세요, 예: 1,3)", "en": "(multi-select: choose all that apply, e.g. 1,3)"},
    "prompt": {"ko": "답 [{range}]: ", "en": "Answer [{range}]: "},
    "prompt_multi": {"ko": "답 (예: 1,3) [{range}]: ", "en": "Answer (e.g. 1,3) [{range}]: "},
    "right": {"ko": "✓ 정답입니다!", "en": "✓ Correct!"},
    "wrong": {"ko": "✗ 틀렸습니다. 정답: {answer}", "en": "✗ Wrong. The answer: {answer}"},
    "explanation": {"ko": "해설: {text}", "en": "Why: {text}"},
    "fallback": {"ko": "참고: 이 글의 일부는 한국어 번역이 없어 영어로 보여 줍니다.", "en": "Note: part of this text has no English version; showing Korean."},
    "interrupted": {"ko": "중단되었습니다. 지금까지의 답으로 결과를 냅니다.", "en": "Interrupted. Reporting the answers given so far."},
    "eof": {"ko": "입력이 끝났습니다. 지금까지의 답으로 결과를 냅니다.", "en": "Input ended. Reporting the answers given so far."},
    "report_title": {"ko": "결과: {title}", "en": "Results: {title}"},
    "col_no": {"ko": "#", "en": "#"},
    "col_id": {"ko": "문제", "en": "Question"},
    "col_yours": {"ko": "내 답", "en": "Your answer"},
    "col_answer": {"ko": "정답", "en": "Answer"},
    "col_ok": {"ko": "결과", "en": "Result"},
    "unanswered": {"ko": "(답하지 않음)", "en": "(not answered)"},
    "score": {"ko": "점수: {score}/{max} ({pct:.0f}%)", "en": "Score: {score}/{max} ({pct:.0f}%)"},
    "partial": {"ko": "부분 결과: {n}문제 중 {answered}문제 답함", "en": "Partial result: answered {answered} of {n} questions"},
    "recorded": {"ko": "기록을 저장했습니다: {path}", "en": "Record saved: {path}"},
    "unanswered_ids": {"ko": "답 파일에 없는 문제: {ids}", "en": "Not in the answers file: {ids}"},
    "sheet_how": {
        "ko": "답안지 (보기 섞기 시드 {seed}). 아래 틀의 각 문제 옆에 이 답안지의 보기 번호(또는 보기 글)를 쓰고 제출하세요: torchdojo quiz run {quiz} --answers 답.yaml",
        "en": "Answer sheet (shuffle seed {seed}). Write this sheet's choice number (or the choice text) next to each question in the template below and hand it in: torchdojo quiz run {quiz} --answers answers.yaml",
    },
    "sheet_template": {"ko": "답 파일 틀 (YAML):", "en": "Answer file template (YAML):"},
    "resume_hint": {"ko": "이어서 풀려면: torchdojo quiz run {quiz} --resume", "en": "To continue later: torchdojo quiz run {quiz} --resume"},
    "resumed": {"ko": "이전 응시를 이어서 풉니다 ({answered}/{n}문제 답함, 시드 {seed}).", "en": "Resuming the earlier attempt ({answered}/{n} answered, seed {seed})."},
    "retry": {"ko": "틀렸거나 답하지 않은 {n}문제만 다시 풉니다 (연습: 점수 기록에 들어가지 않습니다).", "en": "Retrying the {n} question(s) you got wrong or left out (practice: not counted in records)."},
    "retry_none": {"ko": "지난 응시에서 틀린 문제가 없습니다. 새로 풀려면 --retry-wrong 없이 실행하세요.", "en": "Nothing to retry: the last attempt had no wrong answers. Run without --retry-wrong for a new attempt."},
    "how_arrows": {"ko": "↑↓로 고르고 Enter (번호 키도 됩니다). 복수 선택은 Space로 표시. 중단: Ctrl-C (이어 풀기: --resume).", "en": "Choose with ↑↓ and Enter (number keys work too). Multi-select: Space marks. Stop: Ctrl-C (continue with --resume)."},
    "arrow_prompt": {"ko": "답", "en": "Answer"},
    "arrow_instruction": {"ko": "(↑↓, Enter)", "en": "(↑↓, Enter)"},
    "arrow_instruction_multi": {"ko": "(↑↓, Space로 표시, Enter로 제출)", "en": "(↑↓, Space marks, Enter submits)"},
    "pick_one": {"ko": "하나 이상 고르세요 (Space로 표시).", "en": "Choose at least one (Space marks)."},
    "your_answer": {"ko": "내 답: {answer}", "en": "Your answer: {answer}"},
    "list_title": {"ko": "퀴즈 목록", "en": "Quizzes"},
    "col_title": {"ko": "제목", "en": "Title"},
    "col_count": {"ko": "문제 수", "en": "Questions"},
    "col_file": {"ko": "파일", "en": "File"},
})


def msg(key: str, lang: Lang, **kwargs: Any) -> str:
    return MESSAGES[key].pick(lang).format(**kwargs)


def span(n: int) -> str:
    return f"1-{n}"


# --------------------------------------------------------------------------- output


class Output:
    """One output stream: a Rich console on a terminal, plain lines otherwise."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.console = Console(file=stream, highlight=False, emoji=False)
        self.rich = self.console.is_terminal

    def line(self, text: str = "", style: str | None = None) -> None:
        if self.rich:
            self.console.print(inline(text, style or ""), soft_wrap=True)
        else:
            click.echo(text, file=self.stream)

    def write(self, text: str) -> None:
        """Text without a newline (a prompt)."""
        if self.rich:
            self.console.print(Text(text, style="bold"), end="", soft_wrap=True)
            self.console.file.flush()
        else:
            click.echo(text, file=self.stream, nl=False)
            self.stream.flush()

    def code(self, code: str) -> None:
        code = code.rstrip("\n")
        if self.rich:
            self.console.print(Syntax(code, "python", theme="ansi_dark", background_color="default", padding=(0, 2)))
        else:
            click.echo("\n".join("    " + line for line in code.splitlines()), file=self.stream)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None, *, one_line: bool = False) -> None:
        """A table; `one_line` keeps each row on one line on a terminal (cells cut with …)."""
        if self.rich:
            table = Table(title=title, title_justify="left", expand=one_line)
            for position, header in enumerate(headers):
                if one_line:
                    # the first and last columns (number, mark) keep their size; the others share the rest
                    edge = position in (0, len(headers) - 1)
                    table.add_column(header, overflow="ellipsis", no_wrap=True, ratio=None if edge else (3 if position == 1 else 2),
                                     min_width=cell_len(header) if edge else 6)
                else:
                    table.add_column(header, overflow="fold")
            for row in rows:
                table.add_row(*[inline(str(cell)) for cell in row])
            self.console.print(table)
        else:
            if title:
                click.echo(title, file=self.stream)
            click.echo(plain_table(headers, rows), file=self.stream)


CODE_STYLE = "bold cyan"
_BACKTICKS = re.compile(r"`([^`\n]+)`")


def inline(text: str, style: str = "") -> Text:
    """Rich text with `code` spans rendered as code (the backticks dropped); other text as is."""
    out = Text(style=style)
    at = 0
    for m in _BACKTICKS.finditer(text):
        out.append(text[at : m.start()])
        out.append(m.group(1), style=CODE_STYLE)
        at = m.end()
    out.append(text[at:])
    return out


def short(text: str, width: int = 48) -> str:
    """The first line of a text, cut to about `width` cells (for table cells)."""
    first = " ".join(text.split())
    if cell_len(first) <= width:
        return first
    out = ""
    for ch in first:
        if cell_len(out + ch) > width - 1:
            break
        out += ch
    out = out.rstrip()
    if out.count("`") % 2:  # do not leave a code span open
        out += "`"
    return out + "…"


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns aligned by terminal cell width (Korean letters take two cells)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(cell_len(r[i]) for r in cells) for i in range(len(headers))]

    def fmt(row: list[str]) -> str:
        return "  ".join(c + " " * (w - cell_len(c)) for c, w in zip(row, widths)).rstrip()

    lines = [fmt(cells[0]), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in cells[1:]]
    return "\n".join(lines)


# --------------------------------------------------------------------------- texts


class Texts:
    """Picks texts in one language and remembers whether a fallback happened."""

    def __init__(self, lang: Lang) -> None:
        self.lang = lang
        self.fell_back = False

    def __call__(self, text: LangText | None) -> str:
        if text is None:
            return ""
        value, fell_back = text.pick(self.lang)
        self.fell_back = self.fell_back or fell_back
        return value

    def note(self, out: Output) -> None:
        if self.fell_back:
            out.line(msg("fallback", self.lang), style="dim italic")
            self.fell_back = False


def choice_label(shown: ShownQuestion, numbers: Iterable[int], tr: Texts, *, file_order: bool = False) -> str:
    """'2) view()' for numbers in shown order (or file order)."""
    parts = []
    for n in sorted(numbers):
        file_n = n if file_order else shown.to_file(n)
        parts.append(f"{n}) {tr(shown.question.choices[file_n - 1])}")
    return ", ".join(parts)


# --------------------------------------------------------------------------- a run


def header(out: Output, quiz: Quiz, session: QuizSession, lang: Lang, *, interactive: bool, arrows: bool = False) -> None:
    tr = Texts(lang)
    out.line(f"{tr(quiz.title)} ({quiz.id}, {msg('questions', lang, n=len(quiz.questions))})", style="bold")
    if quiz.description is not None:
        out.line(tr(quiz.description))
    out.line(msg("seed", lang, seed=session.seed) if session.seed is not None else msg("no_shuffle", lang), style="dim")
    if interactive:
        out.line(msg("how_arrows" if arrows else "how", lang), style="dim")
    tr.note(out)


def strip_code(text: str) -> str:
    """A text without its backticks (for the arrow menu, which shows plain text)."""
    return _BACKTICKS.sub(lambda m: m.group(1), text)


def question(out: Output, shown: ShownQuestion, index: int, total: int, lang: Lang, *, choices: bool = True) -> None:
    tr = Texts(lang)
    out.line()
    out.line(f"[{index}/{total}] {tr(shown.question.prompt)}", style="bold")
    if shown.multi:
        out.line(msg("multi_hint", lang), style="yellow")
    if shown.question.code:
        out.code(shown.question.code)
    if choices:
        for number, choice in enumerate(shown.choices, start=1):
            out.line(f"  {number}) {tr(choice)}")
    tr.note(out)


def prompt_text(shown: ShownQuestion, lang: Lang) -> str:
    return msg("prompt_multi" if shown.multi else "prompt", lang, range=span(shown.n_choices))


def feedback(out: Output, shown: ShownQuestion, correct: bool, lang: Lang) -> None:
    tr = Texts(lang)
    if correct:
        out.line(msg("right", lang), style="bold green")
    else:
        out.line(msg("wrong", lang, answer=choice_label(shown, shown.answer_shown, tr)), style="bold red")
    out.line(msg("explanation", lang, text=tr(shown.question.explanation)), style="cyan")
    tr.note(out)


def score_report(
    out: Output,
    session: QuizSession,
    lang: Lang,
    *,
    explain: bool,
    interrupted: str | None = None,
) -> None:
    """The end-of-quiz report: every explanation (if `explain`), then the table of answers and the score.

    The table and the score come last so that they stay in view (exam mode prints every
    explanation; they go above).  Rows name the question by its text, choices by their text.
    """
    tr = Texts(lang)
    result = session.result()
    out.line()
    if interrupted:
        out.line(msg(interrupted, lang), style="yellow")
    if explain:
        for index, shown in enumerate(session.questions, start=1):
            if not result.complete and shown.id not in session.answers:
                continue  # a partial attempt does not give away what was not asked yet
            mark = "✓" if session.is_correct(shown.id) else "✗"
            out.line()
            out.line(f"{mark} [{index}] {tr(shown.question.prompt)}", style="bold")
            out.line("  " + msg("col_answer", lang) + ": " + choice_label(shown, shown.answer_shown, tr))
            out.line("  " + msg("explanation", lang, text=tr(shown.question.explanation)), style="cyan")
        out.line()
    rows = []
    for index, shown in enumerate(session.questions, start=1):
        chosen = session.answers.get(shown.id)
        yours = choice_label(shown, [shown.to_shown(n) for n in chosen], tr) if chosen else msg("unanswered", lang)
        right = choice_label(shown, shown.answer_shown, tr)
        if chosen is None and not result.complete:
            right = "-"  # a partial attempt does not give away what was not answered yet
        mark = "✓" if session.is_correct(shown.id) else ("·" if chosen is None else "✗")
        rows.append([index, question_label(shown, tr), yours, right, mark])
    headers = [msg(k, lang) for k in ("col_no", "col_id", "col_yours", "col_answer", "col_ok")]
    title = msg("report_title", lang, title=tr(session.quiz.title))
    tr.note(out)  # above the table: the table and the score are the last lines on the screen
    out.table(headers, rows, title=title, one_line=True)  # one line per question: the table fits the screen
    pct = 100.0 * result.score / result.max_score if result.max_score else 0.0
    out.line(msg("score", lang, score=result.score, max=result.max_score, pct=pct), style="bold")
    if not result.complete:
        out.line(msg("partial", lang, n=result.max_score, answered=result.answered), style="yellow")


def question_label(shown: ShownQuestion, tr: Texts, width: int = 48) -> str:
    """A question as a table cell: its text, with the first code line when the text alone says little."""
    text = " ".join(tr(shown.question.prompt).split())
    code = [line.strip() for line in (shown.question.code or "").splitlines() if line.strip()]
    if code and cell_len(text) < 30:
        text = f"{text} `{code[0]}`"
    return short(text, width)


# --------------------------------------------------------------------------- answer sheets


def sheet(out: Output, session: QuizSession, lang: Lang) -> None:
    """A printable answer sheet: the questions with choices in this seed's order, and a YAML template."""
    tr = Texts(lang)
    quiz = session.quiz
    out.line(f"{tr(quiz.title)} ({quiz.id}, {msg('questions', lang, n=len(session.questions))})", style="bold")
    out.line(msg("sheet_how", lang, seed=session.seed, quiz=quiz.id), style="dim")
    for index, shown in enumerate(session.questions, start=1):
        question(out, shown, index, len(session.questions), lang)
    out.line()
    out.line(msg("sheet_template", lang), style="bold")
    out.line(f"quiz: {quiz.id}")
    out.line(f"seed: {session.seed}")
    out.line("answers:")
    for index, shown in enumerate(session.questions, start=1):
        hint = f"[{index}] " + ("[1, 3]  " if shown.multi else "") + span(shown.n_choices)
        out.line(f"  {shown.id}:    # {hint}")
    tr.note(out)


# --------------------------------------------------------------------------- list


def quiz_list(out: Output, quizzes: Sequence[Quiz], lang: Lang) -> None:
    tr = Texts(lang)
    rows = [[q.id, tr(q.title), len(q.questions), q.source.name if q.source else ""] for q in quizzes]
    headers = ["id", msg("col_title", lang), msg("col_count", lang), msg("col_file", lang)]
    out.table(headers, rows, title=msg("list_title", lang))
    tr.note(out)


def quiz_list_json(quizzes: Sequence[Quiz]) -> list[dict[str, Any]]:
    return [
        {
            "id": q.id,
            "title": q.title.as_dict(),
            "questions": len(q.questions),
            "path": str(q.source) if q.source else None,
        }
        for q in quizzes
    ]


# --------------------------------------------------------------------------- report


def _wrong_label(value: Any, quiz: Quiz | None, question_id: str, lang: Lang) -> str:
    if value is None:
        return "-"
    numbers = value if isinstance(value, list) else [value]
    label = ",".join(str(n) for n in numbers)
    if quiz is not None:
        try:
            q = quiz.question(question_id)
            texts = [q.choices[n - 1].text(lang) for n in numbers if 1 <= n <= len(q.choices)]
            if texts:
                label += " (" + "; ".join(texts) + ")"
        except KeyError:
            pass
    return label


def report_table(out: Output, report: Report, lang: Lang, quizzes: Mapping[str, Quiz] | None = None) -> None:
    quizzes = quizzes or {}
    ko = lang == "ko"
    out.table(
        ["학생" if ko else "Student", "퀴즈" if ko else "Quiz", "점수" if ko else "Score", "%", "응시" if ko else "Attempts", "시각 (UTC)" if ko else "When (UTC)", "검사" if ko else "Check"],
        [
            [s.student, s.quiz, f"{s.score}/{s.max_score}", f"{s.percent:.0f}", s.attempts, s.timestamp,
             ("⚠ 기록이 문제 은행과 다름" if ko else "⚠ record disagrees with the bank") if s.flags else "ok"]
            for s in report.students
        ],
        title=("학생별 점수 (학생·퀴즈마다 가장 최근의 완료된 응시)" if ko else "Scores per student (latest complete attempt per student and quiz)"),
    )
    out.line()
    out.table(
        ["퀴즈" if ko else "Quiz", "문제" if ko else "Question", "응답" if ko else "Answered", "정답률" if ko else "Correct", "가장 많이 고른 오답 (파일 순서)" if ko else "Most chosen wrong (file order)", "횟수" if ko else "Times"],
        [
            [q.quiz, q.question, q.answered, f"{100 * q.share_correct:.0f}%", _wrong_label(q.top_wrong, quizzes.get(q.quiz), q.question, lang), q.top_wrong_count or "-"]
            for q in report.questions
        ],
        title="문제별 통계" if ko else "Per-question statistics",
    )
    if report.flagged:
        out.line()
        out.line(("문제 은행으로 다시 채점한 결과와 다른 기록 (점수는 다시 채점한 값입니다):" if ko else "Records that disagree with the bank (scores above are the bank's):"), style="bold red")
        for flagged in report.flagged:
            out.line(f"  {flagged}", style="red")
    if report.incomplete_only:
        out.line()
        names = ", ".join(f"{s} ({q})" for s, q in report.incomplete_only)
        out.line(("완료된 응시가 없는 학생: " if ko else "Only incomplete attempts: ") + names, style="yellow")


CSV_COLUMNS = [
    "section", "quiz", "student", "question", "score", "max_score", "percent", "attempts",
    "timestamp", "answered", "correct", "share_correct", "top_wrong", "top_wrong_count", "flags",
]


def report_csv(report: Report) -> str:
    """One CSV table; `section` is 'student', 'question' or 'incomplete' (filter on it)."""
    from ..csvsafe import csv_cell

    class _SafeWriter(csv.DictWriter):  # a student name such as "=HYPERLINK(...)" stays text
        def writerow(self, row):  # type: ignore[override]
            return super().writerow({k: csv_cell(v) for k, v in row.items()})

    buffer = io.StringIO()
    writer = _SafeWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in report.students:
        writer.writerow({
            "section": "student", "quiz": s.quiz, "student": s.student, "score": s.score,
            "max_score": s.max_score, "percent": f"{s.percent:.1f}", "attempts": s.attempts, "timestamp": s.timestamp,
            "flags": "; ".join(s.flags),
        })
    for q in report.questions:
        top = q.top_wrong
        writer.writerow({
            "section": "question", "quiz": q.quiz, "question": q.question, "answered": q.answered,
            "correct": q.correct, "share_correct": f"{q.share_correct:.4f}",
            "top_wrong": "" if top is None else (" ".join(map(str, top)) if isinstance(top, list) else top),
            "top_wrong_count": q.top_wrong_count,
        })
    for student, quiz in report.incomplete_only:
        writer.writerow({"section": "incomplete", "quiz": quiz, "student": student})
    return buffer.getvalue()
