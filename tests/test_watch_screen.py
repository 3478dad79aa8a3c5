"""`make watch` in a real 80x50 terminal (issue 16): after a save the screen shows the saved
module and the next step, and fits the screen (not the whole 9-module table)."""

from __future__ import annotations

import os
import re
import shutil

import pytest

from helpers import ROOT, TORCHDOJO

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
CLEAR = "\x1b[2J"


def _last_screen(raw: str) -> list[str]:
    screen = raw.split(CLEAR)[-1]
    return ANSI.sub("", screen.replace("\r\n", "\n")).rstrip("\n").splitlines()


@pytest.mark.slow
def test_watch_after_a_save_fits_a_50_line_screen(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    from rich.cells import cell_len

    sub = tmp_path / "exercises"
    shutil.copytree(ROOT / "exercises", sub, ignore=shutil.ignore_patterns(".torchdojo"))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update({"TORCHDOJO_LANG": "ko", "TERM": "xterm", "TORCHDOJO_STATE_DIR": str(tmp_path / "state")})
    child = pexpect.spawn(TORCHDOJO[0], [*TORCHDOJO[1:], "watch", str(sub), "--device", "cpu"], cwd=str(ROOT),
                          env=env, dimensions=(50, 80), encoding="utf-8", timeout=300)
    try:
        child.expect("파일을 저장하면 다시 채점합니다")
        first = _last_screen(child.before + child.after)
        assert len(first) <= 50 and all(cell_len(line) <= 80 for line in first), first
        assert any(line.startswith("01_tensors: 0/") for line in first)
        assert any(line.startswith("전체: 01 0/") for line in first)
        # a save: 01 solved but one item (flatten_images with view fails on non-contiguous input)
        source = (ROOT / "reference" / "01_tensors.py").read_text(encoding="utf-8")
        (sub / "01_tensors.py").write_text(source.replace("x.reshape(x.shape[0], -1)", "x.view(x.shape[0], -1)"),
                                           encoding="utf-8")
        child.expect("다시 채점: 01_tensors \\(", timeout=120)
        seen = child.before + child.after
        child.expect("파일을 저장하면 다시 채점합니다", timeout=120)
        screen = _last_screen(seen + child.before + child.after)
        text = "\n".join(screen)
        assert len(screen) <= 50, text
        assert all(cell_len(line) <= 80 for line in screen), text
        assert screen[0].startswith("── 다시 채점: 01_tensors (")
        assert re.search(r"^01_tensors: \d+/15$", text, re.M), text
        assert re.search(r"^  ✘ flatten_images\s+0/2  실패$", text, re.M), text
        assert "▶ 다음으로 할 일: 01_tensors / flatten_images" in text and "💡" in text
        assert not re.search(r"^0[2-9]_\w+: ", text, re.M)  # no other module's detail
        assert re.search(r"전체: 01 \d+/15 · 02 0/", text)  # but every module in one line
        child.sendintr()
        child.expect("watch를 마칩니다", timeout=30)
    finally:
        child.close(force=True)
