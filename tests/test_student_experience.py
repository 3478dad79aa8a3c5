"""Watch, hints, list and pictures: what a student sees between two saves."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from helpers import ROOT, run

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def test_hint_is_korean_by_default_and_english_on_request():
    ko = run("hint", "01_tensors", cwd=ROOT)
    # run() sets TORCHDOJO_LANG=en; Korean is the default when nothing says otherwise
    env = {k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_LANG", "LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")}
    ko = subprocess.run([sys.executable, "-m", "torchdojo", "hint", "01_tensors"], cwd=ROOT, env=env,
                        capture_output=True, text=True)
    en = run("hint", "01_tensors", "--lang", "en")
    assert ko.returncode == 0 and en.returncode == 0, ko.stderr + en.stderr
    assert HANGUL.search(ko.stdout) and "01_tensors" in ko.stdout
    assert not HANGUL.search(en.stdout) and "hint 1/3" in en.stdout


def test_hint_levels_and_items():
    first = run("hint", "01", "flatten_images", "--level", "1", "--lang", "en").stdout
    third = run("hint", "01", "flatten_images.view", "--level", "3", "--lang", "en").stdout
    assert "hint 1/3" in first and "hint 3/3" in third and first != third
    bad = run("hint", "01", "no_such_thing")
    assert bad.returncode == 2 and "no exercise" in bad.stderr


def _reference_bodies() -> list[list[str]]:
    """The stripped code lines of every function body in reference/ (docstrings left out)."""
    import ast

    bodies = []
    for path in (ROOT / "reference").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                if body:
                    code = [ln.strip() for ln in lines[body[0].lineno - 1: node.end_lineno]]
                    bodies.append([ln for ln in code if ln and not ln.startswith("#")])
    return bodies


def test_every_exercise_has_three_bilingual_hints_without_reference_code():
    from torchdojo.course import load_course
    from torchdojo.hints import load_hints

    hints = load_hints()
    bodies = _reference_bodies()
    for module in load_course().modules:
        for exercise in module.exercises:
            levels = hints.get(module.name, {}).get(exercise)
            assert levels and len(levels) == 3, (module.name, exercise)
            for number, level in enumerate(levels, start=1):
                assert level.get("ko", "").strip() and level.get("en", "").strip(), (module.name, exercise)
                if number < 3:  # level 3 may be code only
                    assert HANGUL.search(level["ko"]), (module.name, exercise)
                for text in (level["ko"], level["en"]):
                    for body in bodies:
                        # near-code may share an idiom or two, never a whole solution
                        if len(body) == 1:
                            assert len(body[0]) < 25 or body[0] not in text, (module.name, exercise, body[0])
                        elif len(body) >= 3:
                            assert not all(line in text for line in body), (module.name, exercise, body)


def test_list_shows_every_module_and_the_last_check(tmp_path):
    sub = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", sub, ignore=shutil.ignore_patterns(".torchdojo"))
    shutil.copyfile(ROOT / "reference" / "01_tensors.py", sub / "01_tensors.py")
    before = json.loads(run("list", str(sub), "--json").stdout)
    from torchdojo.course import load_course

    assert [m["name"] for m in before["modules"]] == load_course().names
    assert all(not m["checked"] and m["max_score"] > 0 for m in before["modules"])
    assert before["items_passed"] == 0 and before["items"] > 0
    check = run("check", str(sub), "--module", "01_tensors", "--device", "cpu")
    assert check.returncode == 0, check.stderr
    after = json.loads(run("list", str(sub), "--json").stdout)
    first = after["modules"][0]
    assert first["checked"] and first["score"] == first["max_score"] == before["modules"][0]["max_score"]
    assert all(i["status"] == "passed" for i in first["items"])
    assert after["items_passed"] == len(first["items"]) and not after["modules"][1]["checked"]


class _Output:
    """The child's stdout read straight from the pipe (no buffered readline: select() cannot see
    lines already sitting in Python's buffer)."""

    def __init__(self, proc: subprocess.Popen):
        self.fd = proc.stdout.fileno()
        self.text = ""
        self.seen = 0

    def until(self, pattern: str, timeout: float) -> str:
        """Text after the previous match up to and including the next `pattern`."""
        import select

        deadline = time.monotonic() + timeout
        while pattern not in self.text[self.seen:]:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} within {timeout} s; got:\n{self.text[self.seen:][-3000:]}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                if not chunk:
                    raise AssertionError(f"watch ended early:\n{self.text[-3000:]}")
                self.text += chunk.decode("utf-8", "replace")
        end = self.text.index(pattern, self.seen) + len(pattern)
        part, self.seen = self.text[self.seen:end], end
        return part


@pytest.mark.slow
def test_watch_regrades_a_saved_module(tmp_path):
    sub = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", sub, ignore=shutil.ignore_patterns(".torchdojo"))
    env = {**os.environ, "TORCHDOJO_LANG": "en", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "torchdojo", "watch", str(sub), "--device", "cpu"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        output = _Output(proc)
        first = output.until("save a file to re-grade", timeout=240)
        assert "01_tensors: 0/" in first
        saved = time.monotonic()
        shutil.copyfile(ROOT / "reference" / "01_tensors.py", sub / "01_tensors.py")
        second = output.until("save a file to re-grade", timeout=60)
        latency = time.monotonic() - saved
        assert "re-graded: 01_tensors (" in second and re.search(r"01_tensors: (\d+)/\1\b", second), second
        print(f"watch re-grade latency: {latency:.2f} s")
        assert latency < 30
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "watch stopped" in output.text + os.read(output.fd, 65536).decode("utf-8", "replace")
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_check_artifacts_writes_pictures(tmp_path):
    from PIL import Image

    out = tmp_path / "pics"
    proc = run("check", "reference", "--device", "cpu", "--module", "06", "--module", "08", "--module", "09",
               "--artifacts", str(out))
    assert proc.returncode == 0, proc.stderr + proc.stdout[-2000:]
    expected = {"06_training-training.png", "08_image_restoration-restoration.png", "09_fashion_mnist-training.png"}
    assert {p.name for p in out.glob("*.png")} == expected
    for name in expected:
        path = out / name
        assert f"picture: {path}" in proc.stdout
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        with Image.open(path) as image:
            assert image.size[0] > 300 and image.size[1] > 200


def _env(tmp_path, **more) -> dict:
    return {**os.environ, "TORCHDOJO_LANG": "en", "NO_COLOR": "1", "TORCHDOJO_STATE_DIR": str(tmp_path / "state"),
            **more}


def test_hint_accepts_a_number_or_a_name_and_says_when_everything_is_done(tmp_path):
    from torchdojo.course import load_course
    from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
    from torchdojo.grading.state import save_state

    env = _env(tmp_path)
    outs = [subprocess.run([sys.executable, "-m", "torchdojo", "hint", name], cwd=ROOT, env=env,
                           capture_output=True, text=True).stdout for name in ("01", "1", "tensors", "01_tensors")]
    assert outs[0].startswith("01_tensors / ") and len(set(outs)) == 1, outs
    course = load_course()
    full = SubmissionReport("exercises", [ModuleResult(m.name, [ItemResult(i, p, p, "passed") for i, p in m.items.items()])
                                          for m in course.modules])
    os.environ["TORCHDOJO_STATE_DIR"] = env["TORCHDOJO_STATE_DIR"]
    try:
        assert save_state(ROOT / "exercises", full) is not None
    finally:
        del os.environ["TORCHDOJO_STATE_DIR"]
    assert not (ROOT / "exercises" / ".torchdojo" / "state.json").exists()
    done = subprocess.run([sys.executable, "-m", "torchdojo", "hint"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "nothing left to do" in done.stdout and "hint 1/" not in done.stdout
    ko = subprocess.run([sys.executable, "-m", "torchdojo", "hint", "--lang", "ko"], cwd=ROOT, env=env,
                        capture_output=True, text=True)
    assert "만점" in ko.stdout
    module = subprocess.run([sys.executable, "-m", "torchdojo", "hint", "01"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert "01_tensors is at full score" in module.stdout and "hint 1/3" in module.stdout


@pytest.mark.slow
def test_check_artifacts_says_why_a_failing_module_made_no_picture(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "torchdojo", "check", "exercises", "--device", "cpu", "--module",
                           "08", "--artifacts", str(tmp_path / "pics")], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert "no picture for 08_image_restoration: restore did not pass: restore: not implemented yet" in proc.stdout
    assert not list((tmp_path / "pics").glob("*.png"))


def _run_notebook(module: str, solved: bool) -> str:
    """The released (or solved) notebook's setup, answer and self-check cells, run in order."""
    import contextlib
    import io

    from torchdojo.release.notebook import module_notebook
    from torchdojo.release.source import strip_solutions

    nb, _ = module_notebook(module, exercises_dir=ROOT / "exercises", reference_dir=ROOT / "reference",
                            graders_dir=ROOT / "graders")
    namespace: dict = {"__name__": "__main__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id", "")
            if cell["cell_type"] != "code" or gid.endswith("_test"):
                continue
            exec(compile(cell["source"] if solved else strip_solutions(cell["source"]), gid, "exec"), namespace)
    return out.getvalue()


def test_released_notebooks_have_visible_self_checks():
    from torchdojo.course import load_course

    mod = load_course().module("01")
    released = _run_notebook(mod.name, solved=False)
    solved = _run_notebook(mod.name, solved=True)
    for name in mod.exercises:
        assert f"✘ {name}: " in released and "NotImplementedError" in released
        assert f"✔ {name}: " in solved
    assert "✘" not in solved
    classes = _run_notebook("04_nn_module", solved=True)
    assert "✔ MLP: " in classes and "in_features" in classes
