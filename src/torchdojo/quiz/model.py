"""The quiz bank schema (pydantic v2).

One YAML file holds one quiz::

    id: tensors
    title: {ko: 텐서, en: Tensors}
    questions:
      - id: seed000-q1
        prompt: {ko: ..., en: ...}
        code: |            # optional, shown as a code block under the prompt
          x.view(6)
        choices:
          - {ko: ..., en: ...}
        answer: 2          # 1-based; a list [1, 3] makes a multi-select question
        explanation: {ko: ..., en: ...}
        tags: [tensors, seed]

Texts are Korean first, English beside.  A text may lack one language when it is
loaded for a run (the CLI falls back to the other language with a note); ``quiz
validate`` checks with ``context={"require_both": True}`` and reports the gap.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from torchdojo.i18n import LANGS, Lang, Text

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
Ident = Annotated[StrictStr, Field(pattern=ID_PATTERN, max_length=80)]

MAX_CHOICES = 20


def _require_both(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("require_both"))


class LangText(BaseModel):
    """A text in Korean and English: ``{ko: ..., en: ...}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ko: StrictStr | None = None
    en: StrictStr | None = None

    @model_validator(mode="after")
    def _languages(self, info: ValidationInfo) -> "LangText":
        present = [lang for lang in LANGS if self.get(lang)]
        if not present:
            raise ValueError("text is empty: give at least 'ko' (and 'en')")
        if _require_both(info):
            missing = [lang for lang in LANGS if lang not in present]
            if missing:
                raise ValueError(f"missing '{missing[0]}' text (every text needs both 'ko' and 'en')")
        return self

    def get(self, lang: str) -> str:
        value = getattr(self, lang, None)
        return value if isinstance(value, str) and value.strip() else ""

    def as_dict(self) -> dict[str, str]:
        return {lang: self.get(lang) for lang in LANGS if self.get(lang)}

    def as_text(self) -> Text:
        return Text(ko=self.get("ko"), en=self.get("en"))

    def pick(self, lang: Lang) -> tuple[str, bool]:
        """The text in `lang` (or the other language; the bool says a fallback happened)."""
        text = self.as_text()
        return text.pick(lang), text.fell_back(lang)

    def text(self, lang: Lang) -> str:
        return self.pick(lang)[0]


class Question(BaseModel):
    """One multiple-choice question; `answer` is 1-based, a list means multi-select."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ident
    prompt: LangText
    code: StrictStr | None = None
    choices: Annotated[list[LangText], Field(min_length=2, max_length=MAX_CHOICES)]
    answer: StrictInt | list[StrictInt]
    explanation: LangText
    tags: list[StrictStr] = Field(default_factory=list)
    shuffle: StrictBool = True

    @field_validator("choices")
    @classmethod
    def _distinct_choices(cls, choices: list[LangText]) -> list[LangText]:
        for lang in LANGS:
            seen: dict[str, int] = {}
            for number, choice in enumerate(choices, start=1):
                key = " ".join(choice.get(lang).split()).casefold()
                if not key:
                    continue
                if key in seen:
                    raise ValueError(
                        f"duplicate choices: choice {number} repeats choice {seen[key]} "
                        f"({lang}: {choice.get(lang)!r})"
                    )
                seen[key] = number
        return choices

    @field_validator("answer")
    @classmethod
    def _answer_in_range(cls, answer: int | list[int], info: ValidationInfo) -> int | list[int]:
        choices = info.data.get("choices")
        numbers = answer if isinstance(answer, list) else [answer]
        if isinstance(answer, list):
            if not answer:
                raise ValueError("a multi-select answer needs at least one choice number")
            if len(set(answer)) != len(answer):
                raise ValueError(f"answer {answer} repeats a choice number")
        if choices is None:  # choices invalid: already reported there
            return answer
        for number in numbers:
            if not 1 <= number <= len(choices):
                raise ValueError(
                    f"answer {number} is beyond the choices: there are {len(choices)} "
                    f"(answers are 1-based: 1..{len(choices)})"
                )
        return answer

    @property
    def multi(self) -> bool:
        """True for a multi-select question (answer given as a list)."""
        return isinstance(self.answer, list)

    @property
    def answer_set(self) -> frozenset[int]:
        """The right choice numbers (file order, 1-based)."""
        return frozenset(self.answer if isinstance(self.answer, list) else [self.answer])


class Quiz(BaseModel):
    """One quiz file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Ident
    title: LangText
    description: LangText | None = None
    questions: Annotated[list[Question], Field(min_length=1)]

    _source: Any = PrivateAttr(default=None)

    @field_validator("questions")
    @classmethod
    def _unique_ids(cls, questions: list[Question]) -> list[Question]:
        seen: dict[str, int] = {}
        for number, question in enumerate(questions, start=1):
            if question.id in seen:
                raise ValueError(
                    f"duplicate question id '{question.id}' (questions {seen[question.id]} and {number})"
                )
            seen[question.id] = number
        return questions

    @property
    def source(self) -> Any:
        """The file this quiz was loaded from (a Path), if any."""
        return self._source

    def question(self, question_id: str) -> Question:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def max_score(self) -> int:
        return len(self.questions)
