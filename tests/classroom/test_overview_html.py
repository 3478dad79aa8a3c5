"""Class overview (terminal text) and the self-contained HTML report, rendered in headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rich.cells import cell_len

from torchdojo.classroom import build_overview, format_overview
from torchdojo.classroom.html import BAR, FULL, html_report
from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
from torchdojo.i18n import Text


def test_overview_numbers(class_reports):
    ov = build_overview(class_reports, lang="en")
    assert len(ov.students) == 8
    tensors = ov.module("01_tensors")
    assert tensors.max_score == 15 and tensors.students == 8
    assert sum(tensors.histogram()) == 8
    # full on 01: ana, chul, 김민준 (own style), 이서연 (its near-copy)
    assert tensors.full == 4
    assert round(ov.mean_percent, 1) == 59.5 and round(ov.median_percent, 1) == 67.2
    assert tensors.histogram()[0] == 3  # bora (stub), eun (syntax error), frank (stub)
    by = {r.student: r for r in ov.students}
    assert by["ana"].percent == 100 and by["bora"].score == 0
    assert any("syntax error" in p for p in by["eun"].problems)
    predict = ov.item("02_autograd", "predict")
    assert predict.passed == 4 and predict.not_done == 3  # bora, chul (stub), eun (missing)
    assert predict.causes[0].students == ["dami"] and "eval()" in predict.causes[0].message
    causes = {(i.module, i.name): g for i, g in ov.common_causes()}
    assert ("01_tensors", "row_stats") in causes and ("02_autograd", "accumulated_grads") in causes
    # a whole-module syntax error is one problem of that student, not a cause on each item
    assert all("syntax error" not in g.message for g in causes.values())


def test_overview_text_fits_80_columns(class_reports):
    for lang in ("en", "ko"):
        text = format_overview(build_overview(class_reports, lang=lang), width=80)
        assert all(cell_len(line) <= 80 for line in text.splitlines()), text
        assert "01_tensors" in text and "02_autograd.predict" in text
    text = format_overview(build_overview(class_reports, lang="en"), width=120)
    assert "of failures on 02_autograd.predict (1/4)" in text
    assert "eun: 01_tensors: error: syntax error" in text


def _hostile_report() -> SubmissionReport:
    item = ItemResult("row_stats", 0, 3, "failed", Text.same("<script>alert(1)</script> <img src=http://x/y>"))
    return SubmissionReport("x", [ModuleResult("01_tensors", [item])], student='"><img src=https://evil/>')


def test_html_is_self_contained_and_escaped(class_reports):
    page = html_report(build_overview([*class_reports, _hostile_report()], lang="en"))
    assert "default-src 'none'" in page
    assert "<script" not in page.lower()
    # nothing to fetch: every src is a data URI, no link to a style sheet or font
    sources = re.findall(r'src="([^"]{0,14})', page)
    assert len(sources) == 3 and all(s.startswith("data:image/png") for s in sources)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "&lt;script&gt;" in page and "&quot;&gt;&lt;img src=https://evil/&gt;" in page
    for key in ("이서연", "02_autograd.predict", "<b>9</b>"):
        assert key in page


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome", "chromium-headless-shell"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.slow
def test_html_report_in_headless_chromium(class_reports, tmp_path):
    """The page as a browser shows it: a screenshot holds the three plots, the DOM the numbers."""
    browser = _chromium()
    if browser is None:
        pytest.skip("no Chromium found (Debian: apt-get install chromium); .ci/run installs it")
    import numpy as np
    from PIL import Image

    ov = build_overview(class_reports, lang="en")
    page = tmp_path / "report.html"
    page.write_text(html_report(ov), encoding="utf-8")
    shot = tmp_path / "report.png"
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
            "--disable-extensions", "--user-data-dir=" + str(tmp_path / "profile")]
    subprocess.run([*args, "--window-size=1280,2200", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True, cwd=tmp_path)
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 2200)

    def share(colour: str, box: tuple[int, int, int, int]) -> float:
        want = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        region = np.asarray(image.crop(box), dtype=np.int16)
        near = (np.abs(region - np.array(want, dtype=np.int16)) <= 12).all(axis=-1)
        return float(near.mean())

    top, items = (0, 150, 1280, 480), (0, 780, 1280, 1350)
    assert share(BAR, top) > 0.02, "the score histogram is not drawn"
    assert share(FULL, top) > 0.005, "the module plot is not drawn"
    assert share(BAR, items) > 0.02, "the item plot is not drawn"
    assert share("#ffffff", (0, 0, 1280, 2200)) < 0.97, "the page looks blank"
    keep = os.environ.get("TORCHDOJO_KEEP_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(shot.read_bytes())

    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True, cwd=tmp_path).stdout
    assert re.search(r'id="k-students">students<b>8</b>', dom)
    assert '<b>59.5%</b>' in dom and '<b>67.2%</b>' in dom
    assert dom.count("data:image/png;base64,") == 3
    for row in ("<td>ana</td>", "<td>이서연</td>", "24/29"):
        assert row in dom
