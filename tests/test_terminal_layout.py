"""What a student sees on an 80-column terminal and what an instructor sees in a pipe (issue 16):
item names never broken, messages on their own indented lines, not-started modules folded,
the student's own print() output shown and marked, Korean without English fragments where
torchdojo writes the text, class tables that never cut a name or a total."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sys

import pytest
from rich.console import Console

from helpers import ROOT, TORCHDOJO, run
from torchdojo.i18n import Text

HANGUL = re.compile(r"[\uac00-\ud7a3]")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _pty(args: list[str], *, lang: str = "ko", cwd=ROOT, timeout: int = 300, env: dict | None = None) -> str:
    """Run the real command in an 80x50 pseudo-terminal; its screen text without escape codes."""
    pexpect = pytest.importorskip("pexpect")
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    full_env.update({"TORCHDOJO_LANG": lang, "TERM": "xterm", **(env or {})})
    child = pexpect.spawn(TORCHDOJO[0], [*TORCHDOJO[1:], *args], cwd=str(cwd), env=full_env,
                          dimensions=(50, 80), encoding="utf-8", timeout=timeout)
    child.expect(pexpect.EOF)
    child.close()
    return ANSI.sub("", child.before.replace("\r\n", "\n"))


def _submission(tmp_path, *, printing: bool = False):
    sub = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", sub, ignore=shutil.ignore_patterns(".torchdojo"))
    source = (ROOT / "reference" / "01_tensors.py").read_text(encoding="utf-8")
    # flatten_images with view: fails on non-contiguous input; prints what the student looks at
    source = source.replace("    return x.reshape(x.shape[0], -1)\n",
                            "    print('debug: x.shape =', tuple(x.shape), flush=True)\n"
                            "    return x.view(x.shape[0], -1)\n" if printing else "    return x.view(x.shape[0], -1)\n")
    assert "x.view(x.shape[0], -1)" in source
    (sub / "01_tensors.py").write_text(source, encoding="utf-8")
    return sub


@pytest.mark.slow
def test_first_check_at_80_columns_folds_unstarted_modules_and_breaks_no_name(tmp_path):
    sub = _submission(tmp_path, printing=True)
    screen = _pty(["check", str(sub), "--device", "cpu", "--module", "01", "--module", "02", "--module", "03"],
                  env={"TORCHDOJO_STATE_DIR": str(tmp_path / "state")})
    lines = [line for line in screen.splitlines() if line.strip()]
    assert all(_cells(line) <= 80 for line in lines), [line for line in lines if _cells(line) > 80]
    # modules not started: one line each, in Korean
    folded = [line for line in lines if line.startswith(("02_autograd:", "03_gradient_descent:"))]
    assert len(folded) == 2 and all("시작 전" in line for line in folded), screen
    assert "아직 구현하지 않았습니다" not in screen.split("총점")[0].split("02_autograd")[1]
    # every item name of 01 on a line of its own, whole
    from torchdojo.course import load_course

    for name in load_course().module("01").items:
        assert re.search(rf"^  . {re.escape(name)}\s+\d+/\d+", screen, re.M), (name, screen)
    # the message sits on its own indented line(s) under the item
    fail_line = next(i for i, line in enumerate(lines) if re.match(r"^  ✘ flatten_images\s", line))
    assert lines[fail_line + 1].startswith("      ") and "flatten_images" in lines[fail_line + 1]
    # the student's own output, marked as theirs
    assert "여러분의 코드가 출력한 내용" in screen and "┆ debug: x.shape = (" in screen
    assert "총점:" in screen and "▶ 다음으로 할 일: 01_tensors / flatten_images" in screen
    assert not (sub / ".torchdojo").exists()  # progress is kept out of the student's folder


@pytest.mark.slow
def test_printed_output_is_in_the_json_and_progress_stays_out_of_the_folder(tmp_path):
    sub = _submission(tmp_path, printing=True)
    env_state = tmp_path / "state"
    os.environ["TORCHDOJO_STATE_DIR"] = str(env_state)
    try:
        proc = run("check", str(sub), "--json", "--device", "cpu", "--module", "01")
        data = json.loads(proc.stdout)
        listed = json.loads(run("list", str(sub), "--json").stdout)
    finally:
        del os.environ["TORCHDOJO_STATE_DIR"]
    module = data["modules"][0]
    assert "debug: x.shape = (" in module["output"]
    assert not (sub / ".torchdojo").exists() and list(env_state.glob("*.json"))
    assert listed["modules"][0]["checked"] and listed["modules"][0]["score"] == module["score"]


def test_pipe_layout_keeps_items_whole_and_messages_on_their_own_lines():
    from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
    from torchdojo.render import print_check

    long = "a very long message " * 20
    items = [ItemResult("a_rather_long_item_name.with_subcheck", 0, 3, "failed", Text(en=long)),
             ItemResult("short", 2, 2, "passed")]
    report = SubmissionReport("exercises", [ModuleResult("01_tensors", items, output="hi\n")], seed=1)
    for terminal in (True, False):
        out = io.StringIO()
        console = Console(file=out, force_terminal=terminal, color_system=None, width=80, highlight=False,
                          soft_wrap=True)
        print_check(report, console, "en")
        text = out.getvalue()
        assert "  ✘ a_rather_long_item_name.with_subcheck  0/3  failed\n" in text
        assert "      a very long message" in text
        if terminal:  # wrapped at words, under the item
            assert all(_cells(line) <= 80 for line in text.splitlines())
        else:  # a pipe: never wrapped, never cut
            assert long.strip() in text
        assert "┆ your code's own output" in text and "┆ hi" in text


def test_piped_grade_table_never_cuts_names_or_totals(tmp_path):
    from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
    from torchdojo.render import print_class

    names = [f"0{i}_module" for i in range(1, 10)]
    reports = []
    for student in ("alice_with_a_really_long_folder_name", "김민수"):
        modules = [ModuleResult(n, [ItemResult("x", 13, 13, "passed")]) for n in names]
        reports.append(SubmissionReport(f"class/{student}", modules, student=student))
    out = io.StringIO()
    print_class(reports, Console(file=out, force_terminal=False, width=80, highlight=False, soft_wrap=True), names,
                lang="en")
    text = out.getvalue()
    assert "alice_with_a_really_long_folder_name" in text and "김민수" in text
    assert text.count("117/117") == 2 and "…" not in text


def test_csv_tells_a_missing_file_a_timeout_and_a_syntax_error_from_a_zero(tmp_path):
    import csv

    from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport, class_csv

    def module(name, status, en, score=0):
        return ModuleResult(name, [ItemResult("a", score, 2, status, Text.same(en))])

    names = ["01_a", "02_b", "03_c", "04_d", "05_e", "06_f"]
    sub = SubmissionReport("class/frank", [
        module("01_a", "missing", "file missing: 01_a.py"),
        module("02_b", "timeout", "time limit 10 s exceeded while calling f"),
        module("03_c", "error", "syntax error in your file (03_c.py, line 3): invalid syntax"),
        module("04_d", "failed", "f(x): expected shape [2], got [3]"),
        module("05_e", "missing", "f: not implemented yet (it still raises NotImplementedError)"),
        module("06_f", "passed", "", score=2),
    ], student="frank")
    rows = list(csv.DictReader(io.StringIO(class_csv([sub], names))))
    row = rows[0]
    assert [row[n] for n in names] == ["0", "0", "0", "0", "0", "2"]  # the numbers as ever
    assert [row[f"{n}:status"] for n in names] == ["missing_file", "timeout", "syntax_error", "zero",
                                                   "not_started", "full"]


@pytest.mark.slow
def test_grade_grades_files_one_folder_too_deep_and_says_so(tmp_path):
    from torchdojo.grading.report import class_csv
    from torchdojo.grading.runner import grade
    from torchdojo.render import print_class

    root = tmp_path / "class"
    (root / "frank" / "exercises").mkdir(parents=True)  # the whole exercises/ folder handed in
    shutil.copyfile(ROOT / "reference" / "01_tensors.py", root / "frank" / "exercises" / "01_tensors.py")
    (root / "gina" / "notes").mkdir(parents=True)  # her files at the top: the other folder is not looked at
    shutil.copyfile(ROOT / "exercises" / "01_tensors.py", root / "gina" / "01_tensors.py")
    shutil.copyfile(ROOT / "reference" / "01_tensors.py", root / "gina" / "notes" / "01_tensors.py")
    (root / "hana" / "linked").mkdir(parents=True)
    (root / "hana" / "deep").symlink_to(root / "frank" / "exercises")  # a link is never followed
    reports = {r.student: r for r in grade(root, jobs=1, modules=["01_tensors"], device="cpu", seed=3, lang="en")}
    assert reports["frank"].full and reports["frank"].submission == str(root / "frank")
    assert reports["gina"].score == 0 and reports["hana"].score == 0
    out = io.StringIO()
    print_class(list(reports.values()), Console(file=out, force_terminal=False, width=100, highlight=False,
                                                soft_wrap=True), ["01_tensors"], lang="en")
    assert "frank: the exercise files are one folder too deep, in exercises/, and were graded from there" in out.getvalue()
    assert "gina: the exercise files" not in out.getvalue() and "hana: the exercise files" not in out.getvalue()
    rows = {r["student"]: r for r in csv.DictReader(io.StringIO(class_csv(list(reports.values()), ["01_tensors"])))}
    assert "graded from there" in rows["frank"]["note"] and rows["frank"]["01_tensors:status"] == "full"
    assert rows["gina"]["note"] == ""


def test_korean_is_korean_in_list_and_click_errors(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_LANG", "LANG", "LC_ALL", "LANGUAGE")}
    env.update({"TORCHDOJO_LANG": "ko", "TORCHDOJO_STATE_DIR": str(tmp_path / "state")})
    import subprocess

    listed = subprocess.run([*TORCHDOJO, "list"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    last = listed.stdout.strip().splitlines()[-1]
    assert last.startswith("진행도: 항목 0/") and "items" not in last and "points" not in last
    assert "아직 채점 안 함" in listed.stdout
    bad = subprocess.run([*TORCHDOJO, "check", "--no-such-option"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert bad.returncode == 2 and "오류: 그런 옵션이 없습니다: --no-such-option" in bad.stderr
    assert "Error:" not in bad.stderr and "사용법:" in bad.stderr
    en = subprocess.run([*TORCHDOJO, "check", "--no-such-option", "--lang", "en"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=120)
    assert en.returncode == 2 and "Error: No such option" in en.stderr
    lib = subprocess.run([*TORCHDOJO, "check", str(tmp_path / "nope")], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert lib.returncode == 2 and lib.stderr.startswith("오류: ")


def test_click_abort_is_korean():
    from torchdojo.cli_common import ABORTED, click_message_ko

    assert ABORTED.pick("ko") == "중단했습니다!" and ABORTED.pick("en") == "Aborted!"
    assert click_message_ko("Missing argument 'ROOT'.") == "인자 'ROOT'이(가) 빠졌습니다"
    assert not re.search("[A-Za-z]{4,}", click_message_ko("Got unexpected extra argument (x)").replace("x", ""))


def test_pictures_get_korean_titles_from_a_packaged_font(tmp_path):
    import warnings

    from torchdojo.pictures import korean_font, training_png

    family = korean_font()
    assert family, "the Hangul font of koreanize-matplotlib is not installed"
    import koreanize_matplotlib  # noqa: F401  (the dependency ships the font file)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = training_png({"train_loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "val_acc": [0.5, 0.8]},
                            tmp_path / "t.png", "06_training", "ko")
    assert path.read_bytes()[:4] == b"\x89PNG"
    assert not [w for w in caught if "glyph" in str(w.message).lower()], [str(w.message) for w in caught]


@pytest.mark.slow
def test_a_timeout_says_which_line_was_running_and_keeps_earlier_output(tmp_path):
    """At a time limit the scorer asks the worker for its stack (faulthandler on SIGUSR1) and names the line."""
    sub = _submission(tmp_path, printing=True)
    source = (sub / "01_tensors.py").read_text(encoding="utf-8")
    source = source.replace("    return torch.stack(torch.split(x, len(x) // n, dim=0))\n",
                            "    while True:\n        pass\n")
    (sub / "01_tensors.py").write_text(source, encoding="utf-8")
    line = source.splitlines().index("        pass") + 1
    os.environ["TORCHDOJO_STATE_DIR"] = str(tmp_path / "state")
    try:
        proc = run("check", str(sub), "--json", "--device", "cpu", "--module", "01", "--lang", "ko")
    finally:
        del os.environ["TORCHDOJO_STATE_DIR"]
    module = json.loads(proc.stdout)["modules"][0]
    item = next(i for i in module["items"] if i["name"] == "split_and_stack")
    assert item["status"] == "timeout"
    at = re.search(r"01_tensors\.py, line (\d+) \(in split_and_stack\)", item["messages"]["en"])
    assert at and int(at.group(1)) in (line - 1, line), item  # the loop's `while` or its body
    assert "split_and_stack 호출 중" in item["messages"]["ko"] and f"{at.group(1)}번째 줄" in item["messages"]["ko"]
    assert "calling" not in item["messages"]["ko"]
    assert "debug: x.shape = (" in module["output"] and "most recent call first" not in module["output"]
