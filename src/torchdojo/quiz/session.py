"""A quiz attempt as a library: shuffled choices (reproducible by seed), answers, score.

Numbers come in two orders:

* *file order*: the 1-based choice numbers of the YAML file (answer keys and
  records use this order; records also keep the chosen texts);
* *shown order*: the 1-based numbers the student sees after shuffling (answer
  sheets use this order, with the sheet's seed).

Every presentation is shuffled by a seed, so a choice's position says nothing
about the key (questions marked ``shuffle: false`` keep their file order).

Nothing here prints; the CLI and :mod:`torchdojo.quiz.render` do.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from torchdojo.errors import QuizError
from torchdojo.i18n import Explained, Lang, Text
from torchdojo.quiz.model import Question, Quiz

SEED_MAX = 1_000_000


def new_seed() -> int:
    """A fresh seed, short enough to read off the screen and type back with --seed."""
    return secrets.randbelow(SEED_MAX)


class InvalidKey(Explained, ValueError):
    """What the student typed is not a valid answer; `text` says why (never counted)."""

    def __init__(self, code: str, text: Text) -> None:
        super().__init__(text)
        self.code = code


_SPLIT = re.compile(r"[\s,]+")


def file_order_bias(quiz: Quiz) -> str | None:
    """Why the quiz file's own choice order would hint at its keys, or None."""
    from torchdojo.quiz.bank import position_bias  # bank imports no session: no cycle

    return position_bias(quiz.questions)


def _norm(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def parse_key(text: str, n_choices: int, multi: bool) -> tuple[int, ...]:
    """Parse what the student typed: one number, or for multi-select several ('1,3' or '1 3').

    Raises InvalidKey (empty, not a number, out of range, several for a single answer, repeated).
    """
    raw = text.strip()
    span = f"1-{n_choices}"
    if not raw:
        raise InvalidKey(
            "empty",
            Text(ko=f"답이 비어 있습니다. {span} 중 번호를 입력하세요." + (" 여러 개면 1,3 처럼 쓰세요." if multi else ""),
            en=f"No answer given. Type a number {span}." + (" For several, type e.g. 1,3." if multi else "")),
        )
    parts = [p for p in _SPLIT.split(raw) if p]
    numbers: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise InvalidKey(
                "not_a_number",
                Text(ko=f"'{part}'은(는) 보기 번호가 아닙니다. {span} 중 번호를 입력하세요.",
                en=f"'{part}' is not a choice number. Type a number {span}."),
            )
        number = int(part)
        if not 1 <= number <= n_choices:
            raise InvalidKey(
                "out_of_range",
                Text(ko=f"{number}번 보기는 없습니다. {span} 중에서 고르세요.",
                en=f"There is no choice {number}. Pick from {span}."),
            )
        numbers.append(number)
    if len(set(numbers)) != len(numbers):
        raise InvalidKey(
            "repeated",
            Text(ko="같은 번호를 두 번 입력했습니다. 각 번호는 한 번만 쓰세요.",
            en="A number is repeated. Give each choice once."),
        )
    if len(numbers) > 1 and not multi:
        raise InvalidKey(
            "one_only",
            Text(ko=f"이 문제는 답이 하나입니다. {span} 중 번호 하나만 입력하세요.",
            en=f"This question has one answer. Type a single number {span}."),
        )
    return tuple(numbers)


@dataclass(frozen=True)
class ShownQuestion:
    """A question as shown in one attempt: its choices in shown order."""

    question: Question
    order: tuple[int, ...]  # order[k] = file number (1-based) of shown choice k+1

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def multi(self) -> bool:
        return self.question.multi

    @property
    def n_choices(self) -> int:
        return len(self.order)

    @property
    def choices(self) -> list[Any]:
        """The LangText choices in shown order."""
        return [self.question.choices[n - 1] for n in self.order]

    def to_file(self, shown: int) -> int:
        return self.order[shown - 1]

    def to_shown(self, file_number: int) -> int:
        return self.order.index(file_number) + 1

    @property
    def answer_shown(self) -> tuple[int, ...]:
        return tuple(sorted(self.to_shown(n) for n in self.question.answer_set))


def shuffled_order(question: Question, seed: int | None, quiz_id: str = "") -> tuple[int, ...]:
    """The shown order of a question's choices; identity when `seed` is None or shuffle is off.

    Each question gets its own generator (seeded by seed, quiz id and question id), so
    adding a question to a quiz does not change how the others are shuffled.
    """
    order = list(range(1, len(question.choices) + 1))
    if seed is None or not question.shuffle:
        return tuple(order)
    random.Random(f"{seed}/{quiz_id}/{question.id}").shuffle(order)
    return tuple(order)


@dataclass(frozen=True)
class QuestionResult:
    """What the student chose (never the key: records must not carry it)."""

    id: str
    chosen: int | list[int] | None  # file order
    correct: bool
    chosen_text: list[str] | None = None  # the Korean texts of the chosen choices (survive reordering)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "chosen": self.chosen, "chosen_text": self.chosen_text, "correct": self.correct}


@dataclass(frozen=True)
class AttemptResult:
    """The outcome of an attempt; ``to_dict()`` is the --json object (records add a timestamp)."""

    quiz: str
    student: str
    lang: Lang
    seed: int | None
    results: tuple[QuestionResult, ...]
    complete: bool
    mode: str = "full"  # "full" (scored) or "retry" (practice on a subset)

    @property
    def score(self) -> int:
        return sum(1 for r in self.results if r.correct)

    @property
    def max_score(self) -> int:
        return len(self.results)

    @property
    def answered(self) -> int:
        return sum(1 for r in self.results if r.chosen is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "quiz": self.quiz,
            "student": self.student,
            "score": self.score,
            "max_score": self.max_score,
            "lang": self.lang,
            "seed": self.seed,
            "complete": self.complete,
            "mode": self.mode,
            "results": [r.to_dict() for r in self.results],
        }


@dataclass
class QuizSession:
    """One attempt at a quiz.

    >>> session = QuizSession(quiz, seed=42)          # doctest: +SKIP
    >>> shown = session.questions[0]
    >>> session.answer_shown(shown.id, [1])           # what the student typed
    """

    quiz: Quiz
    seed: int | None = None
    shuffle: bool = True
    lang: Lang = "ko"
    student: str = ""
    only: tuple[str, ...] | None = None  # a subset of question ids (retry mode), in quiz order
    questions: list[ShownQuestion] = field(init=False)
    answers: dict[str, tuple[int, ...]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.shuffle and self.seed is None:
            self.seed = new_seed()
        if not self.shuffle:
            self.seed = None
        wanted = None if self.only is None else set(self.only)
        if wanted is not None:
            unknown = wanted - {q.id for q in self.quiz.questions}
            if unknown:
                raise QuizError(f"quiz '{self.quiz.id}' has no question(s) {', '.join(sorted(unknown))}")
        self.questions = [
            ShownQuestion(q, shuffled_order(q, self.seed, self.quiz.id))
            for q in self.quiz.questions
            if wanted is None or q.id in wanted
        ]
        self._by_id = {s.id: s for s in self.questions}

    @property
    def mode(self) -> str:
        return "full" if self.only is None else "retry"

    # ------------------------------------------------------------------ answering

    def shown(self, question_id: str) -> ShownQuestion:
        try:
            return self._by_id[question_id]
        except KeyError:
            raise QuizError(f"quiz '{self.quiz.id}' has no question '{question_id}'") from None

    def _check_numbers(self, shown: ShownQuestion, numbers: Iterable[int]) -> tuple[int, ...]:
        numbers = tuple(numbers)
        if not numbers:
            raise QuizError(f"question '{shown.id}': no choice given")
        for n in numbers:
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= shown.n_choices:
                raise QuizError(f"question '{shown.id}': choice {n!r} is not in 1..{shown.n_choices}")
        if len(set(numbers)) != len(numbers):
            raise QuizError(f"question '{shown.id}': choice numbers repeat: {list(numbers)}")
        if len(numbers) > 1 and not shown.multi:
            raise QuizError(f"question '{shown.id}' has one answer; got {list(numbers)}")
        return tuple(sorted(numbers))

    def answer_file(self, question_id: str, numbers: int | Iterable[int]) -> bool:
        """Answer with file-order numbers; returns whether it is right."""
        shown = self.shown(question_id)
        numbers = (numbers,) if isinstance(numbers, int) else tuple(numbers)
        chosen = self._check_numbers(shown, numbers)
        self.answers[question_id] = chosen
        return self.is_correct(question_id)

    def answer_shown(self, question_id: str, numbers: int | Iterable[int]) -> bool:
        """Answer with the numbers the student saw; returns whether it is right."""
        shown = self.shown(question_id)
        numbers = (numbers,) if isinstance(numbers, int) else tuple(numbers)
        self._check_numbers(shown, numbers)
        return self.answer_file(question_id, [shown.to_file(n) for n in numbers])

    def answer_text(self, question_id: str, typed: str) -> bool:
        """Answer with what the student typed (shown order); InvalidKey if it is not valid."""
        shown = self.shown(question_id)
        return self.answer_shown(question_id, parse_key(typed, shown.n_choices, shown.multi))

    def is_answered(self, question_id: str) -> bool:
        return question_id in self.answers

    def is_correct(self, question_id: str) -> bool:
        chosen = self.answers.get(question_id)
        return chosen is not None and frozenset(chosen) == self.shown(question_id).question.answer_set

    def apply_answer_sheet(self, data: Any, source: str = "answers") -> list[str]:
        """Answer from an answer sheet; returns the ids left unanswered.

        A sheet is ``{seed: N, answers: {id: value}}`` (or a plain ``{id: value}`` mapping).
        A value is a choice *number* (or a list) in the shown order of the sheet printed with
        that seed (``quiz sheet ID --seed N``), or a choice *text* (or a list of texts, Korean or
        English).  Numbers without a seed are read in the quiz file's order (the sheets of the
        student bundle, which shows the file without keys) only if that order is not biased
        (:func:`torchdojo.quiz.bank.position_bias`); otherwise they are refused.
        """
        if not isinstance(data, Mapping):
            raise QuizError(f"{source}: expected a mapping {{seed: N, answers: {{question id: choice}}}}, got {type(data).__name__}")
        mapping: Any = data
        sheet_seed = None
        if "answers" in data and isinstance(data.get("answers"), Mapping):
            extra = [str(k) for k in data if k not in ("answers", "seed", "quiz", "student")]
            if extra:
                raise QuizError(f"{source}: unknown key(s) {', '.join(extra)} (a sheet has seed, answers, and optionally quiz, student)")
            mapping = data["answers"]
            sheet_seed = data.get("seed")
            if sheet_seed is not None and (isinstance(sheet_seed, bool) or not isinstance(sheet_seed, int)):
                raise QuizError(f"{source}: seed must be a whole number, got {sheet_seed!r}")
            if data.get("quiz") not in (None, self.quiz.id):
                raise QuizError(f"{source}: this sheet is for quiz '{data.get('quiz')}', not '{self.quiz.id}'")
        if sheet_seed is not None and sheet_seed != self.seed:
            raise QuizError(
                f"{source}: the sheet says seed {sheet_seed} but this attempt uses seed {self.seed}: "
                "run with the sheet's seed (or leave --seed out)"
            )
        unknown = [str(k) for k in mapping if str(k) not in self._by_id]
        if unknown:
            known = ", ".join(self._by_id)
            raise QuizError(f"{source}: unknown question id(s) {', '.join(unknown)} for quiz '{self.quiz.id}' (ids: {known})")
        for key, value in mapping.items():
            qid = str(key)
            if value is None:
                continue
            shown = self._by_id[qid]
            items = value if isinstance(value, list) else [value]
            if not items:
                raise QuizError(f"{source}: question '{qid}': empty list")
            if all(isinstance(v, str) for v in items):
                numbers = [self._number_of_text(shown, v, f"{source}: question '{qid}'") for v in items]
                apply = self.answer_file
            elif all(isinstance(v, int) and not isinstance(v, bool) for v in items):
                numbers = list(items)
                if sheet_seed is not None or not shown.question.shuffle:
                    apply = self.answer_shown  # this sheet's positions (shuffle: false: the file's)
                else:
                    # no seed: the quiz file's order, as in the student bundle's answers/ sheets.
                    # Refused when that order is biased: then positions would hint at the keys.
                    bias = file_order_bias(self.quiz)
                    if bias:
                        raise QuizError(
                            f"{source}: question '{qid}': numbers without a sheet seed are read in the quiz file's "
                            f"order, and that order is biased ({bias}): print a shuffled sheet with "
                            "`torchdojo quiz sheet` and give its `seed:`, or give the choice texts"
                        )
                    apply = self.answer_file
            else:
                raise QuizError(f"{source}: question '{qid}': expected a choice number, a choice text, or a list of them, got {value!r}")
            try:
                apply(qid, numbers)
            except QuizError as exc:
                raise QuizError(f"{source}: {exc}") from None
        return [s.id for s in self.questions if s.id not in self.answers]

    @staticmethod
    def _number_of_text(shown: ShownQuestion, text: str, where: str) -> int:
        wanted = _norm(text)
        for number, choice in enumerate(shown.question.choices, start=1):
            if wanted in {_norm(choice.get("ko")), _norm(choice.get("en"))} - {""}:
                return number
        raise QuizError(f"{where}: {text!r} is not one of its choices")

    def restore(self, answers: Mapping[str, Iterable[int]]) -> None:
        """Put back answers (file order) saved by an interrupted attempt; unknown ids are dropped."""
        for qid, numbers in answers.items():
            if qid in self._by_id:
                try:
                    self.answer_file(qid, list(numbers))
                except QuizError:
                    continue

    # ------------------------------------------------------------------ results

    @property
    def complete(self) -> bool:
        return all(s.id in self.answers for s in self.questions)

    @property
    def score(self) -> int:
        return sum(1 for s in self.questions if self.is_correct(s.id))

    def result(self, complete: bool | None = None) -> AttemptResult:
        results = []
        for s in self.questions:
            chosen = self.answers.get(s.id)
            value: int | list[int] | None
            if chosen is None:
                value = None
            elif s.multi:
                value = list(chosen)
            else:
                value = chosen[0]
            texts = None if chosen is None else [s.question.choices[n - 1].text("ko") for n in chosen]
            results.append(QuestionResult(s.id, value, self.is_correct(s.id), texts))
        return AttemptResult(
            quiz=self.quiz.id,
            student=self.student,
            lang=self.lang,
            seed=self.seed,
            results=tuple(results),
            complete=self.complete if complete is None else complete,
            mode=self.mode,
        )
