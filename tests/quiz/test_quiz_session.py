"""QuizSession: seeded shuffling, answering in file or shown order, key parsing, scoring."""

from __future__ import annotations

import pytest

from torchdojo.errors import QuizError
from torchdojo.quiz import InvalidKey, QuizSession, parse_key, shuffled_order


def test_shuffle_is_reproducible_and_seed_dependent(bank) -> None:
    quiz = bank[0]
    a = QuizSession(quiz, seed=123)
    b = QuizSession(quiz, seed=123)
    assert [s.order for s in a.questions] == [s.order for s in b.questions]
    orders = {tuple(s.order for s in QuizSession(quiz, seed=seed).questions) for seed in range(10)}
    assert len(orders) > 1  # different seeds give different orders
    for s in a.questions:
        assert sorted(s.order) == list(range(1, len(s.question.choices) + 1))


def test_default_seed_is_drawn_and_replayable(tiny) -> None:
    session = QuizSession(tiny)
    assert isinstance(session.seed, int)
    replay = QuizSession(tiny, seed=session.seed)
    assert [s.order for s in session.questions] == [s.order for s in replay.questions]


def test_no_shuffle_keeps_file_order_and_drops_seed(tiny) -> None:
    session = QuizSession(tiny, seed=7, shuffle=False)
    assert session.seed is None
    assert all(s.order == tuple(range(1, len(s.question.choices) + 1)) for s in session.questions)


def test_question_with_shuffle_false_is_never_shuffled(tiny) -> None:
    fixed = tiny.question("t-fixed")
    assert all(shuffled_order(fixed, seed, tiny.id) == (1, 2) for seed in range(20))


def test_answer_key_follows_the_shuffle(tiny) -> None:
    for seed in range(20):
        session = QuizSession(tiny, seed=seed)
        for shown in session.questions:
            right_texts = {shown.question.choices[n - 1] for n in shown.question.answer_set}
            shown_texts = {shown.choices[n - 1] for n in shown.answer_shown}
            assert right_texts == shown_texts
            # answering the shown key is right, in every seed
            assert session.answer_shown(shown.id, list(shown.answer_shown))


def test_shown_and_file_order_answers_agree(tiny) -> None:
    session = QuizSession(tiny, seed=99)
    shown = session.shown("t-one")
    for shown_number in range(1, shown.n_choices + 1):
        file_number = shown.to_file(shown_number)
        assert shown.to_shown(file_number) == shown_number
        assert session.answer_shown("t-one", shown_number) == session.answer_file("t-one", file_number)
        assert session.answers["t-one"] == (file_number,)  # stored in file order


def test_multi_select_needs_the_exact_set(tiny) -> None:
    session = QuizSession(tiny, shuffle=False)
    assert session.answer_file("t-multi", [3, 1])
    assert not session.answer_file("t-multi", [1])
    assert not session.answer_file("t-multi", [1, 3, 4])
    assert session.result().results[1].chosen == [1, 3, 4]


def test_single_answer_question_rejects_several(tiny) -> None:
    session = QuizSession(tiny, shuffle=False)
    with pytest.raises(QuizError, match="one answer"):
        session.answer_file("t-one", [1, 2])
    with pytest.raises(QuizError, match="not in 1..4"):
        session.answer_file("t-one", 5)
    with pytest.raises(QuizError, match="no question"):
        session.answer_file("nope", 1)


@pytest.mark.parametrize(
    ("typed", "n", "multi", "expected"),
    [("2", 4, False, (2,)), (" 4 ", 4, False, (4,)), ("1,3", 4, True, (1, 3)), ("1 3", 4, True, (1, 3)), ("3, 1", 4, True, (3, 1)), ("2", 4, True, (2,))],
)
def test_parse_key_accepts(typed: str, n: int, multi: bool, expected: tuple[int, ...]) -> None:
    assert parse_key(typed, n, multi) == expected


@pytest.mark.parametrize(
    ("typed", "multi", "code"),
    [("", False, "empty"), ("   ", True, "empty"), ("a", False, "not_a_number"), ("1.5", False, "not_a_number"), ("-1", False, "not_a_number"),
     ("9", False, "out_of_range"), ("0", False, "out_of_range"), ("1,3", False, "one_only"), ("1,1", True, "repeated"), ("1,x", True, "not_a_number")],
)
def test_parse_key_rejects(typed: str, multi: bool, code: str) -> None:
    with pytest.raises(InvalidKey) as info:
        parse_key(typed, 4, multi)
    assert info.value.code == code
    assert info.value.text.ko and info.value.text.en and info.value.text.ko != info.value.text.en
    assert "1-4" in info.value.text.en or code == "repeated"


def test_score_counts_correct_questions_from_the_keys(tiny) -> None:
    session = QuizSession(tiny, seed=3, student="kim", lang="en")
    plan = {"t-one": 2, "t-multi": [1, 3], "t-ko-only": 1, "t-fixed": 1}  # third is wrong
    for qid, value in plan.items():
        session.answer_file(qid, value)
    expected = sum(
        set(v if isinstance(v, list) else [v]) == set(tiny.question(q).answer_set) for q, v in plan.items()
    )
    result = session.result()
    assert result.score == expected == 3
    data = result.to_dict()
    assert data["quiz"] == "tiny" and data["student"] == "kim" and data["lang"] == "en" and data["seed"] == 3
    assert data["max_score"] == 4 and data["complete"] is True and data["mode"] == "full"
    assert data["results"][1] == {"id": "t-multi", "chosen": [1, 3], "chosen_text": ["이", "사"], "correct": True}
    assert data["results"][2] == {"id": "t-ko-only", "chosen": 1, "chosen_text": ["가"], "correct": False}


def test_partial_attempt(tiny) -> None:
    session = QuizSession(tiny, seed=1)
    session.answer_file("t-one", 2)
    result = session.result()
    assert not result.complete and result.answered == 1 and result.score == 1 and result.max_score == 4
    assert [r.chosen for r in result.results] == [2, None, None, None]


def test_apply_answer_sheet(tiny) -> None:
    session = QuizSession(tiny, seed=5)
    shown = {s.id: s for s in session.questions}
    sheet = {"seed": 5, "answers": {"t-one": shown["t-one"].to_shown(2), "t-multi": [shown["t-multi"].to_shown(3), shown["t-multi"].to_shown(1)], "t-ko-only": None}}
    missing = session.apply_answer_sheet(sheet)
    assert missing == ["t-ko-only", "t-fixed"]
    assert session.score == 2
    texts = QuizSession(tiny, seed=6)
    assert texts.apply_answer_sheet({"t-one": "  ONE ", "t-fixed": "예"}) == ["t-multi", "t-ko-only"]
    assert texts.score == 2
    with pytest.raises(QuizError, match="unknown question id"):
        QuizSession(tiny).apply_answer_sheet({"zzz": 1})
    file_order = QuizSession(tiny, seed=6)  # tiny is too small to be called biased: file order
    file_order.apply_answer_sheet({"t-one": 2, "t-multi": [1, 3]})
    assert file_order.score == 2
    assert QuizSession(tiny).apply_answer_sheet({"t-fixed": 1})  # shuffle: false keeps file order: a number is fine
    with pytest.raises(QuizError, match="not one of its choices"):
        QuizSession(tiny).apply_answer_sheet({"t-one": "eleven"})
    with pytest.raises(QuizError, match="mapping"):
        QuizSession(tiny).apply_answer_sheet([1, 2])


def test_retry_subset_and_restore(tiny) -> None:
    session = QuizSession(tiny, seed=3, only=("t-fixed", "t-one"))
    assert [s.id for s in session.questions] == ["t-one", "t-fixed"] and session.mode == "retry"
    assert session.result().mode == "retry" and session.result().max_score == 2
    with pytest.raises(QuizError, match="no question"):
        QuizSession(tiny, only=("nope",))
    resumed = QuizSession(tiny, seed=3)
    resumed.restore({"t-one": [2], "gone": [1], "t-multi": [9]})  # unknown ids and bad numbers are dropped
    assert resumed.answers == {"t-one": (2,)}
