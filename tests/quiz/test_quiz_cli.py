"""`torchdojo quiz ...` through Click's CliRunner (the group is invoked directly)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from torchdojo.cli_quiz import quiz
from torchdojo.quiz import QuizSession

BANK = Path(__file__).resolve().parents[2] / "quizzes"


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(quiz, list(args), input=input, env=env, catch_exceptions=False)


def correct(quiz_obj, plan: dict[str, Any]) -> int:
    """The score the keys give to a plan of file-order answers."""
    total = 0
    for qid, value in plan.items():
        chosen = set(value if isinstance(value, list) else [value])
        total += chosen == set(quiz_obj.question(qid).answer_set)
    return total


def write_answers(path: Path, plan: dict[str, Any], fmt: str = "yaml") -> Path:
    path.write_text(json.dumps(plan) if fmt == "json" else yaml.safe_dump(plan), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- list


def test_list_table() -> None:
    result = run("list", "--lang", "en")
    assert result.exit_code == 0
    assert "tensors" in result.stdout and "Tensor basics" in result.stdout
    assert "\x1b[" not in result.stdout  # plain text when not a terminal
    ko = run("list")  # TORCHDOJO_LANG=ko from conftest
    assert "텐서 기초" in ko.stdout


def test_list_json_matches_the_bank(bank) -> None:
    result = run("list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert [d["id"] for d in data] == [q.id for q in bank]
    assert [d["questions"] for d in data] == [len(q.questions) for q in bank]
    assert data[0]["title"] == {"ko": "텐서 기초", "en": "Tensor basics"}


def test_list_warns_about_broken_files(tmp_path: Path, tiny_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("id: [\n", encoding="utf-8")
    result = run("list", "--json", env={"TORCHDOJO_QUIZZES": str(tmp_path)})
    assert result.exit_code == 0
    assert [d["id"] for d in json.loads(result.stdout)] == ["tiny"]
    assert "broken.yaml" in result.stderr


# --------------------------------------------------------------------------- run --answers


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_run_answers_json(tmp_path: Path, tiny_path: Path, tiny, fmt: str) -> None:
    plan = {"t-one": 2, "t-multi": [3, 1], "t-ko-only": 2, "t-fixed": 1}
    answers = write_answers(tmp_path / f"answers.{fmt}", plan, fmt)
    result = run("run", str(tiny_path), "--answers", str(answers), "--json", "--seed", "11", "--student", "lee", "--lang", "en")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["score"] == correct(tiny, plan) == 3
    assert data["max_score"] == 4 and data["quiz"] == "tiny" and data["student"] == "lee"
    assert data["lang"] == "en" and data["seed"] == 11
    assert [r["id"] for r in data["results"]] == ["t-one", "t-multi", "t-ko-only", "t-fixed"]
    assert [r["chosen"] for r in data["results"]] == [2, [1, 3], 2, 1]  # file order, lists sorted
    assert [r["answer"] for r in data["results"]] == [2, [1, 3], 3, 1]
    assert [r["correct"] for r in data["results"]] == [True, True, False, True]


def test_answers_are_in_file_order_whatever_the_seed(tmp_path: Path, tiny_path: Path, tiny) -> None:
    plan = {"t-one": 2, "t-multi": [1, 3], "t-ko-only": 3, "t-fixed": 1}
    answers = write_answers(tmp_path / "a.yaml", plan)
    scores = {json.loads(run("run", str(tiny_path), "--answers", str(answers), "--json", "--seed", str(s)).stdout)["score"] for s in range(5)}
    assert scores == {correct(tiny, plan)} == {4}


def test_run_answers_on_the_bank_with_all_keys(tmp_path: Path, bank) -> None:
    for quiz_obj in bank:
        plan = {q.id: q.answer for q in quiz_obj.questions}
        wrong = quiz_obj.questions[0]
        plan[wrong.id] = next(n for n in range(1, len(wrong.choices) + 1) if n not in wrong.answer_set)
        answers = write_answers(tmp_path / f"{quiz_obj.id}.yaml", plan)
        data = json.loads(run("run", quiz_obj.id, "--answers", str(answers), "--json").stdout)
        assert data["score"] == correct(quiz_obj, plan) == len(quiz_obj.questions) - 1


def test_run_answers_text_report(tmp_path: Path, tiny_path: Path) -> None:
    answers = write_answers(tmp_path / "a.yaml", {"t-one": 1, "t-multi": [1, 3]})
    result = run("run", str(tiny_path), "--answers", str(answers), "--lang", "en")
    assert result.exit_code == 0
    out = result.stdout
    assert "Score: 1/4 (25%)" in out
    assert "Partial result: answered 2 of 4" in out
    assert "It is one" in out and "Why:" in out  # explanations in the report
    assert "t-ko-only, t-fixed" in result.stderr  # unanswered ids are named


def test_run_with_missing_translation_falls_back_with_a_note(tmp_path: Path, tiny_path: Path) -> None:
    answers = write_answers(tmp_path / "a.yaml", {"t-ko-only": 3})
    result = run("run", str(tiny_path), "--answers", str(answers), "--lang", "en")
    assert "한국어로만 된 질문" in result.stdout
    assert "no English version; showing Korean" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("zzz: 1\n", "unknown question id"),
        ("t-one: 7\n", "not in 1..4"),
        ("t-one: [1, 2]\n", "one answer"),
        ("t-one: two\n", "expected a choice number"),
        ("- 1\n- 2\n", "mapping"),
        ("t-one: [1\n", "YAML syntax error"),
    ],
)
def test_bad_answers_file_is_a_clear_error(tmp_path: Path, tiny_path: Path, content: str, message: str) -> None:
    answers = tmp_path / "bad.yaml"
    answers.write_text(content, encoding="utf-8")
    result = run("run", str(tiny_path), "--answers", str(answers))
    assert result.exit_code == 2
    assert message in result.stderr and "bad.yaml" in result.stderr


def test_unknown_quiz_is_an_error() -> None:
    result = run("run", "no-such-quiz")
    assert result.exit_code == 2
    assert "no quiz with id 'no-such-quiz'" in result.stderr and "tensors" in result.stderr


def test_invalid_quiz_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: {ko: a, en: b}\nquestions:\n  - id: q\n    prompt: {ko: a}\n", encoding="utf-8")
    result = run("run", str(bad))
    assert result.exit_code == 2
    assert "bad.yaml:4: question 'q': field 'choices'" in result.stderr


# --------------------------------------------------------------------------- run, interactive (stdin not a terminal)


def shown_keys(quiz_obj, seed: int) -> dict[str, tuple[int, ...]]:
    session = QuizSession(quiz_obj, seed=seed)
    return {s.id: s.answer_shown for s in session.questions}


def test_interactive_with_bad_keys_then_answers(tmp_path: Path, tiny_path: Path, tiny) -> None:
    seed = 2024
    keys = shown_keys(tiny, seed)
    session = QuizSession(tiny, seed=seed)
    wrong = next(n for n in range(1, 4) if (n,) != keys["t-ko-only"])
    typed = [
        "a", "9", "", str(keys["t-one"][0]),  # bad keys first: never counted
        " ".join(map(str, keys["t-multi"])),  # multi-select, space separated
        "1,2", str(wrong),  # several for a one-answer question: rejected; then a wrong choice
        str(keys["t-fixed"][0]),
    ]
    record = tmp_path / "rec.jsonl"
    result = run("run", str(tiny_path), "--seed", str(seed), "--lang", "en", "--record", str(record), input="\n".join(typed) + "\n")
    out = result.stdout
    assert result.exit_code == 0, out
    assert out.count("Answer [1-4]: ") >= 4 and "Answer (e.g. 1,3) [1-4]: " in out and "Answer [1-3]: " in out
    assert "'a' is not a choice number" in out
    assert "There is no choice 9" in out
    assert "No answer given" in out
    assert "This question has one answer" in out
    assert f"--seed {seed}" in out  # printed so it can be replayed
    # choices are shown in the session's shuffled order
    first = [line.strip() for line in out.splitlines() if re.match(r"^  \d\) ", line)][:4]
    assert first == [f"{n}) {c.en}" for n, c in enumerate(session.questions[0].choices, start=1)]
    assert out.count("✓ Correct!") == 3 and out.count("✗ Wrong.") == 1
    assert "Score: 3/4 (75%)" in out
    line = json.loads(record.read_text(encoding="utf-8"))
    assert line["score"] == 3 and line["complete"] is True and line["timestamp"].endswith("Z")
    assert line["results"][2]["correct"] is False


def test_interactive_eof_saves_partial_record(tmp_path: Path, tiny_path: Path, tiny) -> None:
    keys = shown_keys(tiny, 5)
    record = tmp_path / "rec.jsonl"
    result = run("run", "--seed", "5", str(tiny_path), "--record", str(record), "--lang", "ko", input=f"{keys['t-one'][0]}\n")
    assert result.exit_code == 1
    assert "입력이 끝났습니다" in result.stdout
    assert "점수: 1/4" in result.stdout and "부분 결과" in result.stdout
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["complete"] is False and data["score"] == 1
    assert [r["chosen"] for r in data["results"]][1:] == [None, None, None]


def test_interactive_json_puts_prompts_on_stderr(tiny_path: Path, tiny) -> None:
    keys = shown_keys(tiny, 8)
    typed = [str(keys["t-one"][0]), ",".join(map(str, keys["t-multi"])), str(keys["t-ko-only"][0]), str(keys["t-fixed"][0])]
    result = run("run", str(tiny_path), "--seed", "8", "--json", input="\n".join(typed) + "\n")
    assert result.exit_code == 0
    data = json.loads(result.stdout)  # stdout is only the JSON object
    assert data["score"] == 4 == data["max_score"]
    assert "[1/4]" in result.stderr and "[1-4]" in result.stderr


def test_exam_mode_explains_only_at_the_end(tiny_path: Path, tiny) -> None:
    keys = shown_keys(tiny, 1)
    typed = [str(keys["t-one"][0]), ",".join(map(str, keys["t-multi"])), str(keys["t-ko-only"][0]), str(keys["t-fixed"][0])]
    result = run("run", str(tiny_path), "--seed", "1", "--exam", "--lang", "en", input="\n".join(typed) + "\n")
    out = result.stdout
    report_at = out.index("Results: Tiny quiz")
    assert "Correct!" not in out and "Why:" not in out[:report_at]
    assert out[report_at:].count("Why:") == 4
    assert "Score: 4/4 (100%)" in out


def test_no_shuffle_shows_file_order(tiny_path: Path, tiny) -> None:
    result = run("run", str(tiny_path), "--no-shuffle", "--lang", "en", input="\n")
    lines = [line.strip() for line in result.stdout.splitlines() if re.match(r"^  \d\) ", line)]
    assert lines == [f"{n}) {c.en}" for n, c in enumerate(tiny.questions[0].choices, start=1)]
    assert "Choices are not shuffled" in result.stdout


def test_language_from_env_when_no_option(tiny_path: Path) -> None:
    en = run("run", str(tiny_path), "--seed", "1", input="", env={"TORCHDOJO_LANG": "en"})
    ko = run("run", str(tiny_path), "--seed", "1", input="", env={"TORCHDOJO_LANG": "ko"})
    assert "Which is one?" in en.stdout and "하나는?" in ko.stdout


# --------------------------------------------------------------------------- validate


def test_validate_bank_ok() -> None:
    result = run("validate", str(BANK))
    assert result.exit_code == 0
    assert re.search(r"OK: \d+ file\(s\), \d+ quiz\(zes\), \d+ question\(s\), no problems", result.stdout)
    default = run("validate")  # the bank is the default
    assert default.exit_code == 0 and default.stdout == result.stdout


def test_validate_reports_each_problem(tmp_path: Path, tiny_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\ntitle: {ko: 나쁨, en: Bad}\nquestions:\n"
        "  - id: q1\n    prompt: {ko: 가, en: a}\n    choices: [{ko: 가, en: a}, {ko: 나}]\n    answer: 3\n    explanation: {ko: 가, en: a}\n",
        encoding="utf-8",
    )
    syntax = tmp_path / "syntax.yaml"
    syntax.write_text("id: x\nquestions: [\n", encoding="utf-8")
    result = run("validate", str(bad), str(syntax), str(tiny_path))
    assert result.exit_code == 1
    out = result.stdout
    assert f"{bad}:7: question 'q1': field 'answer': answer 3 is beyond the choices" in out
    assert f"{bad}:6: question 'q1': field 'choices[2]': missing 'en' text" in out
    assert re.search(rf"{re.escape(str(syntax))}:\d+: YAML syntax error", out)
    assert "question 't-ko-only': field 'prompt': missing 'en' text" in out  # strict about translations
    assert "4 problem(s) in 3 of 3 file(s)" in out


def test_validate_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 2


# --------------------------------------------------------------------------- records and report


def take(tiny_path: Path, tmp_path: Path, record: Path, student: str, plan: dict[str, Any], seed: int = 0) -> None:
    answers = write_answers(tmp_path / f"{student}-{seed}.yaml", plan)
    result = run("run", str(tiny_path), "--answers", str(answers), "--student", student, "--record", str(record), "--json", "--seed", str(seed))
    assert result.exit_code == 0


def test_report_rolls_up_latest_complete_attempts(tmp_path: Path, tiny_path: Path, tiny) -> None:
    rec_a, rec_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    keys = {q.id: q.answer for q in tiny.questions}
    plans = {
        "kim": {**keys, "t-one": 3},  # 3/4, wrong choice 3 on t-one
        "lee": {**keys, "t-one": 3, "t-multi": [1]},  # 2/4
        "park": dict(keys),  # 4/4
    }
    take(tiny_path, tmp_path, rec_a, "kim", {**keys, "t-one": 1, "t-multi": [2]}, seed=1)  # older, superseded
    take(tiny_path, tmp_path, rec_a, "kim", plans["kim"], seed=2)
    take(tiny_path, tmp_path, rec_b, "lee", plans["lee"])
    take(tiny_path, tmp_path, rec_b, "park", plans["park"])
    take(tiny_path, tmp_path, rec_b, "park", {"t-one": 1}, seed=3)  # later but incomplete: ignored
    take(tiny_path, tmp_path, rec_b, "choi", {"t-one": 2}, seed=4)  # incomplete only
    with rec_b.open("a", encoding="utf-8") as f:
        f.write("{not json\n")
        f.write(json.dumps({"quiz": "tiny", "student": "x"}) + "\n")

    result = run("report", str(rec_a), str(rec_b), "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    scores = {s["student"]: s["score"] for s in data["students"]}
    assert scores == {name: correct(tiny, plan) for name, plan in plans.items()} == {"kim": 3, "lee": 2, "park": 4}
    assert {s["student"]: s["attempts"] for s in data["students"]} == {"kim": 2, "lee": 1, "park": 2}
    assert data["incomplete_only"] == [{"student": "choi", "quiz": "tiny"}]
    stats = {q["question"]: q for q in data["questions"]}
    assert list(stats) == ["t-one", "t-multi", "t-ko-only", "t-fixed"]
    assert stats["t-one"]["answered"] == 3 and stats["t-one"]["correct"] == 1
    assert stats["t-one"]["share_correct"] == pytest.approx(1 / 3, abs=1e-4)
    assert stats["t-one"]["top_wrong"] == 3 and stats["t-one"]["top_wrong_count"] == 2
    assert stats["t-multi"]["top_wrong"] == [1] and stats["t-fixed"]["top_wrong"] is None
    # malformed lines: reported with file:line, skipped, the rest counted
    assert f"{rec_b}:5: not JSON" in result.stderr
    assert f"{rec_b}:6: field 'score'" in result.stderr
    assert len(data["problems"]) == 2
    only_other = json.loads(run("report", str(rec_a), "--format", "json", "--quiz", "other").stdout)
    assert only_other["students"] == [] and only_other["records"] == 0


def test_report_csv_and_table(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    keys = {q.id: q.answer for q in tiny.questions}
    take(tiny_path, tmp_path, record, "kim", keys)
    take(tiny_path, tmp_path, record, "lee", {**keys, "t-fixed": 2})
    rows = list(csv.DictReader(io.StringIO(run("report", str(record), "--format", "csv").stdout)))
    students = {r["student"]: r for r in rows if r["section"] == "student"}
    assert {k: int(v["score"]) for k, v in students.items()} == {"kim": 4, "lee": 3}
    fixed = next(r for r in rows if r["section"] == "question" and r["question"] == "t-fixed")
    assert fixed["top_wrong"] == "2" and float(fixed["share_correct"]) == 0.5
    table = run("report", str(record), "--lang", "en", env={"TORCHDOJO_QUIZZES": str(tiny_path.parent)}).stdout
    assert "latest complete attempt" in table
    assert re.search(r"lee\s+tiny\s+3/4\s+75", table)
    assert "2 (no)" in table  # the most chosen wrong choice, with its text from the bank
    help_text = run("report", "--help").stdout
    assert "LATEST COMPLETE attempt" in help_text


def test_report_missing_file_is_an_error(tmp_path: Path) -> None:
    result = run("report", str(tmp_path / "none.jsonl"))
    assert result.exit_code == 2 and "no such record file" in result.stderr


def test_record_lines_append(tmp_path: Path, tiny_path: Path) -> None:
    record = tmp_path / "deep" / "r.jsonl"
    for seed in range(3):
        take(tiny_path, tmp_path, record, "kim", {"t-one": 2}, seed=seed)
    lines = record.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for seed, line in enumerate(lines):
        data = json.loads(line)
        assert set(data) >= {"quiz", "student", "score", "max_score", "lang", "seed", "results", "timestamp", "complete"}
        assert data["seed"] == seed and data["complete"] is False


def test_quiz_cli_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = "import sys, torchdojo.cli_quiz, torchdojo.quiz; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0
