"""docs/authoring.md, followed step by step on a copy of this course; releases refuse solved stubs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import ROOT

COURSE_PARTS = ("torchdojo.yaml", "exercises", "reference", "graders", "quizzes", "tests")


def copy_course(dest: Path) -> Path:
    dest.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", ".torchdojo", "*.pyc")
    for part in COURSE_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=ignore)
        else:
            shutil.copyfile(source, dest / part)
    return dest


def tutorial_blocks() -> list[str]:
    text = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    tutorial = text[text.index("## Tutorial"):]
    return re.findall(r"```bash\n(.*?)```", tutorial, flags=re.S)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TORCHDOJO_COURSE", "TORCHDOJO_HOME")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update({"TORCHDOJO_LANG": "en", "NO_COLOR": "1", "COLUMNS": "200"})
    return env


@pytest.mark.slow
def test_the_tutorial_works_as_written(tmp_path):
    course = copy_course(tmp_path / "course")
    blocks = tutorial_blocks()
    assert len(blocks) >= 6
    outputs = []
    for block in blocks:
        result = subprocess.run(["bash", "-e", "-c", block], cwd=course, env=_env(), capture_output=True,
                                text=True, timeout=900)
        assert result.returncode == 0, f"block failed:\n{block}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
        outputs.append(result.stdout)
    seen = "\n".join(outputs)
    assert "FAIL" not in seen
    assert "mutant 10_broadcasting:plain_sum (loses outer_sum)" in seen
    assert "mutant 10_broadcasting:unsqueeze (alternative full)" in seen
    assert "broadcasting-practice" in seen  # quiz list
    assert re.search(r"10_broadcasting: 0/2", seen) and re.search(r"10_broadcasting: 2/2", seen)
    assert "Broadcasting practice" in seen  # list shows the new module's title
    assert (tmp_path / "tutorial-bundle" / "exercises" / "10_broadcasting.py").is_file()


@pytest.mark.slow
def test_release_refuses_a_solved_stub_and_names_it(tmp_path):
    course = copy_course(tmp_path / "course")
    shutil.copyfile(course / "reference" / "01_tensors.py", course / "exercises" / "01_tensors.py")
    result = subprocess.run([sys.executable, "-m", "torchdojo", "release", "student", "--out", str(tmp_path / "b"),
                             "--module", "01", "--module", "02"], cwd=course, env=_env(), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "exercises/01_tensors.py (15/15)" in result.stderr and "02_autograd" not in result.stderr
    assert not (tmp_path / "b").exists()
