"""The interactive quiz in a real pseudo-terminal (pexpect): bad keys, answers, Ctrl-C, Ctrl-D, arrow keys.

The test reads the shuffled choices off the screen, works out which shown number is
right from the quiz file's key (by choice text), and checks the final score against
what those keys say.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
CHOICE = re.compile(r"^\s+(\d+)\) (.+?)\s*$")
TIMEOUT = 15


def clean(text: str) -> str:
    return ANSI.sub("", text).replace("\r", "")


def spawn(*args: str, prompt: str = "typed", columns: int = 200) -> "pexpect.spawn":
    """The quiz in a pty; prompt="typed" asks for numbers (TORCHDOJO_QUIZ_PROMPT), "arrows" is the default menu."""
    env = {
        **os.environ,
        "TORCHDOJO_QUIZ_PROMPT": prompt,
        "TORCHDOJO_LANG": "en",
        "TORCHDOJO_STUDENT": "pty-student",
        "NO_COLOR": "1",
        "TERM": "xterm",
        "COLUMNS": str(columns),
        "LINES": "50",
    }
    env.pop("FORCE_COLOR", None)
    cmd = [sys.executable, "-c", "from torchdojo.cli_quiz import quiz; quiz()", "run", *args]
    return pexpect.spawn(cmd[0], cmd[1:], env=env, encoding="utf-8", timeout=TIMEOUT, dimensions=(50, columns))


def read_question(child, multi: bool = False) -> dict[int, str]:
    """Wait for the answer prompt; return the choices shown for this question (number -> text)."""
    child.expect(r"\(e\.g\. 1,3\) \[1-\d\]: " if multi else r"Answer \[1-\d\]: ")
    shown: dict[int, str] = {}
    for line in clean(child.before).splitlines():
        m = CHOICE.match(line)
        if m:
            shown[int(m.group(1))] = m.group(2)
    return shown


def right_numbers(quiz_obj, question_id: str, shown: dict[int, str]) -> list[int]:
    q = quiz_obj.question(question_id)
    right_texts = {q.choices[n - 1].en for n in q.answer_set}
    numbers = sorted(n for n, text in shown.items() if text in right_texts)
    assert len(numbers) == len(right_texts), (shown, right_texts)
    return numbers


def test_interactive_bad_keys_then_answers(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "rec.jsonl"
    child = spawn(str(tiny_path), "--lang", "en", "--seed", "4242", "--record", str(record))
    try:
        # question 1: bad keys first, none of them counted
        shown = read_question(child)
        assert sorted(shown.values()) == sorted(c.en for c in tiny.question("t-one").choices)
        child.sendline("x")
        child.expect("'x' is not a choice number")
        child.expect(r"Answer \[1-4\]: ")
        child.sendline("9")
        child.expect("There is no choice 9")
        child.expect(r"Answer \[1-4\]: ")
        child.sendline("")
        child.expect("No answer given")
        child.expect(r"Answer \[1-4\]: ")
        child.sendline(str(right_numbers(tiny, "t-one", shown)[0]))
        child.expect("Correct!")
        expected = 1

        # question 2: multi-select, typed as "a,b"
        shown = read_question(child, multi=True)
        child.sendline(",".join(map(str, right_numbers(tiny, "t-multi", shown))))
        child.expect("Correct!")
        expected += 1

        # question 3: deliberately wrong (a choice that is not the key)
        shown = read_question(child)
        right = right_numbers(tiny, "t-ko-only", shown)
        wrong = next(n for n in shown if n not in right)
        child.sendline(str(wrong))
        child.expect("Wrong")
        child.expect("gamma it is")  # the explanation follows at once

        # question 4: right, with spaces around
        shown = read_question(child)
        child.sendline(f"  {right_numbers(tiny, 't-fixed', shown)[0]}  ")
        child.expect("Correct!")
        expected += 1

        child.expect(r"Score: (\d+)/(\d+)")
        assert (int(child.match.group(1)), int(child.match.group(2))) == (expected, 4)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["score"] == expected == 3
    assert data["complete"] is True and data["student"] == "pty-student" and data["seed"] == 4242
    assert [r["correct"] for r in data["results"]] == [True, True, False, True]


def test_ctrl_c_saves_the_partial_record(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "rec.jsonl"
    child = spawn(str(tiny_path), "--lang", "en", "--seed", "7", "--record", str(record))
    try:
        shown = read_question(child)
        child.sendline(str(right_numbers(tiny, "t-one", shown)[0]))
        child.expect("Correct!")
        read_question(child, multi=True)
        child.sendintr()  # Ctrl-C at the second question
        child.expect("Interrupted")
        child.expect(r"Score: 1/4")
        child.expect("answered 1 of 4")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["complete"] is False and data["score"] == 1
    assert [r["chosen"] is not None for r in data["results"]] == [True, False, False, False]


def test_ctrl_d_ends_with_a_partial_report(tmp_path: Path, tiny_path: Path) -> None:
    record = tmp_path / "rec.jsonl"
    child = spawn(str(tiny_path), "--lang", "ko", "--seed", "7", "--record", str(record))
    try:
        child.expect(r"답 \[1-4\]: ")
        child.sendeof()
        child.expect("입력이 끝났습니다")
        child.expect(r"점수: 0/4")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 1
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["complete"] is False and all(r["chosen"] is None for r in data["results"])


# --------------------------------------------------------------------------- the arrow-key menu (the default on a terminal)

DOWN = "\x1b[B"
ESC = r"(?:\x1b\[[0-9;?]*[A-Za-z])*"  # the menu puts colour/cursor codes between words
MENU = r"Answer " + ESC + r"\(↑↓, Enter\)"


def test_arrow_keys_space_and_number_keys(tmp_path: Path, tiny_path: Path, tiny) -> None:
    from torchdojo.quiz import QuizSession

    seed = 4242
    session = QuizSession(tiny, seed=seed)
    keys = {s.id: s.answer_shown for s in session.questions}
    record = tmp_path / "rec.jsonl"
    child = spawn(str(tiny_path), "--lang", "en", "--seed", str(seed), "--record", str(record), prompt="arrows")
    try:
        # question 1: arrows down to the right choice, Enter
        child.expect(MENU)
        child.expect(r"4\) \w+")  # the whole menu is drawn
        assert "» 1) " + session.questions[0].choices[0].en in clean(child.before + child.after)
        child.send(DOWN * (keys["t-one"][0] - 1) + "\r")
        child.expect("Correct!")

        # question 2: multi-select with Space on each right choice, then Enter
        child.expect(r"Answer " + ESC + r"\(↑↓, Space marks, Enter submits\)")
        child.expect(r"4\) \w+")
        position = 1
        for target in keys["t-multi"]:
            child.send(DOWN * (target - position) + " ")
            position = target
        child.send("\r")
        child.expect("Correct!")

        # question 3: a number key moves to that choice (a wrong one here), Enter
        child.expect(MENU)
        child.expect(r"3\) \w+")
        wrong = next(n for n in (1, 2, 3) if (n,) != keys["t-ko-only"])
        child.send(str(wrong))
        child.send("\r")
        child.expect("Wrong")
        child.expect("gamma it is")

        # question 4: Ctrl-C in the menu stops like everywhere else, and --resume is offered
        child.expect(MENU)
        child.expect(r"2\) \w+")
        child.sendintr()
        child.expect("Interrupted")
        child.expect(r"Score: 2/4")
        child.expect("--resume")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130
    data = json.loads(record.read_text(encoding="utf-8"))
    assert [r["correct"] for r in data["results"]] == [True, True, False, False]

    # resume in the menu: only the last question is asked
    child = spawn(str(tiny_path), "--lang", "en", "--resume", "--record", str(record), prompt="arrows")
    try:
        child.expect(r"Resuming the earlier attempt \(3/4 answered, seed 4242\)")
        child.expect(r"\[4/4\] Last\?")
        child.expect(r"2\) \w+")
        child.send(DOWN * (keys["t-fixed"][0] - 1) + "\r")
        child.expect("Correct!")
        child.expect(r"Score: 3/4")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert "[1/4]" not in clean(child.before or "")


def test_exam_at_80_columns_ends_with_the_table_in_view(tmp_path: Path) -> None:
    """Exam mode on an 80-column terminal: explanations first, then one line per question, then the score."""
    from torchdojo.quiz import QuizSession, find_quiz

    quiz_obj = find_quiz("image-restoration")
    session = QuizSession(quiz_obj, seed=5)
    child = spawn("image-restoration", "--lang", "ko", "--seed", "5", "--exam", columns=80)
    try:
        for shown in session.questions:
            child.expect(r"답 (\(예: 1,3\) )?\[1-\d\]: ")
            child.sendline(",".join(map(str, shown.answer_shown)))
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    lines = clean(child.before).rstrip("\n").splitlines()
    assert lines[-1].startswith("점수: 8/8 (100%)")
    rows = [line for line in lines if line.startswith("│ ")]
    assert len(rows) == len(session.questions)  # one line each, even with long choices
    assert all(len(line) <= 80 for line in lines[-(len(rows) + 6):])
    table_at = max(i for i, line in enumerate(lines) if line.startswith("결과: "))
    assert len(lines) - table_at <= len(rows) + 6  # title, 3 header lines, rows, bottom, score
    assert all("해설" not in line for line in lines[table_at:])
