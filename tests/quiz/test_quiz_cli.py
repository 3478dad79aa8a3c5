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


def as_sheet(quiz_obj, plan: dict[str, Any], seed: int) -> dict[str, Any]:
    """A file-order plan written the way a student fills in the sheet printed with `seed`."""
    session = QuizSession(quiz_obj, seed=seed)
    answers: dict[str, Any] = {}
    for qid, value in plan.items():
        shown = session.shown(qid)
        if value is None:
            answers[qid] = None
        elif isinstance(value, list):
            answers[qid] = sorted(shown.to_shown(n) for n in value)
        else:
            answers[qid] = shown.to_shown(value)
    return {"seed": seed, "answers": answers}


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
    answers = write_answers(tmp_path / f"answers.{fmt}", as_sheet(tiny, plan, 11), fmt)
    result = run("run", str(tiny_path), "--answers", str(answers), "--json", "--student", "lee", "--lang", "en")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["score"] == correct(tiny, plan) == 3
    assert data["max_score"] == 4 and data["quiz"] == "tiny" and data["student"] == "lee"
    assert data["lang"] == "en" and data["seed"] == 11
    assert [r["id"] for r in data["results"]] == ["t-one", "t-multi", "t-ko-only", "t-fixed"]
    assert [r["chosen"] for r in data["results"]] == [2, [1, 3], 2, 1]  # file order, lists sorted
    assert [r["chosen_text"] for r in data["results"]] == [["일"], ["이", "사"], ["나"], ["예"]]
    assert [r["correct"] for r in data["results"]] == [True, True, False, True]
    assert all("answer" not in r for r in data["results"])  # no keys in the output


def test_sheet_numbers_follow_the_sheet_seed(tmp_path: Path, tiny_path: Path, tiny) -> None:
    plan = {"t-one": 2, "t-multi": [1, 3], "t-ko-only": 3, "t-fixed": 1}
    scores = set()
    for seed in range(5):
        answers = write_answers(tmp_path / f"a{seed}.yaml", as_sheet(tiny, plan, seed))
        scores.add(json.loads(run("run", str(tiny_path), "--answers", str(answers), "--json").stdout)["score"])
    assert scores == {correct(tiny, plan)} == {4}


def test_sheet_by_choice_text(tmp_path: Path, tiny_path: Path) -> None:
    answers = write_answers(tmp_path / "t.yaml", {"t-one": "one", "t-multi": ["사", "two"], "t-ko-only": "가"})
    data = json.loads(run("run", str(tiny_path), "--answers", str(answers), "--json").stdout)
    assert [r["correct"] for r in data["results"]] == [True, True, False, False]


def test_numbers_without_a_seed_are_file_order_only_in_a_balanced_file(tmp_path: Path, tiny_path: Path, bank) -> None:
    """The student bundle's sheets use the file's order: fine when it is balanced, refused when biased."""
    for quiz_obj in bank:  # every bank file is balanced, so its file order says nothing of the keys
        keys = {q.id: q.answer for q in quiz_obj.questions}
        answers = write_answers(tmp_path / f"{quiz_obj.id}-file.yaml", keys)
        data = json.loads(run("run", quiz_obj.id, "--answers", str(answers), "--json").stdout)
        assert data["score"] == data["max_score"]
        ones = write_answers(tmp_path / f"{quiz_obj.id}-ones.yaml", {q.id: 1 for q in quiz_obj.questions})
        data = json.loads(run("run", quiz_obj.id, "--answers", str(ones), "--json").stdout)
        assert data["score"] <= 3, quiz_obj.id  # "1" everywhere: about chance (8 questions: 2)
    lines = ["id: biased", "title: {ko: 치우침, en: Biased}", "questions:"]
    for i in range(8):
        lines += [f"  - id: b{i}", f"    prompt: {{ko: 질문 {i}, en: Q{i}}}",
                  "    choices: [{ko: 가, en: a}, {ko: 나, en: b}, {ko: 다, en: c}]", "    answer: 1",
                  "    explanation: {ko: 해설, en: Why}"]
    biased = tmp_path / "biased.yaml"
    biased.write_text("\n".join(lines) + "\n", encoding="utf-8")
    answers = write_answers(tmp_path / "n.yaml", {"b0": 1})
    result = run("run", str(biased), "--answers", str(answers), "--json")
    assert result.exit_code == 2 and "order is biased" in result.stderr and "quiz sheet" in result.stderr
    by_text = write_answers(tmp_path / "t.yaml", {"b0": "가"})
    assert json.loads(run("run", str(biased), "--answers", str(by_text), "--json").stdout)["score"] == 1
    clash = write_answers(tmp_path / "c.yaml", {"seed": 3, "answers": {"t-one": 2}})
    result = run("run", str(tiny_path), "--answers", str(clash), "--seed", "4")
    assert result.exit_code == 2 and "seed 3" in result.stderr


def test_sheet_command_prints_shuffled_choices_and_a_template(tmp_path: Path, tiny_path: Path, tiny) -> None:
    out = run("sheet", str(tiny_path), "--seed", "21", "--lang", "en").stdout
    session = QuizSession(tiny, seed=21)
    lines = [line.strip() for line in out.splitlines() if re.match(r"^  \d\) ", line)]
    assert lines[:4] == [f"{n}) {c.en}" for n, c in enumerate(session.questions[0].choices, start=1)]
    template = yaml.safe_load(out[out.index("quiz: tiny"):].split("\n\n")[0])
    assert template == {"quiz": "tiny", "seed": 21, "answers": {q.id: None for q in tiny.questions}}
    # filled in with this sheet's numbers, it is scored in this sheet's order
    template["answers"] = {s.id: list(s.answer_shown) if s.multi else s.answer_shown[0] for s in session.questions}
    filled = write_answers(tmp_path / "filled.yaml", template)
    assert json.loads(run("run", str(tiny_path), "--answers", str(filled), "--json").stdout)["score"] == 4
    # a student name gives each student a seed of their own
    assert run("sheet", str(tiny_path), "--student", "kim").stdout != run("sheet", str(tiny_path), "--student", "lee").stdout


def test_answering_one_everywhere_scores_about_chance(bank) -> None:
    """Issue 16: no presentation leaks the key by position (sheets and runs are shuffled per seed)."""
    for quiz_obj in bank:
        scores = []
        for seed in range(200):
            session = QuizSession(quiz_obj, seed=seed)
            for shown in session.questions:
                session.answer_shown(shown.id, [1])
            scores.append(session.score / session.result().max_score)
        mean = sum(scores) / len(scores)
        assert mean < 0.35, (quiz_obj.id, mean)  # chance is about 0.25 (multi-select: less)


def test_run_answers_on_the_bank_with_all_keys(tmp_path: Path, bank) -> None:
    for quiz_obj in bank:
        plan = {q.id: q.answer for q in quiz_obj.questions}
        wrong = quiz_obj.questions[0]
        plan[wrong.id] = next(n for n in range(1, len(wrong.choices) + 1) if n not in wrong.answer_set)
        answers = write_answers(tmp_path / f"{quiz_obj.id}.yaml", as_sheet(quiz_obj, plan, 77))
        data = json.loads(run("run", quiz_obj.id, "--answers", str(answers), "--json").stdout)
        assert data["score"] == correct(quiz_obj, plan) == len(quiz_obj.questions) - 1


def test_run_answers_text_report(tmp_path: Path, tiny_path: Path, tiny) -> None:
    answers = write_answers(tmp_path / "a.yaml", as_sheet(tiny, {"t-one": 1, "t-multi": [1, 3]}, 6))
    result = run("run", str(tiny_path), "--answers", str(answers), "--lang", "en")
    assert result.exit_code == 0
    out = result.stdout
    assert "Score: 1/4 (25%)" in out
    assert "Partial result: answered 2 of 4" in out
    assert "It is one" in out and "Why:" in out  # explanations in the report
    assert "t-ko-only, t-fixed" in result.stderr  # unanswered ids are named


def test_run_with_missing_translation_falls_back_with_a_note(tmp_path: Path, tiny_path: Path) -> None:
    answers = write_answers(tmp_path / "a.yaml", {"t-ko-only": "다"})
    result = run("run", str(tiny_path), "--answers", str(answers), "--lang", "en")
    assert "한국어로만 된 질문" in result.stdout
    assert "no English version; showing Korean" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("zzz: 1\n", "unknown question id"),
        ("seed: 1\nanswers: {t-one: 7}\n", "not in 1..4"),
        ("seed: 1\nanswers: {t-one: [1, 2]}\n", "one answer"),
        ("t-one: zwei\n", "is not one of its choices"),
        ("t-one: 1.5\n", "expected a choice number"),
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


def test_exam_mode_explains_only_at_the_end_and_keeps_the_table_in_view(tiny_path: Path, tiny) -> None:
    keys = shown_keys(tiny, 1)
    typed = [str(keys["t-one"][0]), ",".join(map(str, keys["t-multi"])), str(keys["t-ko-only"][0]), str(keys["t-fixed"][0])]
    result = run("run", str(tiny_path), "--seed", "1", "--exam", "--lang", "en", input="\n".join(typed) + "\n")
    out = result.stdout
    last_question = out.index("[4/4]")
    assert "Correct!" not in out and "Why:" not in out[:last_question]
    assert out.count("Why:") == 4
    # the explanations come first, then the table and the score: the last lines on the screen
    table_at = out.index("Results: Tiny quiz")
    assert out.rindex("Why:") < table_at
    tail = out[table_at:].splitlines()
    assert tail[-1].startswith("Score: 4/4 (100%)") and len(tail) <= 2 + 4 + 2


def test_score_table_shows_question_text_not_ids(tmp_path: Path, tiny_path: Path) -> None:
    result = run("run", str(tiny_path), "--seed", "2", "--lang", "en", input="1\n")
    table = result.stdout[result.stdout.index("Results: Tiny quiz"):]
    assert "Which is one? `x = torch.ones(1)`" in table  # a short prompt gets its first code line
    assert "Choose all even numbers" in table and "t-multi" not in table and "t-one" not in table


def test_no_shuffle_is_refused(tiny_path: Path) -> None:
    result = run("run", str(tiny_path), "--no-shuffle", input="\n")
    assert result.exit_code == 2 and "--seed" in result.stderr and "key away" in result.stderr


def test_resume_after_a_stop(tmp_path: Path, tiny_path: Path, tiny) -> None:
    keys = shown_keys(tiny, 9)
    record = tmp_path / "r.jsonl"
    first = run("run", str(tiny_path), "--seed", "9", "--lang", "en", "--record", str(record), input=f"{keys['t-one'][0]}\n")
    assert first.exit_code == 1 and "--resume" in first.stdout
    nothing = run("run", str(tiny_path), "--resume", "--student", "someone-else")
    assert nothing.exit_code == 2 and "no stopped attempt" in nothing.stderr
    rest = [",".join(map(str, keys["t-multi"])), str(keys["t-ko-only"][0]), str(keys["t-fixed"][0])]
    second = run("run", str(tiny_path), "--resume", "--lang", "en", "--record", str(record), input="\n".join(rest) + "\n")
    out = second.stdout
    assert second.exit_code == 0, out
    assert "Resuming the earlier attempt (1/4 answered, seed 9)" in out
    assert "[1/4]" not in out and "[2/4]" in out  # the answered question is not asked again
    assert "Score: 4/4 (100%)" in out
    lines = [json.loads(x) for x in record.read_text(encoding="utf-8").splitlines()]
    assert [(x["complete"], x["seed"]) for x in lines] == [(False, 9), (True, 9)]
    again = run("run", str(tiny_path), "--resume")  # done: nothing left to resume
    assert again.exit_code == 2


def test_retry_the_wrong_ones(tmp_path: Path, tiny_path: Path, tiny) -> None:
    none_yet = run("run", str(tiny_path), "--retry-wrong")
    assert none_yet.exit_code == 2 and "take it first" in none_yet.stderr
    keys = shown_keys(tiny, 4)
    wrong_one = next(n for n in range(1, 5) if (n,) != keys["t-one"])
    typed = [str(wrong_one), ",".join(map(str, keys["t-multi"])), str(keys["t-ko-only"][0]), str(keys["t-fixed"][0])]
    assert run("run", str(tiny_path), "--seed", "4", input="\n".join(typed) + "\n").exit_code == 0
    retry_keys = {s.id: s.answer_shown for s in QuizSession(tiny, seed=8, only=("t-one",)).questions}
    record = tmp_path / "retry.jsonl"
    result = run("run", str(tiny_path), "--retry-wrong", "--seed", "8", "--lang", "en", "--record", str(record), input=f"{retry_keys['t-one'][0]}\n")
    out = result.stdout
    assert result.exit_code == 0, out
    assert "Retrying the 1 question(s)" in out and "[1/1] Which is one?" in out and "Even" not in out
    assert "Score: 1/1" in out
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["mode"] == "retry" and [r["id"] for r in data["results"]] == ["t-one"]
    done = run("run", str(tiny_path), "--retry-wrong", "--lang", "en")
    assert done.exit_code == 0 and "Nothing to retry" in done.stdout


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
    from torchdojo.quiz import load_quiz

    answers = write_answers(tmp_path / f"{student}-{seed}.yaml", as_sheet(load_quiz(tiny_path), plan, seed))
    result = run("run", str(tiny_path), "--answers", str(answers), "--student", student, "--record", str(record), "--json")
    assert result.exit_code == 0, result.output


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

    result = run("report", str(rec_a), str(rec_b), "--format", "json", "--bank", str(tiny_path))
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
    assert f"{rec_b}:6: field 'results'" in result.stderr
    assert len(data["problems"]) == 2
    only_other = json.loads(run("report", str(rec_a), "--format", "json", "--quiz", "other", "--bank", str(tiny_path)).stdout)
    assert only_other["students"] == [] and only_other["records"] == 0


def test_report_csv_and_table(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    keys = {q.id: q.answer for q in tiny.questions}
    take(tiny_path, tmp_path, record, "kim", keys)
    take(tiny_path, tmp_path, record, "lee", {**keys, "t-fixed": 2})
    rows = list(csv.DictReader(io.StringIO(run("report", str(record), "--format", "csv", "--bank", str(tiny_path)).stdout)))
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


def test_report_csv_neutralises_formulas_in_names(tmp_path: Path, tiny_path: Path, tiny) -> None:
    record = tmp_path / "r.jsonl"
    take(tiny_path, tmp_path, record, "=1+2", {q.id: q.answer for q in tiny.questions})
    rows = list(csv.reader(io.StringIO(run("report", str(record), "--format", "csv", "--bank", str(tiny_path)).stdout)))
    names = [row[2] for row in rows[1:] if row and row[0] == "student"]
    assert names == ["'=1+2"]
