"""Similarity with copydetect (the two near-copies found, no other pair), and `grade` writing every
classroom output itself."""

from __future__ import annotations

import csv
import io
import os
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from classmates import MODULES
from torchdojo.classroom import build_overview, format_overview
from torchdojo.classroom.html import html_report
from torchdojo.classroom.similarity import similarity_of_root
from torchdojo.cli_report import report


def test_similarity_finds_the_near_copies_only(class_root, class_reports, tmp_path):
    page = tmp_path / "similar.html"
    result = similarity_of_root(class_root, MODULES, threshold=0.5, html_path=page)
    assert [(p.module, p.first, p.second) for p in result.pairs] == [("01_tensors", "김민준", "이서연")]
    assert result.pairs[0].similarity > 0.9 and result.compared == {"01_tensors": 8, "02_autograd": 7}
    text = page.read_text(encoding="utf-8")
    assert "김민준/01_tensors.py" in text and "torchdojo-similarity" not in text and "https://" not in text
    # the overview lists the pair, in the terminal and in the page
    ov = build_overview(class_reports, lang="en", similar=result.pairs, similarity_threshold=0.5)
    assert "01_tensors: 김민준 ~ 이서연" in format_overview(ov, width=100)
    assert "<td>김민준</td><td>이서연</td>" in html_report(ov)


def test_similarity_reads_no_link(class_root, tmp_path):
    """A module file that is a link to another student's is not read (and listed as skipped)."""
    import shutil

    root = tmp_path / "class"
    shutil.copytree(class_root, root, symlinks=True)
    os.symlink(root / "김민준" / "01_tensors.py", root / "bora" / "copy.py")
    (root / "bora" / "01_tensors.py").unlink()
    os.symlink(root / "김민준" / "01_tensors.py", root / "bora" / "01_tensors.py")
    result = similarity_of_root(root, ["01_tensors"], threshold=0.5)
    assert [(p.first, p.second) for p in result.pairs] == [("김민준", "이서연")]
    assert any(s.startswith("bora/01_tensors.py") and "link" in s for s in result.skipped)


def test_report_command_with_similarity(class_journal, class_root, tmp_path):
    result = CliRunner().invoke(report, [str(class_journal), "--lang", "en", "--width", "100", "--similarity",
                                         str(class_root), "--threshold", "0.6", "--similarity-html",
                                         str(tmp_path / "s.html")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Similar pairs (copydetect, threshold 60%):" in result.output
    assert "100%  01_tensors: 김민준 ~ 이서연" in result.output and (tmp_path / "s.html").is_file()
    bad = CliRunner().invoke(report, [str(class_journal), "--threshold", "0.6"])
    assert bad.exit_code == 2 and "--similarity" in bad.output


@pytest.mark.slow
def test_grade_writes_every_output(class_root, tmp_path):
    """`torchdojo grade` itself: table, overview, similar pairs, HTML, JUnit, Canvas, feedback, CSV."""
    from helpers import SEED, run

    (tmp_path / "roster.csv").write_text("folder,student,id\nana,Ana,1\n김민준,김민준,7\n이서연,이서연,8\n",
                                         encoding="utf-8")
    out = {name: tmp_path / name for name in ("class.html", "junit.xml", "canvas.csv", "grades.csv", "sim.html")}
    proc = run("grade", str(class_root), *[a for m in MODULES for a in ("--module", m)], "--seed", str(SEED),
               "-j", "1", "--results", str(tmp_path / "j.jsonl"), "--html", str(out["class.html"]),
               "--junitxml", str(out["junit.xml"]), "--canvas", str(out["canvas.csv"]), "--roster",
               str(tmp_path / "roster.csv"), "--feedback", str(tmp_path / "fb"), "--csv", str(out["grades.csv"]),
               "--bom", "--similarity", "--similarity-html", str(out["sim.html"]))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert text.index("이서연") < text.index("Class overview: 8 students, mean 59.5%")  # after the class table
    assert "100%  01_tensors: 김민준 ~ 이서연" in text and "of failures on 02_autograd.predict" in text
    assert "bora is not in the roster" in proc.stderr
    assert all(p.is_file() for p in out.values()) and len(list((tmp_path / "fb").iterdir())) == 8
    assert len(list(ET.parse(out["junit.xml"]).getroot().iter("testsuite"))) == 8
    canvas = list(csv.reader(io.StringIO(out["canvas.csv"].read_text(encoding="utf-8-sig"))))
    assert canvas[0][:2] == ["Student", "ID"] and ["Ana", "1", "", "", "", "29"] in canvas
    assert out["grades.csv"].read_bytes().startswith(b"\xef\xbb\xbf")
    assert "<td>김민준</td><td>이서연</td>" in out["class.html"].read_text(encoding="utf-8")
