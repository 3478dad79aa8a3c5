"""Shared fixtures for the quiz tests (no torch here: only test_quiz_keys_torch imports it)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from torchdojo.quiz import load_bank, load_quiz

REPO = Path(__file__).resolve().parents[2]
BANK = REPO / "quizzes"

# A small quiz for CLI tests: 4 questions, one with code, one multi-select,
# one whose prompt has no English (fallback), one with shuffle off.
TINY_YAML = textwrap.dedent(
    """\
    id: tiny
    title: {ko: "작은 퀴즈", en: "Tiny quiz"}
    questions:
      - id: t-one
        prompt: {ko: "하나는?", en: "Which is one?"}
        code: |
          x = torch.ones(1)
          print(x.item())
        choices:
          - {ko: "영", en: "zero"}
          - {ko: "일", en: "one"}
          - {ko: "이", en: "two"}
          - {ko: "삼", en: "three"}
        answer: 2
        explanation: {ko: "일입니다", en: "It is one"}
        tags: [demo]
      - id: t-multi
        prompt: {ko: "짝수를 모두 고르세요", en: "Choose all even numbers"}
        choices:
          - {ko: "이", en: "two"}
          - {ko: "삼", en: "three"}
          - {ko: "사", en: "four"}
          - {ko: "오", en: "five"}
        answer: [1, 3]
        explanation: {ko: "2와 4", en: "2 and 4"}
      - id: t-ko-only
        prompt: {ko: "한국어로만 된 질문"}
        choices:
          - {ko: "가", en: "alpha"}
          - {ko: "나", en: "beta"}
          - {ko: "다", en: "gamma"}
        answer: 3
        explanation: {ko: "다입니다", en: "gamma it is"}
      - id: t-fixed
        prompt: {ko: "마지막?", en: "Last?"}
        shuffle: false
        choices:
          - {ko: "예", en: "yes"}
          - {ko: "아니오", en: "no"}
        answer: 1
        explanation: {ko: "예", en: "yes"}
    """
)


@pytest.fixture(autouse=True)
def _quiz_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never depend on the caller's locale, bank location, name, colours or saved progress."""
    monkeypatch.setenv("TORCHDOJO_QUIZ_STATE", str(tmp_path_factory.mktemp("quiz-state")))
    monkeypatch.delenv("TORCHDOJO_QUIZ_PROMPT", raising=False)
    monkeypatch.setenv("TORCHDOJO_LANG", "ko")
    monkeypatch.setenv("TORCHDOJO_QUIZZES", str(BANK))
    monkeypatch.setenv("TORCHDOJO_STUDENT", "tester")
    monkeypatch.setenv("NO_COLOR", "1")
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def tiny_path(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY_YAML, encoding="utf-8")
    return path


@pytest.fixture
def tiny(tiny_path: Path):
    return load_quiz(tiny_path)


@pytest.fixture(scope="session")
def bank():
    quizzes, problems = load_bank(BANK)
    assert not problems, "\n".join(map(str, problems))
    return quizzes
