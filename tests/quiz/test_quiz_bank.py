"""The shipped quiz bank: valid, big enough, bilingual, and the seed questions word for word."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from torchdojo.errors import QuizError
from torchdojo.quiz import check_paths, find_quiz, quizzes_dir

BANK = Path(__file__).resolve().parents[2] / "quizzes"
SEEDS = Path("/work/shared/seeds")

# The seed questions as they appear in the seed files (prompt, choices, key).
SEED_QUESTIONS = {
    "seed000-q1": (
        "파이토치에서 텐서의 차원을 변경할 때 사용하며, 메모리 상의 데이터가 연속적(contiguous)이어야만 동작하는 메서드는 무엇인가요?",
        ["`reshape()`", "`view()`", "`transpose()`", "`permute()`"],
        2,
    ),
    "seed000-q2": (
        "신경망 모델 클래스 정의 시, 가중치가 있는 층(Layer)들은 주로 어디에 정의해야 하나요?",
        ["`forward` 메서드 내부", "`__init__` 생성자 메서드 내부", "클래스 외부 전역 변수", "`backward` 메서드 내부"],
        2,
    ),
    "seed000-q3": (
        "학습 루프에서 `optimizer.zero_grad()`를 가장 먼저 호출해야 하는 이유는 무엇인가요?",
        ["메모리를 초기화하기 위해서", "이전 배치의 기울기(Gradient)가 누적되는 것을 방지하기 위해서", "가중치를 0으로 초기화하기 위해서", "학습률을 재설정하기 위해서"],
        2,
    ),
    "seed000-q4": (
        "FashionMNIST와 같은 다중 분류(Multi-class Classification) 문제에서 가장 적합한 손실 함수는?",
        ["`MSELoss`", "`BCELoss`", "`CrossEntropyLoss`", "`L1Loss`"],
        3,
    ),
    "seed001-q1": (
        "파이토치에서 모델 학습 시, 이전 단계의 기울기(gradient)가 누적되지 않도록 초기화해주는 함수는 무엇인가요?",
        ["`loss.backward()`", "`optimizer.step()`", "`optimizer.zero_grad()`", "`torch.no_grad()`"],
        3,
    ),
    "seed001-q2": (
        "`Dataset` 클래스를 직접 커스텀하여 만들 때, 반드시 구현해야 하는 두 가지 매직 메서드는?",
        ["`__init__`, `__forward__`", "`__len__`, `__getitem__`", "`__start__`, `__end__`", "`__push__`, `__pop__`"],
        2,
    ),
    "seed001-q3": (
        "파이토치의 특징 중 하나로, 실행 시점에 그래프가 정의되는 방식을 무엇이라 하는가요?",
        ["Define-and-Run (정적 그래프)", "Define-by-Run (동적 그래프)", "Compile-first", "Lazy Evaluation"],
        2,
    ),
}

SEED_FILES = {"seed000": "000_15f97a03bad0542f.txt", "seed001": "001_684bae7c42d56857.txt"}


def parse_seed(text: str) -> dict[int, tuple[str, list[str], int]]:
    """Quiz questions of a seed report: '**Qn. prompt**', numbered choices, '**An**: k' keys."""
    questions: dict[int, tuple[str, list[str]]] = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"^\*\*Q(\d+)\. (.*)\*\*\s*$", line)
        if m:
            current = int(m.group(1))
            questions[current] = (m.group(2), [])
            continue
        m = re.match(r"^(\d+)\. (.*?)\s*$", line)
        if m and current is not None:
            questions[current][1].append(m.group(2))
            continue
        if line.startswith("---") or line.startswith("###"):
            current = None
    keys = {int(n): int(k) for n, k in re.findall(r"\*\*A(\d+)\*\*: (\d+)", text)}
    return {n: (prompt, choices, keys[n]) for n, (prompt, choices) in questions.items()}


@pytest.fixture(scope="module")
def by_id(bank):
    return {q.id: (quiz, q) for quiz in bank for q in quiz.questions}


def test_bank_validates_strictly() -> None:
    report = check_paths([BANK])
    assert report.ok, "\n".join(map(str, report.problems))
    assert len(report.quizzes) >= 6
    assert report.questions >= 40


def test_topics_are_covered(bank) -> None:
    ids = {quiz.id for quiz in bank}
    assert {"tensors", "autograd", "gradient-descent", "nn-module", "data", "training-loop", "losses-optim", "fashion-mnist"} <= ids


def test_question_ids_are_unique_across_the_bank(bank) -> None:
    counts = Counter(q.id for quiz in bank for q in quiz.questions)
    assert [qid for qid, n in counts.items() if n > 1] == []


def test_every_text_has_both_languages(bank) -> None:
    for quiz in bank:
        for q in quiz.questions:
            for text in [q.prompt, q.explanation, *q.choices]:
                assert text.get("ko") and text.get("en"), (quiz.id, q.id)


def test_multi_select_and_code_questions_exist(bank) -> None:
    questions = [q for quiz in bank for q in quiz.questions]
    assert sum(q.multi for q in questions) >= 3
    assert sum(bool(q.code) for q in questions) >= 5


def test_seed_questions_word_for_word(by_id) -> None:
    for qid, (prompt, choices, key) in SEED_QUESTIONS.items():
        _quiz, q = by_id[qid]
        assert q.prompt.ko == prompt, qid
        assert [c.ko for c in q.choices] == choices, qid
        assert q.answer == key, qid
        assert "seed" in q.tags
        assert q.prompt.en and q.explanation.en and q.explanation.ko


def test_seed_questions_are_in_their_topics(by_id) -> None:
    expected = {
        "seed000-q1": "tensors", "seed000-q2": "nn-module", "seed000-q3": "training-loop",
        "seed000-q4": "losses-optim", "seed001-q1": "training-loop", "seed001-q2": "data", "seed001-q3": "autograd",
    }
    assert {qid: by_id[qid][0].id for qid in expected} == expected


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed files not available")
def test_embedded_seed_copy_matches_the_seed_files() -> None:
    for prefix, name in SEED_FILES.items():
        parsed = parse_seed((SEEDS / name).read_text(encoding="utf-8"))
        mine = {int(k.split("-q")[1]): v for k, v in SEED_QUESTIONS.items() if k.startswith(prefix)}
        assert parsed == mine, name


def test_quizzes_dir_env_and_repo_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TORCHDOJO_QUIZZES", str(tmp_path))
    assert quizzes_dir() == tmp_path
    monkeypatch.delenv("TORCHDOJO_QUIZZES")
    assert quizzes_dir() == BANK


def test_find_quiz_by_id_stem_and_path() -> None:
    assert find_quiz("tensors").id == "tensors"
    assert find_quiz("01_tensors").id == "tensors"
    assert find_quiz(str(BANK / "02_autograd.yaml")).id == "autograd"
    with pytest.raises(QuizError, match="no quiz with id 'nope'.*tensors"):
        find_quiz("nope")
    with pytest.raises(QuizError, match="no such quiz file"):
        find_quiz("missing/file.yaml")


# --------------------------------------------------------------------------- answer positions (issue 16)


def test_bank_answer_positions_are_balanced() -> None:
    report = check_paths([BANK])
    assert report.warnings == [], "\n".join(map(str, report.warnings))
    from torchdojo.quiz.bank import position_counts

    questions = [q for quiz in report.quizzes for q in quiz.questions]
    observed, expected = position_counts(questions)
    total = sum(observed.values())
    assert max(observed.values()) / total < 0.35  # 43 of 64 were choice 1 before
    assert min(observed[p] for p in (1, 2, 3, 4)) >= 0.15 * total  # and none was choice 4
    for quiz in report.quizzes:
        counts, _ = position_counts(quiz.questions)
        assert max(counts.values()) <= 3, (quiz.id, counts)


def _biased_quiz(tmp_path: Path, keys: list[int]) -> Path:
    lines = ["id: biased", "title: {ko: 치우침, en: Biased}", "questions:"]
    for i, key in enumerate(keys):
        lines += [
            f"  - id: b{i}",
            f"    prompt: {{ko: 질문 {i}, en: Question {i}}}",
            "    choices: [{ko: 가, en: a}, {ko: 나, en: b}, {ko: 다, en: c}, {ko: 라, en: d}]",
            f"    answer: {key}",
            "    explanation: {ko: 해설, en: Why}",
        ]
    path = tmp_path / "biased.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_validate_warns_about_a_biased_bank(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from torchdojo.cli_quiz import quiz

    biased = _biased_quiz(tmp_path, [1, 1, 1, 1, 1, 2, 3, 1])  # 6 of 8 on choice 1
    result = CliRunner().invoke(quiz, ["validate", str(biased)])
    assert result.exit_code == 0  # a warning, not an error
    assert f"{biased}:1: warning: answer positions are biased" in result.stdout
    assert "position 1 holds 75%" in result.stdout and "chi-square p =" in result.stdout
    assert "{1: 6, 2: 1, 3: 1, 4: 0}" in result.stdout
    strict = CliRunner().invoke(quiz, ["validate", "--strict", str(biased)])
    assert strict.exit_code == 1
    fair = _biased_quiz(tmp_path, [1, 2, 3, 4, 2, 1, 4, 3])
    assert "warning" not in CliRunner().invoke(quiz, ["validate", str(fair)]).stdout


def test_bias_rule_chi_square_without_a_majority() -> None:
    """No position over half, but position 4 never used over many questions: chi-square catches it."""
    from torchdojo.quiz.bank import _chi2_sf, position_bias
    from torchdojo.quiz.model import Question

    def q(i: int, key: int) -> Question:
        texts = [{"ko": c, "en": c} for c in "abcd"]
        return Question.model_validate({"id": f"q{i}", "prompt": {"ko": "?"}, "choices": texts, "answer": key, "explanation": {"ko": "!"}})

    keys = [1, 2, 3] * 10  # 30 questions, none on 4
    assert "chi-square p = 0.019" in (position_bias([q(i, k) for i, k in enumerate(keys)]) or "")
    assert position_bias([q(i, k) for i, k in enumerate([1, 2, 3, 4] * 8)]) is None
    assert abs(_chi2_sf(7.815, 3) - 0.05) < 1e-3 and abs(_chi2_sf(3.841, 1) - 0.05) < 1e-3
