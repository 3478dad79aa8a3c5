"""Quiz item analysis (`quiz report --items`): facility, 27% discrimination, point-biserial,
KR-20, distractors by group, negative discrimination flagged; on 10 made-up students."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from torchdojo.cli_quiz import quiz as quiz_cli
from torchdojo.quiz import load_quiz
from torchdojo.quiz.analysis import analyse_records, analysis_csv, format_analysis
from torchdojo.quiz.records import read_records

BANK = Path(__file__).resolve().parents[2] / "quizzes"
INVERTED = "tensors-broadcast"  # the strong students get it wrong, the weak ones right


def _answers(quiz, ability: int) -> dict[str, int | list[int]]:
    """Student of `ability` (0..8) answers the first `ability` questions right, the rest with the
    first wrong choice; INVERTED the other way round."""
    out = {}
    for j, q in enumerate(quiz.questions):
        right = j < ability
        if q.id == INVERTED:
            right = ability <= 3
        if right:
            out[q.id] = sorted(q.answer_set) if q.multi else q.answer
        else:
            wrong = next(c for c in range(1, len(q.choices) + 1) if c not in q.answer_set)
            out[q.id] = [wrong] if q.multi else wrong
    return out


@pytest.fixture()
def records_file(tmp_path):
    quiz = load_quiz(BANK / "01_tensors.yaml")
    lines = []
    for i, ability in enumerate([8, 8, 7, 6, 5, 4, 3, 2, 1, 0]):
        answers = _answers(quiz, ability)
        lines.append({"quiz": quiz.id, "student": f"s{i}", "timestamp": f"2026-03-0{1 + i % 9}T10:00:00Z",
                      "complete": True, "results": [{"id": k, "chosen": v} for k, v in answers.items()]})
    # an older, complete attempt of s9 that scored everything: the later one counts
    lines.insert(0, {**lines[-1], "timestamp": "2026-01-01T00:00:00Z",
                     "results": [{"id": q.id, "chosen": sorted(q.answer_set) if q.multi else q.answer}
                                 for q in quiz.questions]})
    path = tmp_path / "tensors.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path, quiz


def test_item_statistics_by_hand(records_file):
    path, quiz = records_file
    records, problems = read_records([path])
    assert not problems
    [a] = analyse_records(records, {quiz.id: quiz})
    assert len(a.students) == 10 and a.group_size == 3  # round(0.27 * 10)
    x = np.array([[1 if (j < ab if q.id != INVERTED else ab <= 3) else 0 for j, q in enumerate(quiz.questions)]
                  for ab in [8, 8, 7, 6, 5, 4, 3, 2, 1, 0]])
    totals = x.sum(axis=1)
    p = x.mean(axis=0)
    k = x.shape[1]
    assert a.kr20 == pytest.approx(k / (k - 1) * (1 - (p * (1 - p)).sum() / totals.var()))
    by = {i.question: i for i in a.items}
    for j, q in enumerate(quiz.questions):
        item = by[q.id]
        assert item.facility == pytest.approx(p[j])
        rest = totals - x[:, j]
        expected = np.corrcoef(x[:, j], rest)[0, 1] if x[:, j].std() and rest.std() else None
        if expected is None or math.isnan(expected):
            assert item.point_biserial is None
        else:
            assert item.point_biserial == pytest.approx(expected)
    inverted = by[INVERTED]
    assert inverted.upper == 0 and inverted.lower == 1 and inverted.discrimination == -1
    assert inverted.flagged and [i.question for i in a.flagged] == [INVERTED]
    first = by[quiz.questions[0].id]
    assert first.facility == 0.9 and first.upper == 1 and first.lower == pytest.approx(2 / 3)
    # distractors: the one wrong choice used, picked by the lower group only
    wrong = next(c for c in first.choices if not c.key and c.total)
    assert (wrong.upper, wrong.lower, wrong.total) == (0, 1, 1)
    key = next(c for c in first.choices if c.key)
    assert (key.upper, key.lower, key.total) == (3, 2, 9)


def test_quiz_report_items_command(records_file):
    path, quiz = records_file
    runner = CliRunner()
    result = runner.invoke(quiz_cli, ["report", str(path), "--items", "--bank", str(BANK / "01_tensors.yaml"),
                                      "--lang", "en"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Item analysis: tensors — 10 students, upper/lower groups 3 each (27%), KR-20" in result.output
    line = next(line for line in result.output.splitlines() if line.startswith(INVERTED) and "⚠" in line)
    assert "-1.00" in line and "negative discrimination" in line
    data = json.loads(runner.invoke(quiz_cli, ["report", str(path), "--items", "--format", "json", "--bank",
                                               str(BANK / "01_tensors.yaml")]).output)
    assert data["analysis"][0]["quiz"] == "tensors" and data["analysis"][0]["students"] == 10
    csv_text = runner.invoke(quiz_cli, ["report", str(path), "--items", "--format", "csv", "--bank",
                                        str(BANK / "01_tensors.yaml")]).output
    assert csv_text.splitlines()[0].startswith("section,quiz,question,facility")
    assert sum(1 for row in csv_text.splitlines() if row.startswith("item,")) == len(quiz.questions)


def test_analysis_text_and_csv_of_no_attempts():
    assert analyse_records([], {}) == []
    assert analysis_csv([]).startswith("section,")
