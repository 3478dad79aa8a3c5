"""`torchdojo release student`: no reference or grader source in the bundle, and `make check` works.

`make check` runs against a stand-in venv whose python is this test's interpreter (no
second venv is built): the bundle's own Makefile, pack and folder layout are what is tested.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import release_helpers
from release_helpers import MODULE, PYTHON, ROOT, leaked
from torchdojo.cli_release import release


@pytest.fixture(scope="module")
def wheel() -> Path:
    return release_helpers.shared_wheel()


@pytest.fixture(scope="module")
def secret_lines() -> dict[str, set[str]]:
    return release_helpers.secret_lines()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, wheel) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "bundle"
    result = CliRunner().invoke(release, ["student", "--out", str(out), "--wheel", str(wheel)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def fake_venv(tmp_path_factory, bundle) -> Path:
    """A venv stand-in: bin/python runs this interpreter; the install stamp is fresh."""
    venv = tmp_path_factory.mktemp("venv")
    (venv / "bin").mkdir()
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{PYTHON}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    (venv / ".torchdojo-installed").touch()
    return venv


def _all_texts(root: Path) -> dict[str, str]:
    """Every file of the bundle as text, and every member of every zip (the wheel) unpacked."""
    texts = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        texts[str(path.relative_to(root))] = data.decode("utf-8", "ignore")
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for name in zf.namelist():
                    texts[f"{path.relative_to(root)}!{name}"] = zf.read(name).decode("utf-8", "ignore")
    return texts


def test_bundle_layout_without_reference_or_grader_source(bundle, secret_lines):
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    assert {"README.md", "Makefile", "exercises", ".torchdojo/graders.pack", "quizzes", "answers"} <= names
    assert not any(n.startswith(("reference", "graders")) or "/reference/" in n or "test_01" in n for n in names)
    assert sorted(p.name for p in (bundle / "exercises").glob("*.py")) == sorted(
        p.name for p in (ROOT / "exercises").glob("[0-9][0-9]_*.py"))
    texts = _all_texts(bundle)
    found = {name: leaked(text, secret_lines) for name, text in texts.items()}
    assert {k: v for k, v in found.items() if v} == {}
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert "trust model" in readme and "determined student" in readme


def test_quizzes_have_no_answer_keys_or_explanations(bundle):
    quizzes = sorted((bundle / "quizzes").glob("*.yaml"))
    assert quizzes
    for path in quizzes:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        original = yaml.safe_load((ROOT / "quizzes" / path.name).read_text(encoding="utf-8"))
        assert [q["id"] for q in data["questions"]] == [q["id"] for q in original["questions"]]
        for q, o in zip(data["questions"], original["questions"]):
            assert "answer" not in q and "explanation" not in q
            assert q["choices"] == o["choices"] and q["prompt"] == o["prompt"]
            for text in o["explanation"].values():
                assert text not in path.read_text(encoding="utf-8")


def test_answer_sheet_is_scored_by_the_instructors_quiz(bundle, tmp_path):
    cli_quiz = pytest.importorskip("torchdojo.cli_quiz")
    sheet = yaml.safe_load((bundle / "answers" / "01_tensors.yaml").read_text(encoding="utf-8"))
    original = yaml.safe_load((ROOT / "quizzes" / "01_tensors.yaml").read_text(encoding="utf-8"))
    keys = {q["id"]: q["answer"] for q in original["questions"]}
    assert set(sheet) == set(keys) and all(v is None for v in sheet.values())
    filled = tmp_path / "answers.yaml"
    filled.write_text(yaml.safe_dump(keys), encoding="utf-8")
    result = CliRunner().invoke(cli_quiz.quiz, ["run", str(ROOT / "quizzes" / "01_tensors.yaml"), "--answers",
                                                str(filled), "--json", "--student", "kim"])
    data = json.loads(result.stdout if hasattr(result, "stdout") else result.output)
    assert data["score"] == data["max_score"] == len(keys)


def make_check(bundle: Path, venv: Path, directory: str, *args: str, tmpdir: Path | None = None
               ) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("TORCHDOJO_HOME", None)
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    return subprocess.run(["make", "-s", "check", f"VENV={venv}", f"DIR={directory}", f"ARGS={' '.join(args)}"],
                          cwd=bundle, capture_output=True, text=True, env=env, timeout=600)


def test_make_check_scores_stubs_zero_and_a_solution_full(bundle, fake_venv, tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    stubs = make_check(bundle, fake_venv, "exercises", "--json", "--device", "cpu")
    assert stubs.returncode != 0, stubs.stderr
    report = json.loads(stubs.stdout)
    assert report["score"] == 0 and report["max_score"] > 0
    assert len(report["modules"]) == 9
    assert all(i["status"] == "missing" for m in report["modules"] for i in m["items"])
    solution = tmp_path / "solution"
    solution.mkdir()
    shutil.copyfile(ROOT / "reference" / f"{MODULE}.py", solution / f"{MODULE}.py")
    private_tmp = Path(tempfile.mkdtemp(prefix="torchdojo-test-tmp-"))
    private_tmp.chmod(0o755)
    try:
        solved = make_check(bundle, fake_venv, str(solution), "--json", "--device", "cpu", "--module", MODULE,
                            tmpdir=private_tmp)
        assert solved.returncode == 0, solved.stderr
        report = json.loads(solved.stdout)
        assert report["score"] == report["max_score"] == 15
        assert list(private_tmp.glob("torchdojo-home-*")) == []  # the unpacked graders are gone after the check
    finally:
        shutil.rmtree(private_tmp, ignore_errors=True)


def test_refuses_a_non_empty_out_unless_forced(bundle, wheel, tmp_path):
    result = CliRunner().invoke(release, ["student", "--out", str(bundle), "--wheel", str(wheel)])
    assert result.exit_code == 2 and "not empty" in result.output
    other = tmp_path / "other"
    other.mkdir()
    (other / "old.txt").write_text("old", encoding="utf-8")
    result = CliRunner().invoke(release, ["student", "--out", str(other), "--wheel", str(wheel), "--force"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and not (other / "old.txt").exists()
    result = CliRunner().invoke(release, ["student", "--out", str(ROOT), "--wheel", str(wheel), "--force"])
    assert result.exit_code == 2 and "refusing" in result.output


def make(bundle: Path, venv: Path, target: str, args: str = "", stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_HOME", "TORCHDOJO_COURSE")}
    env.update({"TORCHDOJO_LANG": "en", "NO_COLOR": "1", "TORCHDOJO_QUIZ_PROMPT": "typed"})
    return subprocess.run(["make", "-s", target, f"VENV={venv}", f"ARGS={args}"], cwd=bundle, input=stdin,
                          capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_every_study_tool_works_in_the_bundle(bundle, fake_venv):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    listed = make(bundle, fake_venv, "list", "--lang en")
    assert listed.returncode == 0, listed.stderr
    assert "01_tensors" in listed.stdout and "0/15" in listed.stdout and "0/0" not in listed.stdout
    hinted = make(bundle, fake_venv, "hint", "01 --lang en")
    assert hinted.returncode == 0 and "row_stats" in hinted.stdout, hinted.stderr
    quizzes = make(bundle, fake_venv, "quiz")
    assert quizzes.returncode == 0 and "tensors" in quizzes.stdout, quizzes.stderr
    taken = make(bundle, fake_venv, "quiz", "run tensors --lang en --typed --seed 1", stdin="1\n" * 12)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert "Why: `view()` looks at the same memory" in taken.stdout, taken.stdout[-2000:]  # explanations shown
    plain = subprocess.run([str(fake_venv / "bin" / "python"), "-m", "torchdojo", "check", "exercises", "--json",
                            "--module", "01"], cwd=bundle, capture_output=True, text=True, timeout=600,
                           env={k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_HOME", "TORCHDOJO_COURSE")})
    assert plain.returncode == 1 and json.loads(plain.stdout)["max_score"] == 15, plain.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_HOME", "TORCHDOJO_COURSE")}
    env.update({"TORCHDOJO_LANG": "en", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"})
    watch = subprocess.Popen(["make", "-s", "watch", f"VENV={fake_venv}", "ARGS=--lang en"], cwd=bundle, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0, start_new_session=True)
    seen = ""
    try:
        import select
        import time

        deadline = time.monotonic() + 300
        while "0/15" not in seen and time.monotonic() < deadline and watch.poll() is None:
            ready, _, _ = select.select([watch.stdout], [], [], 1.0)
            if ready:  # raw reads: a text readline would hide buffered lines from select
                seen += os.read(watch.stdout.fileno(), 65536).decode("utf-8", "replace")
    finally:
        os.killpg(watch.pid, 9)
        watch.wait()
    assert "0/15" in seen, seen[-2000:]
