"""Per-student feedback files: items, points, messages; no grader or reference source."""

from __future__ import annotations

from torchdojo.classroom.feedback import write_feedback
from torchdojo.grading.report import ItemResult, ModuleResult, SubmissionReport
from torchdojo.i18n import Text
from helpers import ROOT


def test_feedback_files(class_reports, tmp_path):
    hostile = SubmissionReport("x", [ModuleResult("01_tensors", [
        ItemResult("row_stats", 0, 3, "failed", Text.same("[click](http://evil) <img src=x>"))])], student="../../etc/x")
    files = write_feedback([*class_reports, hostile], tmp_path / "fb", lang="en")
    assert len(files) == 9 and all(f.parent == tmp_path / "fb" for f in files)
    dami = (tmp_path / "fb" / "dami.md").read_text(encoding="utf-8")
    assert "**Total: 24/29**" in dami and "| predict | 0/2 | failed |" in dami and "eval\\(\\)" in dami
    assert "| row\\_stats | 0/3 |" in dami and "| flatten\\_images | 2/2 | passed |  |" in dami
    assert (tmp_path / "fb" / "김민준.md").is_file()
    evil = next(f for f in files if "etc" in f.name).read_text(encoding="utf-8")
    assert "](http" not in evil and "\\<img" in evil and " <img" not in evil  # shown as text, never HTML
    # nothing of the graders or the reference
    secret = (ROOT / "reference" / "02_autograd.py").read_text(encoding="utf-8")
    for text in (f.read_text(encoding="utf-8") for f in files):
        assert "def " not in text and "model.eval()\n" not in text and secret[:200] not in text
        assert "graders/" not in text
