"""`torchdojo report JOURNAL` (the command; the library is tested beside)."""

from __future__ import annotations

from click.testing import CliRunner

from torchdojo.cli_report import report


def test_report_prints_the_overview_and_writes_html(class_journal, tmp_path):
    page = tmp_path / "class.html"
    result = CliRunner().invoke(report, [str(class_journal), "--lang", "en", "--width", "100", "--html", str(page)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Class overview: 8 students, mean 59.5%, median 67.2%" in result.output
    assert "of failures on 02_autograd.predict (1/4)" in result.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_of_a_missing_journal_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(report, [str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "no such journal" in result.output
