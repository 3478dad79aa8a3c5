"""Loading and checking quiz files, and finding quizzes in the bank folder.

Every problem is reported as a :class:`Problem` naming the file, the line, the
question id and the field, e.g.::

    quizzes/01_tensors.yaml:42: question 'seed000-q1': field 'answer': answer 7 is beyond the choices ...
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import yaml
from pydantic import ValidationError

from torchdojo.errors import QuizError
from torchdojo.quiz.model import LangText, Question, Quiz

QUIZ_SUFFIXES = (".yaml", ".yml")
ENV_QUIZZES = "TORCHDOJO_QUIZZES"


# --------------------------------------------------------------------------- where


def quizzes_dir() -> Path:
    """The quiz bank folder: $TORCHDOJO_QUIZZES, else the current course's (its manifest's `quizzes:`)."""
    env = os.environ.get(ENV_QUIZZES, "").strip()
    if env:
        return Path(env).expanduser()
    from ..course import load_course

    return load_course().quizzes_dir


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a quiz file."""

    file: str
    message: str
    line: int | None = None
    question: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.question:
            parts.append(f"question '{self.question}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return ": ".join(parts)


def _problems_error(path: Path | str, problems: Sequence[Problem]) -> QuizError:
    if len(problems) == 1:
        return QuizError(str(problems[0]))
    lines = [f"{path}: {len(problems)} problems:"] + [f"  {p}" for p in problems]
    return QuizError("\n".join(lines))


# --------------------------------------------------------------------------- YAML


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~15x faster


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader; we keep the node tree to map errors to lines."""


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None, list[Problem]]:
    """Parse a YAML file; returns (data, node, problems)."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, None, [Problem(name, "no such file")]
    except IsADirectoryError:
        return None, None, [Problem(name, "is a folder, not a file")]
    except UnicodeDecodeError as exc:
        return None, None, [Problem(name, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    except OSError as exc:
        return None, None, [Problem(name, f"cannot read: {exc.strerror or exc}")]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None, [Problem(name, "file is empty", line=1)]
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        detail = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        return None, None, [Problem(name, f"YAML syntax error: {detail}", line=line)]
    except yaml.YAMLError as exc:
        return None, None, [Problem(name, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    return data, node, _duplicate_keys(name, node)


def _duplicate_keys(name: str, node: yaml.Node) -> list[Problem]:
    """YAML silently keeps the last of two equal keys; an instructor wants to hear of it."""
    problems: list[Problem] = []

    def visit(current: yaml.Node, path: tuple[Any, ...]) -> None:
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in current.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                if key is not None and key in seen:
                    question, field_name = _question_and_field(node, path + (key,))
                    problems.append(
                        Problem(name, f"duplicate key '{key}' (YAML would keep only the last one)",
                                line=key_node.start_mark.line + 1, question=question, field=field_name)
                    )
                if key is not None:
                    seen.add(key)
                visit(value_node, path + (key,))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                visit(item, path + (index,))

    visit(node, ())
    return problems


def _question_and_field(root: yaml.Node, path: tuple[Any, ...]) -> tuple[str | None, str | None]:
    """The question id (read from the node tree) and the field name of a path in a quiz file."""
    if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
        question = f"#{path[1] + 1}"
        try:
            item = dict((k.value, v) for k, v in root.value)["questions"].value[path[1]]
            for key_node, value_node in item.value:
                if key_node.value == "id" and isinstance(value_node, yaml.ScalarNode):
                    question = value_node.value
        except (AttributeError, KeyError, IndexError, TypeError, ValueError):
            pass
        return question, _field_name(path[2:]) or None
    return None, _field_name(path) or None


def read_data_file(path: Path | str, what: str = "file") -> Any:
    """Read a YAML or JSON file (JSON is YAML) for answers and the like; QuizError on failure."""
    path = Path(path)
    data, _node, problems = _read_yaml(path)
    if problems:
        raise QuizError(f"{what} {problems[0]}")
    return data


# --------------------------------------------------------------------------- validation errors → problems

_FIELDS_BY_LEVEL = {
    "quiz": list(Quiz.model_fields),
    "question": list(Question.model_fields),
    "text": list(LangText.model_fields),
}


def _walk(data: Any, node: yaml.Node | None, loc: tuple[Any, ...]) -> tuple[list[Any], int | None, bool]:
    """Follow a pydantic error location through the data and the YAML nodes.

    Returns (path that exists in the data (plus a missing last key), line, reached_end).
    Union-member tags that pydantic adds to locations ('int', 'list[int]') are dropped.
    """
    path: list[Any] = []
    line = node.start_mark.line + 1 if node is not None else None
    current, cur_node = data, node
    for part in loc:
        if isinstance(current, dict) and isinstance(part, str):
            path.append(part)
            key_line = None
            value_node = None
            if isinstance(cur_node, yaml.MappingNode):
                for key_node, v_node in cur_node.value:
                    if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                        key_line, value_node = key_node.start_mark.line + 1, v_node
            if part not in current:
                return path, line, False
            line = value_node.start_mark.line + 1 if value_node is not None else (key_line or line)
            current, cur_node = current[part], value_node
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            path.append(part)
            item_node = None
            if isinstance(cur_node, yaml.SequenceNode) and part < len(cur_node.value):
                item_node = cur_node.value[part]
                line = item_node.start_mark.line + 1
            current, cur_node = current[part], item_node
        else:
            break
    return path, line, True


def _field_name(parts: Sequence[Any]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part + 1}]"  # 1-based, like choice numbers
        else:
            out += ("." if out else "") + str(part)
    return out


def _message(err: dict[str, Any], path: list[Any]) -> str:
    kind = err.get("type", "")
    msg = str(err.get("msg", ""))
    value = err.get("input")
    last = path[-1] if path else None
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "missing":
        return f"missing required field '{last}'"
    if kind == "extra_forbidden":
        level = "quiz" if len(path) == 1 else "question" if len(path) == 3 and path[0] == "questions" else "text"
        allowed = ", ".join(_FIELDS_BY_LEVEL[level])
        return f"unknown field '{last}' (allowed here: {allowed})"
    if last == "answer" or (len(path) >= 2 and path[-2] == "answer"):
        if kind.endswith("_type") or kind in {"int_from_float"}:
            return f"answer must be a choice number (e.g. 2) or a list of them (e.g. [1, 3]); got {value!r}"
    if kind == "string_type" and isinstance(value, (bool, int, float)) or kind == "string_type" and value is None:
        return f"{msg}; YAML read {value!r} as {type(value).__name__} here - put the text in quotes"
    if kind == "string_pattern_mismatch":
        return f"{value!r} is not a valid id (letters, digits, '-', '_', '.'; starting with a letter or digit)"
    return msg


def _validation_problems(name: str, data: Any, node: yaml.Node | None, exc: ValidationError) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[Any, ...]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err.get("loc", ()))
        path, line, _ = _walk(data, node, loc)
        question = None
        rest = path
        if len(path) >= 2 and path[0] == "questions" and isinstance(path[1], int):
            raw = data["questions"][path[1]] if isinstance(data.get("questions"), list) else None
            qid = raw.get("id") if isinstance(raw, dict) else None
            question = str(qid) if isinstance(qid, (str, int)) and qid != "" else f"#{path[1] + 1}"
            rest = path[2:]
        field_name = _field_name(rest) or None
        if path == ["questions"] or not path:
            field_name = _field_name(path) or None
        message = _message(err, path)
        key = (tuple(path[:2]), field_name, message if not (field_name or "").startswith("answer") else "answer")
        if key in seen:  # a union produces one error per member type
            continue
        seen.add(key)
        problems.append(Problem(name, message, line=line, question=question, field=field_name))
    return problems


def _raw_duplicate_ids(name: str, data: dict[str, Any], node: yaml.Node | None, found: list[Problem]) -> list[Problem]:
    """Duplicate question ids, also when other errors kept pydantic from checking the list."""
    if any("duplicate question id" in p.message for p in found):
        return []
    questions = data.get("questions")
    if not isinstance(questions, list):
        return []
    problems = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(questions):
        qid = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(qid, str):
            continue
        if qid in seen:
            _, line, _ = _walk(data, node, ("questions", index, "id"))
            problems.append(
                Problem(name, f"duplicate question id '{qid}' (questions {seen[qid] + 1} and {index + 1})", line=line, question=qid, field="id")
            )
        else:
            seen[qid] = index
    return problems


# --------------------------------------------------------------------------- files


def check_file(path: Path | str, *, require_both: bool = True) -> tuple[Quiz | None, list[Problem]]:
    """Validate one quiz file; returns the quiz (None if invalid) and every problem found."""
    path = Path(path)
    name = str(path)
    data, node, problems = _read_yaml(path)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        problems.append(Problem(name, f"a quiz file must be a mapping with id, title, questions; got {type(data).__name__}", line=1))
        return None, problems
    # Two passes: the structural one (a missing translation tolerated), so that a choice
    # lacking 'en' does not hide e.g. an answer beyond the choices; then the strict one.
    quiz: Quiz | None = None
    found: list[Problem] = []
    for strict in ([False, True] if require_both else [False]):
        try:
            validated = Quiz.model_validate(data, context={"require_both": strict})
        except ValidationError as exc:
            for problem in _validation_problems(name, data, node, exc):
                if all((p.question, p.field, p.message) != (problem.question, problem.field, problem.message) for p in found):
                    found.append(problem)
        else:
            quiz = validated if strict == require_both else quiz
    if found:
        found.extend(_raw_duplicate_ids(name, data, node, found))
        problems.extend(found)
        problems.sort(key=lambda p: p.line or 0)
        return None, problems
    assert quiz is not None
    quiz._source = path
    return quiz, problems


def load_quiz(path: Path | str, *, require_both: bool = False) -> Quiz:
    """Load one quiz file (a missing translation is tolerated unless `require_both`); QuizError if invalid."""
    quiz, problems = check_file(path, require_both=require_both)
    if quiz is None or problems:
        raise _problems_error(path, problems)
    return quiz


def iter_quiz_files(paths: Iterable[Path | str]) -> list[Path]:
    """Files named directly, plus the *.yaml / *.yml files of folders (sorted)."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix in QUIZ_SUFFIXES and p.is_file()))
        else:
            out.append(path)
    return out


@dataclass
class CheckReport:
    """What `quiz validate` found."""

    files: list[Path] = field(default_factory=list)
    quizzes: list[Quiz] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # e.g. answer positions biased

    @property
    def questions(self) -> int:
        return sum(len(q.questions) for q in self.quizzes)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_paths(paths: Iterable[Path | str], *, require_both: bool = True) -> CheckReport:
    """Validate files and folders of quiz files; also checks that quiz ids are unique across files."""
    report = CheckReport()
    ids: dict[str, Path] = {}
    for path in iter_quiz_files(paths):
        report.files.append(path)
        quiz, problems = check_file(path, require_both=require_both)
        report.problems.extend(problems)
        if quiz is None:
            continue
        if quiz.id in ids:
            report.problems.append(
                Problem(str(path), f"duplicate quiz id '{quiz.id}' (also in {ids[quiz.id]})", line=1, field="id")
            )
        else:
            ids[quiz.id] = path
        if not problems:
            report.quizzes.append(quiz)
            bias = position_bias(quiz.questions)
            if bias:
                report.warnings.append(Problem(str(path), "warning: " + bias, line=1))
    if len(report.quizzes) > 1:
        bias = position_bias([q for quiz in report.quizzes for q in quiz.questions])
        if bias:
            report.warnings.append(Problem(f"all {len(report.quizzes)} quizzes", "warning: " + bias))
    return report


# --------------------------------------------------------------------------- answer positions

BIAS_P = 0.05  # chi-square p-value below which positions are called biased
BIAS_SHARE = 0.5  # ... or one position holding more than this share of the keys
BIAS_MIN_QUESTIONS = 6


def _chi2_sf(x: float, df: int) -> float:
    """P(X >= x) for a chi-square with `df` degrees of freedom (series of the lower gamma)."""
    if x <= 0:
        return 1.0
    a, half = df / 2.0, x / 2.0
    term = total = 1.0 / a
    for n in range(1, 500):
        term *= half / (a + n)
        total += term
        if term < total * 1e-12:
            break
    lower = total * math.exp(-half + a * math.log(half) - math.lgamma(a))
    return max(0.0, 1.0 - lower)


def position_counts(questions: Sequence[Question]) -> tuple[dict[int, int], dict[int, float]]:
    """Observed and expected (by chance) key counts per file position, single-answer questions only."""
    observed: dict[int, int] = {}
    expected: dict[int, float] = {}
    for q in questions:
        if q.multi:
            continue
        n = len(q.choices)
        for position in range(1, n + 1):
            expected[position] = expected.get(position, 0.0) + 1.0 / n
            observed.setdefault(position, 0)
        observed[q.answer] += 1  # type: ignore[index]
    return observed, expected


def position_bias(questions: Sequence[Question]) -> str | None:
    """Why the keys' positions look biased, or None.

    The rule: over the single-answer questions (at least 6), one position holds more than
    half of the keys, or a chi-square goodness-of-fit test against positions drawn by chance
    (expected count at position p: the sum of 1/n over questions with n >= p choices) gives
    p < 0.05.  Every presentation is shuffled anyway; this keeps the files honest too (and
    questions with ``shuffle: false`` are shown in file order).
    """
    observed, expected = position_counts(questions)
    total = sum(observed.values())
    if total < BIAS_MIN_QUESTIONS:
        return None
    cells = [p for p in sorted(expected) if expected[p] >= 0.5]
    chi2 = sum((observed[p] - expected[p]) ** 2 / expected[p] for p in cells)
    p_value = _chi2_sf(chi2, len(cells) - 1) if len(cells) > 1 else 1.0
    top = max(observed, key=lambda p: (observed[p], -p))
    share = observed[top] / total
    if share <= BIAS_SHARE and p_value >= BIAS_P:
        return None
    counts = ", ".join(f"{p}: {observed[p]}" for p in sorted(observed))
    return (
        f"answer positions are biased: keys per choice position {{{counts}}} over {total} single-answer "
        f"questions; position {top} holds {share:.0%} (chance: {expected[top] / total:.0%}), chi-square p = {p_value:.3f} "
        f"(rule: warn if one position holds more than {BIAS_SHARE:.0%} or p < {BIAS_P}); reorder the choices"
    )


# --------------------------------------------------------------------------- the bank


def load_bank(directory: Path | str | None = None) -> tuple[list[Quiz], list[Problem]]:
    """Every loadable quiz in the bank folder (sorted by file name) and the problems of the others."""
    folder = Path(directory) if directory is not None else quizzes_dir()
    if not folder.is_dir():
        raise QuizError(f"quiz folder not found: {folder} (set {ENV_QUIZZES} to a folder of *.yaml files)")
    quizzes: list[Quiz] = []
    problems: list[Problem] = []
    for path in iter_quiz_files([folder]):
        quiz, found = check_file(path, require_both=False)
        if quiz is None or found:
            problems.extend(found)
        else:
            quizzes.append(quiz)
    return quizzes, problems


def _looks_like_path(ref: str) -> bool:
    return ref.endswith(QUIZ_SUFFIXES) or os.sep in ref or "/" in ref or Path(ref).is_file()


def find_quiz(ref: str, directory: Path | str | None = None) -> Quiz:
    """A quiz by id (or file stem) in the bank folder, or by path to a YAML file."""
    if _looks_like_path(ref):
        path = Path(ref)
        if not path.is_file():
            raise QuizError(f"{ref}: no such quiz file")
        return load_quiz(path)
    quizzes, problems = load_bank(directory)
    for quiz in quizzes:
        if quiz.id == ref or (quiz.source is not None and Path(quiz.source).stem == ref):
            return quiz
    for problem in problems:  # the quiz may be in a broken file: say so
        if Path(problem.file).stem == ref:
            raise QuizError(str(problem))
    known = ", ".join(q.id for q in quizzes) or "none"
    hint = f" ({len(problems)} problem(s) in other files: run `torchdojo quiz validate`)" if problems else ""
    raise QuizError(f"no quiz with id '{ref}' in {directory or quizzes_dir()}; known ids: {known}{hint}")
