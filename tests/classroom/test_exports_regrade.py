"""Canvas CSV with a roster, BOM for Excel, JUnit XML, and the regrade diff of two journals."""

from __future__ import annotations

import copy
import csv
import io
import xml.etree.ElementTree as ET

from click.testing import CliRunner

from torchdojo.classroom.exports import canvas_csv, encode_csv, junit_xml, read_roster
from torchdojo.classroom.regrade import diff_reports, format_diff
from torchdojo.cli_report import regrade_diff, report
from torchdojo.grading.journal import Journal
from torchdojo.i18n import Text

ROSTER = """folder,student,id,sis_user_id,sis_login_id,section
ana,"Kim, Ana",101,S101,ana01,A
bora,Park Bora,102,S102,bora02,A
chul,Lee Chul,103,S103,chul03,B
dami,Choi Dami,104,S104,dami04,B
eun,Jung Eun,105,S105,eun05,A
frank,Frank Moss,106,S106,frank06,B
김민준,김민준,107,S107,minjun07,A
이서연,이서연,108,S108,seoyeon08,B
ghost,Nobody,109,S109,ghost09,A
"""


def _roster(tmp_path, text=ROSTER):
    path = tmp_path / "roster.csv"
    path.write_bytes(encode_csv(text, bom=True))  # a roster saved by Excel has a BOM
    return read_roster(path)


def test_canvas_csv(class_reports, tmp_path):
    roster = _roster(tmp_path)
    del roster["frank"]
    export = canvas_csv(class_reports, roster, assignment="PyTorch basics", assignment_id="4711",
                        modules=["01_tensors"])
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "PyTorch basics (4711)",
                       "PyTorch basics 01_tensors"]
    assert rows[1] == ["Points Possible", "", "", "", "", "29", "15"]
    assert rows[2] == ["Kim, Ana", "101", "S101", "ana01", "A", "29", "15"]
    assert ["이서연", "108", "S108", "seoyeon08", "B", "29", "15"] in rows
    assert rows[-1] == ["Nobody", "109", "S109", "ghost09", "A", "", ""]
    assert export.unmatched == ["frank"] and export.absent == ["ghost"]
    data = encode_csv(export.text)
    assert data.startswith(b"\xef\xbb\xbf") and "김민준".encode() in data
    assert not encode_csv(export.text, bom=False).startswith(b"\xef\xbb\xbf")


def test_junit_xml(class_reports):
    root = ET.fromstring(junit_xml(class_reports))
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert len(suites) == 8 and root.get("tests") == str(8 * 16)
    assert suites["ana"].get("failures") == "0" and suites["ana"].get("score") == "29"
    eun = suites["eun"]
    assert int(eun.get("errors")) == 8 and int(eun.get("failures")) == 8  # syntax error; 02 missing
    case = next(c for c in suites["dami"].iter("testcase") if c.get("name") == "predict")
    assert case.get("classname") == "dami.02_autograd" and "eval()" in case.find("failure").text


def test_report_command_writes_canvas_and_junit(class_journal, tmp_path):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    result = CliRunner().invoke(report, [  # click >= 8.2: output holds stderr too
        str(class_journal), "--lang", "en", "--canvas", str(tmp_path / "canvas.csv"), "--roster",
        str(tmp_path / "roster.csv"), "--junitxml", str(tmp_path / "junit.xml")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "canvas.csv").read_bytes().startswith(b"\xef\xbb\xbfStudent,ID,")
    assert "ghost (roster) has no result" in result.output
    ET.parse(tmp_path / "junit.xml")
    bad = CliRunner().invoke(report, [str(class_journal), "--canvas", str(tmp_path / "c2.csv")])
    assert bad.exit_code == 2 and "--canvas needs --roster" in bad.output


def _regraded(reports):
    """The class after a grader change: dami's row_stats now passes, ana loses predict.no_grad."""
    new = copy.deepcopy(reports)
    for rep in new:
        for m in rep.modules:
            for i in m.items:
                if rep.student == "dami" and i.name == "row_stats":
                    i.score, i.status = i.max_score, "passed"
                if rep.student == "ana" and i.name == "predict.no_grad":
                    i.score, i.status, i.text = 0, "failed", Text.same("predict ran outside torch.no_grad()")
    return new


def test_regrade_diff(class_reports, tmp_path):
    new = _regraded(class_reports)
    changes = diff_reports(class_reports, new)
    assert [c.student for c in changes] == ["ana", "dami"]
    ana, dami = changes
    assert (ana.old, ana.new, ana.delta) == (29, 28, -1) and ana.items[0].item == "02_autograd.predict.no_grad"
    assert dami.delta == 3
    text = format_diff(changes)
    assert "ana: 29/29 -> 28/29 (-1)" in text and "torch.no_grad()" in text and "1 up, 1 down" in text
    assert len(diff_reports(class_reports, new, everyone=True)) == 8
    paths = []
    for name, reps in (("old", class_reports), ("new", new)):
        journal = Journal.open(tmp_path / f"{name}.jsonl", resume=False)
        journal.start(reps[0].seed, "cpu")
        for rep in reps:
            journal.record(rep)
        paths.append(str(journal.path))
    result = CliRunner().invoke(regrade_diff, paths, catch_exceptions=False)
    assert result.exit_code == 0 and "dami: 24/29 -> 27/29 (+3)" in result.output
