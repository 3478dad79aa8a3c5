"""One student never stops or poisons a class run (issue 13, points 4 and 6).

Links are never followed by the scorer (a student folder, a returned notebook, a file of a
Gradescope upload or of a cluster task), report strings are safe and capped, the journal has one
line per result whatever a message holds, a notebook nested 100 000 levels deep costs only its
module, a grading process that dies costs only the student it was grading, the reference's
failure budget is per student, and `-j N` leaves no temporary folder behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import ROOT, SEED, TORCHDOJO

MODULE = "01_tensors"
REF = ROOT / "reference" / f"{MODULE}.py"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("torchdojo-"))


def _run(*args: str, tmpdir: Path) -> subprocess.CompletedProcess:
    """The real command with its own temporary folder (to see what it leaves there)."""
    env = {**os.environ, "TORCHDOJO_LANG": "en", "NO_COLOR": "1", "TMPDIR": str(tmpdir)}
    return subprocess.run([*TORCHDOJO, *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=900)


def _items(sub: dict) -> list[dict]:
    return [i for m in sub["modules"] for i in m["items"]]


# -- the whole command: links, hostile messages, journal, resume, temporary folders ----------------

# row_stats raises an exception whose message holds a lone surrogate, whose class name holds
# U+2028 around a line that is valid JSON, or whose class name is a megabyte long
SURROGATE = REF.read_text(encoding="utf-8") + '\n\ndef row_stats(x):\n    raise ValueError("bad \\udc80 value")\n'
SEPARATOR = REF.read_text(encoding="utf-8") + (
    '\n\ndef row_stats(x):\n    raise type("Bad\\u20281\\u2028\\x85[2]\\x85Name", (ValueError,), {})("boom")\n')
HUGE = REF.read_text(encoding="utf-8") + (
    '\n\ndef row_stats(x):\n    raise type("E" * 1_000_000, (ValueError,), {})("x" * 1_000_000)\n')


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "class"
    root.mkdir()
    for name, source in (("alice", REF.read_text(encoding="utf-8")), ("surrogate", SURROGATE),
                         ("separator", SEPARATOR), ("huge", HUGE)):
        (root / name).mkdir()
        (root / name / f"{MODULE}.py").write_text(source, encoding="utf-8")
    os.symlink(root / "alice", root / "copycat")  # another student's folder
    os.symlink(ROOT / "reference", root / "answers")  # the reference solutions
    return root


@pytest.fixture(scope="module")
def graded(hostile_class, tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("run")
    tmpdir = work / "tmp"
    tmpdir.mkdir()
    journal = work / "journal.jsonl"
    proc = _run("grade", str(hostile_class), "--json", "--module", MODULE, "-j", "2", "--device", "cpu",
                "--seed", str(SEED), "--results", str(journal), "--csv", str(work / "grades.csv"), tmpdir=tmpdir)
    return {"proc": proc, "journal": journal, "tmpdir": tmpdir, "work": work}


def test_a_hostile_class_is_graded_to_the_end(graded):
    proc = graded["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    subs = {s["student"]: s for s in json.loads(proc.stdout)["submissions"]}
    assert sorted(subs) == ["alice", "answers", "copycat", "huge", "separator", "surrogate"]
    full = subs["alice"]["max_score"]
    assert full > 0 and subs["alice"]["score"] == full
    for name in ("surrogate", "separator", "huge"):  # each loses row_stats only
        items = {i["name"]: i for i in _items(subs[name])}
        assert items["row_stats"]["score"] == 0 and items["row_stats"]["message"], name
        assert 0 < subs[name]["score"] < full, name


def test_a_student_folder_that_is_a_link_scores_zero_and_says_so(graded):
    subs = {s["student"]: s for s in json.loads(graded["proc"].stdout)["submissions"]}
    for name in ("copycat", "answers"):
        sub = subs[name]
        assert sub["score"] == 0 and sub["max_score"] == subs["alice"]["max_score"], name
        assert all(i["status"] == "error" and "links are not accepted" in i["message"] for i in _items(sub)), name


def test_messages_are_safe_and_capped_in_every_output(graded):
    proc = graded["proc"]
    subs = {s["student"]: s for s in json.loads(proc.stdout)["submissions"]}
    texts = [i["message"] for s in subs.values() for i in _items(s)]
    texts += [v for s in subs.values() for i in _items(s) for v in i["messages"].values()]
    assert all(len(t) <= 2000 for t in texts)
    assert not any(c in t for t in texts for c in ("\udc80", "\u2028", "\x85"))
    assert len(json.dumps(subs["huge"])) < 300_000  # not a megabyte class name copied around
    huge = {i["name"]: i for i in _items(subs["huge"])}["row_stats"]["message"]
    assert "EEEE" in huge and len(huge) <= 2000


def test_the_journal_has_one_ascii_line_per_result_and_resumes(graded, hostile_class):
    journal = graded["journal"]
    raw = journal.read_bytes()
    assert raw.isascii()
    lines = raw.decode("ascii").split("\n")
    assert lines[-1] == "" and len(lines) == 1 + 1 + 6  # header, six results, the final newline
    data = [json.loads(line) for line in lines[:-1]]
    assert data[0]["journal"] == "torchdojo.grades/1"
    assert sorted(d["student"] for d in data[1:]) == ["alice", "answers", "copycat", "huge", "separator", "surrogate"]
    assert max(len(line) for line in lines) < 300_000
    again = _run("grade", str(hostile_class), "--json", "--module", MODULE, "--resume", "--device", "cpu",
                 "--results", str(journal), tmpdir=graded["tmpdir"])
    assert again.returncode == 0, again.stderr[-3000:]
    first = {s["student"]: s["score"] for s in json.loads(graded["proc"].stdout)["submissions"]}
    assert {s["student"]: s["score"] for s in json.loads(again.stdout)["submissions"]} == first
    assert journal.read_bytes() == raw  # nobody graded again


def test_with_several_processes_no_temporary_folder_is_left(graded):
    assert graded["proc"].returncode == 0
    assert _leftovers(graded["tmpdir"]) == []


# -- the journal itself ---------------------------------------------------------------------------

def _report(student: str, message: str):
    from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
    from torchdojo.i18n import Text

    item = ItemResult("row_stats", 0, 3, "failed", Text.same(message))
    ok = ItemResult("flatten_images", 2, 2, "passed")
    return SubmissionReport(f"class/{student}", [ModuleResult(MODULE, [item, ok])], seed=5, student=student)


@pytest.mark.parametrize("message", ["bad \udc80 value", "a\u20281\u2028b", "x\x85[2]\x85y\x1c3\x1dz",
                                     "E" * 3_000_000])
def test_any_message_is_journaled_on_one_line_and_read_back(tmp_path, message):
    from torchdojo.grading.journal import Journal

    path = tmp_path / "journal.jsonl"
    journal = Journal.open(path, resume=False)
    journal.start(5, "cpu")
    journal.record(_report("mallory", message))
    journal.record(_report("alice", "fine"))
    assert path.read_bytes().isascii() and path.read_bytes().count(b"\n") == 3
    assert path.stat().st_size < 100_000
    back = Journal.open(path, resume=True)
    assert back.seed == 5 and sorted(back.done) == ["alice", "mallory"]
    assert back.done["mallory"].score == 2 and back.done["mallory"].max_score == 5


def test_a_journal_with_bad_lines_resumes_and_grades_those_students_again(tmp_path):
    from torchdojo.grading.journal import Journal

    path = tmp_path / "journal.jsonl"
    good = json.dumps(_report("alice", "fine").to_dict())
    bad_modules = json.dumps({"student": "bob", "modules": 5})
    bad_items = json.dumps({"student": "carol", "modules": [{"name": MODULE, "items": [{"name": "x"}]}]})
    bad_score = json.dumps({"student": "dave", "modules": [{"name": MODULE, "items": [
        {"name": "x", "score": "9", "max_score": 1, "status": "passed"}]}]})
    # an older journal (written with ensure_ascii=False): U+2028 inside a message, and lines of other shapes
    old = json.dumps(_report("erin", "a\u20281\u2028b").to_dict(), ensure_ascii=False)
    path.write_text("\n".join(['{"journal": "torchdojo.grades/1", "seed": 5, "device": "cpu"}', "5", "[1, 2]",
                               "null", good, bad_modules, bad_items, bad_score, old, '{"student": "fr']) + "\n",
                    encoding="utf-8")
    journal = Journal.open(path, resume=True)
    assert journal.seed == 5 and sorted(journal.done) == ["alice", "erin"]


# -- returned notebooks -----------------------------------------------------------------------------

def _notebook(source: str) -> dict:
    from torchdojo.course import load_course
    from torchdojo.release.notebook import SETUP_ID, answer_id

    exercises = load_course().module(MODULE).exercises
    cell = lambda gid, text: {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": gid, "solution": True}},  # noqa: E731
                              "source": text, "outputs": [], "execution_count": None}
    return {"cells": [cell(SETUP_ID, source), *[cell(answer_id(ex), "pass\n") for ex in exercises]],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def notebook_class(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("notebooks") / "submitted"
    good = root / "good" / MODULE
    good.mkdir(parents=True)
    (good / f"{MODULE}.ipynb").write_text(json.dumps(_notebook(REF.read_text(encoding="utf-8"))), encoding="utf-8")
    deep = root / "deep" / MODULE
    deep.mkdir(parents=True)
    (deep / f"{MODULE}.ipynb").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    linked = root / "linked" / MODULE
    linked.mkdir(parents=True)
    os.symlink(good / f"{MODULE}.ipynb", linked / f"{MODULE}.ipynb")  # another student's notebook
    os.symlink(root / "good", root / "linkdir")  # a whole folder that is a link
    upper = root / "upper"
    upper.mkdir()
    os.symlink(good, upper / MODULE)  # an assignment folder that is a link
    return root


def test_notebooks_nested_deep_or_linked_cost_only_their_module(notebook_class):
    from torchdojo.release.notebooks import grade_notebooks

    reports = {r.student: r for r in grade_notebooks(notebook_class, jobs=1, modules=[MODULE], device="cpu",
                                                     seed=SEED, lang="en")}
    assert sorted(reports) == ["deep", "good", "linkdir", "linked", "upper"]
    good = reports.pop("good")
    assert good.full
    deep = [i for m in reports.pop("deep").modules for i in m.items]
    assert all(i.score == 0 and "nested far too deeply" in i.text.en for i in deep)
    for name, report in reports.items():
        items = [i for m in report.modules for i in m.items]
        assert report.score == 0 and report.max_score == good.max_score, name
        assert all("links are not accepted" in i.text.en for i in items), (name, items[0].text.en)


def test_the_nbgrader_reader_refuses_links_and_depth(notebook_class, tmp_path):
    from torchdojo.release.notebooks import notebooks_to_submission

    assert "nested far too deeply" in notebooks_to_submission(notebook_class / "deep", tmp_path / "a")[MODULE].en
    assert "links are not accepted" in notebooks_to_submission(notebook_class / "linked", tmp_path / "b")[MODULE].en
    assert not (tmp_path / "b" / f"{MODULE}.py").exists()


# -- the Gradescope collector and the cluster's file reader -------------------------------------------

def _with_timeout(fn, seconds: float = 30):
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("value", fn()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "blocked"
    return box.get("value")


def test_the_gradescope_collector_follows_no_link(tmp_path):
    from torchdojo.release.gradescope import collect_submission

    sub = tmp_path / "submission"
    sub.mkdir()
    os.symlink(REF, sub / f"{MODULE}.py")
    os.symlink(ROOT / "reference", sub / "more")  # a folder link: 02_autograd.py and the rest behind it
    (sub / "nb").mkdir()
    os.symlink(REF, sub / "nb" / "03_gradient_descent.ipynb")
    os.mkfifo(sub / "04_nn_module.py")  # would block a plain read
    dest = tmp_path / "dest"
    modules = [MODULE, "02_autograd", "03_gradient_descent", "04_nn_module"]
    problems = _with_timeout(lambda: collect_submission(sub, dest, modules))
    assert list(dest.iterdir()) == []
    assert "links are not accepted" in problems[MODULE].en and "links are not accepted" in problems["03_gradient_descent"].en
    assert "02_autograd" not in problems  # behind a folder link: never seen
    assert "04_nn_module" in problems and "regular file" in problems["04_nn_module"].en


def test_the_cluster_sends_a_link_as_a_link_never_its_target(tmp_path):
    from torchdojo.grading.cluster import LINK, submission_files, write_submission

    sub = tmp_path / "sub"
    sub.mkdir()
    os.symlink(REF, sub / f"{MODULE}.py")
    os.mkfifo(sub / "02_autograd.py")
    files = _with_timeout(lambda: submission_files(sub, max_bytes=1 << 20))
    assert files == {f"{MODULE}.py": LINK}
    out = tmp_path / "out"
    write_submission(out, files)
    assert (out / f"{MODULE}.py").is_symlink() and not (out / f"{MODULE}.py").exists()
    os.symlink(sub, tmp_path / "linked")
    assert submission_files(tmp_path / "linked", max_bytes=1 << 20) == {}


# -- folders on disk --------------------------------------------------------------------------------

def test_a_folder_given_to_check_that_is_a_link_is_refused(tmp_path):
    from torchdojo.course import load_course
    from torchdojo.errors import UsageError
    from torchdojo.grading.runner import validate_submission

    os.symlink(ROOT / "reference", tmp_path / "mine")
    with pytest.raises(UsageError, match="links are not accepted"):
        validate_submission(tmp_path / "mine", load_course())
    (tmp_path / "real").mkdir()
    os.symlink(REF, tmp_path / "real" / f"{MODULE}.py")  # a linked file counts: graded, and refused there
    assert validate_submission(tmp_path / "real", load_course()) == tmp_path / "real"


def test_class_folders_are_listed_without_following_links(tmp_path):
    from torchdojo.grading.runner import class_submissions

    (tmp_path / "bob").mkdir()
    os.symlink(tmp_path / "bob", tmp_path / "eve")
    os.symlink(REF, tmp_path / "file-link")  # a link to a file is no submission, as a file is not
    os.symlink(tmp_path / "none", tmp_path / "dangling")
    (tmp_path / "notes.txt").write_text("x")
    assert [name for name, _ in class_submissions(tmp_path)] == ["bob", "eve"]


def test_progress_is_never_read_or_written_through_a_link(tmp_path):
    from torchdojo.grading.state import load_state, save_state

    target = tmp_path / "elsewhere"
    target.mkdir()
    sub = tmp_path / "sub"
    sub.mkdir()
    os.symlink(target, sub / ".torchdojo")
    assert save_state(sub, _report("me", "x")) is None and list(target.iterdir()) == []
    (target / "state.json").write_text(json.dumps({"modules": [_report("me", "x").modules[0].to_dict()]}))
    assert load_state(sub) == {}


# -- grading processes that die, and the reference's failure budget ---------------------------------------

def _kill_victim(job):
    if job[0] == "victim":
        os.kill(os.getpid(), signal.SIGKILL)
    return _ORIGINAL_POOL_SCORE(job)


_ORIGINAL_POOL_SCORE = None


def test_a_grading_process_that_dies_costs_only_its_student(tmp_path, monkeypatch):
    import tempfile

    from torchdojo.grading import runner

    global _ORIGINAL_POOL_SCORE
    _ORIGINAL_POOL_SCORE = runner._pool_score
    monkeypatch.setattr(runner, "_pool_score", _kill_victim)  # the forked processes inherit it
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    subs = []
    for name in ("alice", "victim", "bob"):
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{MODULE}.py").write_text(REF.read_text(encoding="utf-8"), encoding="utf-8")
        subs.append((name, tmp_path / name))
    reports = _with_timeout(lambda: list(runner.grade_folders(subs, jobs=2, modules=[MODULE], device="cpu",
                                                                seed=SEED, lang="en")), 600)
    got = {r.student: r for r in reports}
    assert sorted(got) == ["alice", "bob", "victim"]
    assert got["alice"].full and got["bob"].full
    victim = got["victim"]
    assert victim.score == 0 and victim.max_score == got["alice"].max_score
    message = victim.modules[0].items[0].text.en
    assert "the grading process died while grading this submission" in message and "SIGKILL" in message
    assert _leftovers(scratch) == []


REFERENCE_FLAKY = '''
import os


def answer(x):
    if x < 0:  # a transient failure: this worker dies, the next one is fine
        os._exit(3)
    return 2 * x
'''

GRADER_FLAKY = '''
import pytest


@pytest.mark.points(1)
def test_double(student, reference):
    x = student.value()
    assert student.double(x) == reference.answer(x), "double(x) is not 2 * x"
'''


def test_transient_reference_failures_never_add_up_over_a_class(tmp_path, monkeypatch):
    from torchdojo.course import load_course
    from torchdojo.grading.runner import Scorer

    # a course of its own: one module whose one item is `double`
    (tmp_path / "torchdojo.yaml").write_text(
        f"modules:\n  - name: {MODULE}\n    title: {{ko: 가, en: a}}\n    exercises: [double]\n"
        "    items: {double: 1}\n", encoding="utf-8")
    graders, reference = tmp_path / "graders", tmp_path / "reference"
    graders.mkdir()
    reference.mkdir()
    (graders / f"test_{MODULE}.py").write_text(GRADER_FLAKY, encoding="utf-8")
    (reference / f"{MODULE}.py").write_text(REFERENCE_FLAKY, encoding="utf-8")
    students = {}
    for number in range(5):  # each makes the reference's worker die once
        students[f"bad{number}"] = f"def value():\n    return -{number + 1}\n\ndef double(x):\n    return 2 * x\n"
    students["honest"] = "def value():\n    return 21\n\ndef double(x):\n    return 2 * x\n"
    with Scorer(device="cpu", seed=SEED, lang="en", course=load_course(tmp_path)) as scorer:
        reports = {}
        for name, source in students.items():
            (tmp_path / name).mkdir()
            (tmp_path / name / f"{MODULE}.py").write_text(source, encoding="utf-8")
            reports[name] = scorer.score(tmp_path / name, [MODULE], student=name)
    assert all(reports[f"bad{n}"].score == 0 for n in range(5))
    honest = reports["honest"]
    assert honest.full, honest.modules[0].items[0].text.en
