"""The pydantic schema and `check_file` problem reports (file, line, question id, field)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from torchdojo.errors import QuizError, TorchdojoError
from torchdojo.quiz import Problem, Quiz, check_file, check_paths, load_quiz
from torchdojo.quiz.model import LangText

GOOD_QUESTION = """\
  - id: q1
    prompt: {ko: "하나?", en: "One?"}
    choices:
      - {ko: "일", en: "one"}
      - {ko: "이", en: "two"}
    answer: 1
    explanation: {ko: "일", en: "one"}
"""


def write(tmp_path: Path, body: str, name: str = "quiz.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, body: str, **kw) -> list[Problem]:
    quiz, problems = check_file(write(tmp_path, body), **kw)
    assert quiz is None or not problems or all("duplicate key" in p.message for p in problems)
    return problems


def header(title: str = '{ko: "퀴즈", en: "Quiz"}') -> str:
    return f"id: demo\ntitle: {title}\nquestions:\n"


def test_valid_file_loads(tmp_path: Path) -> None:
    quiz = load_quiz(write(tmp_path, header() + GOOD_QUESTION))
    assert isinstance(quiz, Quiz)
    assert quiz.id == "demo" and quiz.questions[0].answer == 1 and not quiz.questions[0].multi
    assert quiz.source == tmp_path / "quiz.yaml"


def test_answer_beyond_choices(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, header() + GOOD_QUESTION.replace("answer: 1", "answer: 3"))
    assert len(problems) == 1
    p = problems[0]
    assert (p.question, p.field, p.line) == ("q1", "answer", 9)
    assert "beyond the choices" in p.message and "2" in p.message
    assert str(p).startswith(f"{tmp_path / 'quiz.yaml'}:9: question 'q1': field 'answer':")


def test_answer_zero_is_out_of_range_because_1_based(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, header() + GOOD_QUESTION.replace("answer: 1", "answer: 0"))
    assert [p.field for p in problems] == ["answer"] and "1-based" in problems[0].message


def test_multi_answer_out_of_range_and_repeats(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, header() + GOOD_QUESTION.replace("answer: 1", "answer: [1, 5]"))
    assert [p.field for p in problems] == ["answer"] and "5" in problems[0].message
    problems = problems_of(tmp_path, header() + GOOD_QUESTION.replace("answer: 1", "answer: [2, 2]"))
    assert "repeats" in problems[0].message


def test_answer_of_wrong_type(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, header() + GOOD_QUESTION.replace("answer: 1", 'answer: "1"'))
    assert len(problems) == 1  # one message, not one per member of the int | list union
    assert problems[0].field == "answer" and "choice number" in problems[0].message


def test_missing_english_is_reported_strictly_but_loads_leniently(tmp_path: Path) -> None:
    body = header() + GOOD_QUESTION.replace('explanation: {ko: "일", en: "one"}', 'explanation: {ko: "일"}')
    problems = problems_of(tmp_path, body)
    assert [(p.question, p.field) for p in problems] == [("q1", "explanation")]
    assert "'en'" in problems[0].message
    quiz = load_quiz(tmp_path / "quiz.yaml")  # a run falls back to Korean
    assert quiz.questions[0].explanation.pick("en") == ("일", True)


def test_missing_language_in_a_choice_names_the_choice(tmp_path: Path) -> None:
    body = header() + GOOD_QUESTION.replace('- {ko: "이", en: "two"}', '- {ko: "이"}')
    problems = problems_of(tmp_path, body)
    assert [(p.question, p.field, p.line) for p in problems] == [("q1", "choices[2]", 8)]


def test_empty_text_is_an_error_even_leniently(tmp_path: Path) -> None:
    body = header() + GOOD_QUESTION.replace('prompt: {ko: "하나?", en: "One?"}', 'prompt: {ko: "", en: " "}')
    problems = problems_of(tmp_path, body, require_both=False)
    assert [(p.field, "empty" in p.message) for p in problems] == [("prompt", True)]


def test_duplicate_question_ids(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, header() + GOOD_QUESTION + GOOD_QUESTION)
    assert len(problems) == 1
    assert "duplicate question id 'q1'" in problems[0].message


def test_duplicate_ids_reported_next_to_other_errors(tmp_path: Path) -> None:
    second = GOOD_QUESTION.replace("answer: 1", "answer: 9")
    problems = problems_of(tmp_path, header() + GOOD_QUESTION + second)
    messages = [p.message for p in problems]
    assert any("duplicate question id" in m for m in messages)
    assert any("beyond the choices" in m for m in messages)


def test_duplicate_choices(tmp_path: Path) -> None:
    body = header() + GOOD_QUESTION.replace('- {ko: "이", en: "two"}', '- {ko: "일", en: "two"}')
    problems = problems_of(tmp_path, body)
    assert [(p.question, p.field) for p in problems] == [("q1", "choices")]
    assert "choice 2 repeats choice 1" in problems[0].message


def test_unknown_field_and_missing_field(tmp_path: Path) -> None:
    body = header() + GOOD_QUESTION.replace("    answer: 1\n", "    anser: 1\n")
    problems = problems_of(tmp_path, body)
    by_field = {p.field: p for p in problems}
    assert "unknown field 'anser'" in by_field["anser"].message
    assert "missing required field 'answer'" in by_field["answer"].message
    assert by_field["anser"].line == 9 and by_field["answer"].line == 4


def test_unquoted_yes_gets_a_quoting_hint(tmp_path: Path) -> None:
    body = header() + GOOD_QUESTION.replace('{ko: "일", en: "one"}\n      - {ko: "이"', '{ko: yes, en: "one"}\n      - {ko: "이"')
    problems = problems_of(tmp_path, body)
    assert [(p.field, "quotes" in p.message) for p in problems] == [("choices[1].ko", True)]


def test_bad_ids(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, header() + GOOD_QUESTION.replace("id: q1", "id: 'q 1'"))
    assert problems[0].question == "q 1" and problems[0].field == "id"


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, 'id: x\ntitle: {ko: "a", en: "b"\nquestions: []\n')
    assert len(problems) == 1 and problems[0].line == 3 and "YAML syntax error" in problems[0].message


def test_duplicate_yaml_key_is_reported(tmp_path: Path) -> None:
    body = header() + GOOD_QUESTION.replace("    answer: 1\n", "    answer: 1\n    answer: 2\n")
    quiz, problems = check_file(write(tmp_path, body))
    assert [(p.question, p.field, p.line) for p in problems] == [("q1", "answer", 10)]
    with pytest.raises(QuizError):
        load_quiz(tmp_path / "quiz.yaml")


def test_empty_file_and_not_a_mapping(tmp_path: Path) -> None:
    assert "empty" in problems_of(tmp_path, "")[0].message
    assert "mapping" in problems_of(tmp_path, "- 1\n- 2\n")[0].message


def test_no_questions(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, header() .replace("questions:\n", "questions: []\n"))
    assert problems[0].field == "questions"


def test_load_quiz_raises_quiz_error_listing_every_problem(tmp_path: Path) -> None:
    body = header('{ko: "퀴즈"}') + GOOD_QUESTION.replace("answer: 1", "answer: 4")
    path = write(tmp_path, body)
    with pytest.raises(QuizError) as info:
        load_quiz(path, require_both=True)
    assert isinstance(info.value, TorchdojoError)
    text = str(info.value)
    assert "2 problems" in text and "field 'title'" in text and "field 'answer'" in text


def test_check_paths_folder_and_duplicate_quiz_ids(tmp_path: Path) -> None:
    write(tmp_path, header() + GOOD_QUESTION, "a.yaml")
    write(tmp_path, header() + GOOD_QUESTION, "b.yml")
    (tmp_path / "notes.txt").write_text("not a quiz")
    report = check_paths([tmp_path])
    assert [p.name for p in report.files] == ["a.yaml", "b.yml"]
    assert [p.field for p in report.problems] == ["id"] and "duplicate quiz id 'demo'" in report.problems[0].message
    assert not report.ok


def test_langtext_helpers() -> None:
    text = LangText(ko="가", en="a")
    assert text.pick("en") == ("a", False)
    assert LangText(ko="가").pick("en") == ("가", True)
    assert LangText(en="a").text("ko") == "a"
