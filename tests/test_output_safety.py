"""Output that cannot lie (issue 13, point 7): CSV cells never become formulas, a student's
folder name or message is shown as text, never as Rich markup or terminal escape codes."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from helpers import ROOT, SEED, TORCHDOJO

MODULE = "01_tensors"
FORMULAS = ["=HYPERLINK(\"evil.example\",\"y\")", "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]
HOSTILE = ["[bold red]boom", "\x1b]0;pwned\x07eve", "bell\x07\x1b[2Jclear", "rtl\u202egnp.exe", ":thumbs_up:"]


def _report(student: str, message: str = "x", submission: str | None = None):
    from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
    from torchdojo.i18n import Text

    items = [ItemResult("row_stats", 0, 3, "failed", Text.same(message)),
             ItemResult("flatten_images", 2, 2, "passed")]
    return SubmissionReport(submission or f"class/{student}", [ModuleResult(MODULE, items)], seed=5, student=student)


def _terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, color_system=None, width=200, highlight=False), out


@pytest.mark.parametrize("name", FORMULAS)
def test_csv_cells_never_start_a_formula(name):
    from torchdojo.grading.report import class_csv

    from torchdojo.grading.report import safe_label

    rows = list(csv.reader(io.StringIO(class_csv([_report(name)], [MODULE]))))
    cell = rows[1][0]
    assert cell[0] not in "=+-@\t\r"
    # a formula gets a leading apostrophe; a tab or carriage return in a name is shown escaped anyway
    assert cell == ("'" + name if name[0] in "=+-@" else safe_label(name))
    assert rows[1][1:4] == ["2", "2", "5"]  # numbers stay numbers


def test_csv_cells_that_are_harmless_are_left_alone():
    from torchdojo.grading.report import csv_cell

    assert csv_cell("alice") == "alice" and csv_cell("김민수") == "김민수" and csv_cell(3) == 3 and csv_cell(-1.5) == -1.5


@pytest.mark.parametrize("name", HOSTILE)
def test_a_student_name_in_the_class_table_is_plain_text(name):
    from torchdojo.grading.report import safe_label
    from torchdojo.render import print_class

    console, out = _terminal()
    print_class([_report(name)], console, [MODULE])
    text = out.getvalue()
    assert not any(c in text for c in ("\x1b", "\x07", "\u202e"))
    assert safe_label(name) in text  # shown, escaped where it has control characters
    if name.startswith("["):
        assert "[bold red]boom" in text
    if name.startswith(":"):
        assert ":thumbs_up:" in text


@pytest.mark.parametrize("name", HOSTILE)
def test_names_and_messages_in_a_check_report_are_plain_text(name):
    from torchdojo.render import print_check

    for terminal in (True, False):
        out = io.StringIO()
        console = Console(file=out, force_terminal=terminal, color_system=None, width=200, highlight=False)
        print_check(_report(name, f"message {name} [link=http://x]here[/link]", submission=f"class/{name}"),
                    console, "en")
        text = out.getvalue()
        assert not any(c in text for c in ("\x1b", "\x07", "\u202e")), (terminal, text)
        assert "[link=http://x]here[/link]" in text


def test_report_strings_hold_no_control_characters_or_lone_surrogates():
    from torchdojo.grading.report import ItemResult, clean_text, safe_label
    from torchdojo.i18n import Text

    item = ItemResult("x\x1b[31m", 0, 1, "failed", Text(ko="가\udc80\x1b[31m", en="a\udc80b\x1b[31mc\x07\u2028d\n\te"))
    assert item.text.en == "a\ufffdb[31mc\nd\n\te" and item.text.ko == "가\ufffd[31m" and item.name == "x\\x1b[31m"
    item.text = Text.same("\x9b2J" + "E" * 10_000)
    assert item.text.en.startswith("2JE") and len(item.text.en) <= 2000 and len(item.text.ko) <= 2000
    assert safe_label("bob\udcff\n") == "bob\\xff\\x0a"
    assert clean_text("fine, 좋아요") == "fine, 좋아요"
    item.text.en.encode("utf-8")
    item.text = {"en": "a dict is not a message"}  # only a Text (or a plain string) is kept
    assert not item.text
    item.text = "plain\x1b[1m"
    assert item.text == Text.same("plain[1m")


def test_a_report_of_huge_messages_is_capped_as_a_whole():
    from torchdojo.grading.report import REPORT_TEXT_CHARS, ItemResult, ModuleResult, SubmissionReport
    from torchdojo.i18n import Text

    items = [ItemResult(f"item{n}", 0, 1, "failed", Text(ko="k" * 5000, en="e" * 5000))
             for n in range(200)]
    report = SubmissionReport("class/x", [ModuleResult(MODULE, items)], student="x")
    text = json.dumps(report.to_dict())
    assert len(text) < REPORT_TEXT_CHARS * 1.5


@pytest.fixture(scope="module")
def named_class(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("names") / "class"
    root.mkdir()
    for name in [*(n.replace("\t", "tab").replace("\r", "cr") if n[0] in "\t\r" else n for n in FORMULAS),
                 "[bold red]boom", "\x1b]0;pwned\x07eve", "\tstarts-with-tab"]:
        if "/" in name:
            continue
        (root / name).mkdir()  # handed in nothing: cheap to grade, the name is what matters
    os.mkdir(os.fsencode(root) + b"/bad\xffbyte")  # not UTF-8
    (root / "alice").mkdir()
    (root / "alice" / f"{MODULE}.py").write_text((ROOT / "reference" / f"{MODULE}.py").read_text(encoding="utf-8"),
                                                 encoding="utf-8")
    return root


def test_the_grade_command_prints_names_as_text_and_writes_a_safe_csv(named_class, tmp_path):
    env = {**os.environ, "TORCHDOJO_LANG": "en", "NO_COLOR": "1", "COLUMNS": "300"}
    csv_path = tmp_path / "grades.csv"
    proc = subprocess.run([*TORCHDOJO, "grade", str(named_class), "--module", MODULE, "-j", "1", "--device", "cpu",
                           "--seed", str(SEED), "--csv", str(csv_path), "--results", str(tmp_path / "j.jsonl")],
                          cwd=ROOT, capture_output=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout.decode("utf-8")
    assert not any(c in out for c in ("\x1b", "\x07"))
    assert "[bold red]boom" in out and "\\x1b]0;pwned\\x07eve" in out and "bad\\xffbyte" in out
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert all(row[0][:1] not in ("=", "+", "-", "@", "\t", "\r") for row in rows)
    names = {row[0] for row in rows[1:]}
    assert "'=HYPERLINK(\"evil.example\",\"y\")" in names and "'@SUM(A1)" in names and "'\\x09starts-with-tab" not in names
    assert "\\x09starts-with-tab" in names  # a tab in a name is shown escaped, so no formula either
    scores = {row[0]: row for row in rows[1:]}
    assert float(scores["alice"][1]) > 0
