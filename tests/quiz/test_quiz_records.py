"""Records carry what the student chose, never the keys; `quiz report` re-scores against the bank."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from torchdojo.cli_quiz import quiz
from torchdojo.quiz import QuizSession, build_report, read_records


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(quiz, list(args), input=input, catch_exceptions=False)


def attempt(tiny_path: Path, tiny, record: Path, student: str, plan: dict, seed: int = 1) -> None:
    session = QuizSession(tiny, seed=seed)
    def shown(q: str, n):
        s = session.shown(q)
        return sorted(s.to_shown(x) for x in n) if isinstance(n, list) else s.to_shown(n)

    sheet = {"seed": seed, "answers": {q: shown(q, n) for q, n in plan.items()}}
    answers = record.parent / f"{student}.yaml"
    answers.write_text(yaml.safe_dump(sheet), encoding="utf-8")
    result = run("run", str(tiny_path), "--answers", str(answers), "--student", student, "--record", str(record), "--json")
    assert result.exit_code == 0, result.output


def test_a_record_holds_no_keys(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    attempt(tiny_path, tiny, record, "kim", {"t-one": 1})  # wrong, and the rest never reached
    text = record.read_text(encoding="utf-8")
    data = json.loads(text)
    assert all(set(r) == {"id", "chosen", "chosen_text", "correct"} for r in data["results"])
    assert [r["chosen"] for r in data["results"]] == [1, None, None, None]
    # nothing in the line tells the key of any question (e.g. t-ko-only's '다' / 'gamma')
    assert "다" not in text and "gamma" not in text and '"answer"' not in text


def edit(record: Path, change) -> Path:
    lines = [json.loads(x) for x in record.read_text(encoding="utf-8").splitlines()]
    for line in lines:
        change(line)
    edited = record.with_name("edited.jsonl")
    edited.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return edited


def test_an_edited_record_is_rescored_and_flagged(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    attempt(tiny_path, tiny, record, "kim", {"t-one": 1, "t-multi": [2], "t-ko-only": 1, "t-fixed": 2})  # 0/4

    def cheat(line: dict) -> None:
        line["score"] = 4
        for r in line["results"]:
            r["correct"] = True

    edited = edit(record, cheat)
    result = run("report", str(edited), "--format", "json", "--bank", str(tiny_path))
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["students"][0]["score"] == 0  # the bank's score, not the record's
    flags = data["students"][0]["flags"]
    assert "score says 4, the bank gives 0" in flags
    assert "question 't-one' says correct=true, the bank says false" in flags
    assert len(data["flagged"]) == 1 and "disagrees with the bank" in result.stderr and "edited.jsonl:1" in result.stderr
    table = run("report", str(edited), "--bank", str(tiny_path), "--lang", "en").stdout
    assert "0/4" in table and "4/4" not in table and "record disagrees with the bank" in table
    honest = json.loads(run("report", str(record), "--format", "json", "--bank", str(tiny_path)).stdout)
    assert honest["flagged"] == [] and honest["students"][0]["flags"] == []


def test_chosen_text_wins_and_unknown_questions_are_flagged(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    attempt(tiny_path, tiny, record, "lee", {"t-one": 2, "t-multi": [1, 3], "t-ko-only": 3, "t-fixed": 1})  # 4/4

    def tamper(line: dict) -> None:
        line["results"][0]["chosen"] = 4  # a number edited by hand: the text still says '일'
        line["results"].append({"id": "t-bonus", "chosen": 1, "correct": True})

    data = json.loads(run("report", str(edit(record, tamper)), "--format", "json", "--bank", str(tiny_path)).stdout)
    assert data["students"][0]["score"] == 4 and data["students"][0]["max_score"] == 4
    assert any("t-bonus" in f for f in data["students"][0]["flags"])

    def swap_text(line: dict) -> None:
        line["results"][0]["chosen_text"] = ["영"]  # the chosen text is what counts

    data = json.loads(run("report", str(edit(record, swap_text)), "--format", "json", "--bank", str(tiny_path)).stdout)
    assert data["students"][0]["score"] == 3
    assert "question 't-one' says correct=true, the bank says false" in data["students"][0]["flags"]


def test_records_of_quizzes_not_in_the_bank_are_skipped(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    attempt(tiny_path, tiny, record, "kim", {"t-one": 2})
    records, problems = read_records([record])
    report = build_report(records, problems, bank={})
    assert report.students == [] and "not in the bank" in str(report.problems[0])


def test_retry_records_never_count(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    attempt(tiny_path, tiny, record, "kim", {"t-one": 1, "t-multi": [1, 3], "t-ko-only": 3, "t-fixed": 1})  # 3/4
    retry = json.loads(record.read_text(encoding="utf-8"))
    retry.update(mode="retry", results=[{"id": "t-one", "chosen": 2, "chosen_text": ["일"], "correct": True}], score=1, max_score=1)
    with record.open("a", encoding="utf-8") as f:
        f.write(json.dumps(retry, ensure_ascii=False) + "\n")
    data = json.loads(run("report", str(record), "--format", "json", "--bank", str(tiny_path)).stdout)
    assert [(s["score"], s["attempts"], s["flags"]) for s in data["students"]] == [(3, 1, [])]
