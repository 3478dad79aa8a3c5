"""Rich rendering on a terminal: `code` spans are shown as code, without the backticks."""

from __future__ import annotations

import io
import re

from rich.console import Console

from torchdojo.quiz import QuizSession
from torchdojo.quiz.render import CODE_STYLE, Output, inline, question, score_report, short


def terminal_output(width: int = 100) -> tuple[Output, io.StringIO]:
    buffer = io.StringIO()
    out = Output(buffer)
    out.console = Console(file=buffer, force_terminal=True, color_system="standard", width=width, highlight=False, emoji=False)
    out.rich = True
    return out, buffer


def test_inline_code_spans() -> None:
    text = inline("use `view()` or `reshape(-1)`, not x")
    assert text.plain == "use view() or reshape(-1), not x"
    spans = [(text.plain[s.start:s.end], str(s.style)) for s in text.spans]
    assert spans == [("view()", CODE_STYLE), ("reshape(-1)", CODE_STYLE)]
    assert inline("no code, a lone ` tick").plain == "no code, a lone ` tick"


def test_questions_and_the_table_render_backticks_as_code(bank) -> None:
    quiz = next(q for q in bank if q.id == "tensors")
    session = QuizSession(quiz, seed=1)
    out, buffer = terminal_output()
    shown = session.shown("seed000-q1")
    question(out, shown, 1, len(session.questions), "ko")
    session.answer_shown(shown.id, [1])
    score_report(out, session, "ko", explain=False)
    screen = buffer.getvalue()
    assert "`" not in screen  # every `...` became a code span
    assert re.search(r"\x1b\[1(;36)?mview\(\)\x1b\[0m", screen)  # bold (cyan unless NO_COLOR)
    assert "파이토치에서 텐서의 차원을 변경할 때" in screen  # the table names the question by its text


def test_plain_output_keeps_backticks() -> None:
    buffer = io.StringIO()
    Output(buffer).line("call `x.view(6)`")
    assert buffer.getvalue() == "call `x.view(6)`\n"


def test_short_cuts_by_cells() -> None:
    assert short("가" * 30, 20) == "가" * 9 + "…"
    assert short("a  b\n c") == "a b c"
    assert short("see `" + "x" * 60 + "`", 20).endswith("`…")
