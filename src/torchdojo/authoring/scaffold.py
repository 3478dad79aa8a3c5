"""`torchdojo new DIR` and `torchdojo dev new MODULE`: the files of a small working course/module.

Every file written here already passes `torchdojo dev check`: the stub scores 0 with a message,
the reference full, the mutant loses its item, the alternative keeps full points. An author
then replaces the example exercise with their own.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import yaml

from ..course import MANIFEST, load_course
from ..errors import UsageError

MODULE_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")
EXERCISE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _write(path: Path, text: str) -> Path:
    if path.exists():
        raise UsageError(f"{path}: already exists; torchdojo never overwrites an author's file (이미 있는 파일입니다)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _stub(name: str, title_ko: str, title_en: str, exercise: str) -> str:
    return f'''
        """{name} — {title_ko} / {title_en}

        각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `torchdojo check`로 확인하세요.
        Replace each `raise NotImplementedError` with your code, then run `torchdojo check`.
        """

        import torch


        def {exercise}(x):
            """TODO: 텐서 x의 모든 원소를 두 배로 만든 새 텐서를 돌려주세요 (x는 바꾸지 마세요).

            TODO: return a new tensor with every element of x doubled (leave x unchanged).
            """
            raise NotImplementedError
    '''


def _reference(name: str, exercise: str) -> str:
    return f'''
        """{name}: reference solution (hidden from students)."""

        import torch


        def {exercise}(x):
            return x * 2
    '''


def _grader(name: str, exercise: str) -> str:
    return f'''
        """Hidden grader of {name}: the student's answers compared with the reference's on the same inputs.

        Each item is a battery: fixed corner cases (the same on every seed, values from
        fixed_generator) that separate every known mistake, then random cases from `rng`.
        """

        import pytest
        import torch

        from torchdojo.grading import cases, expect_tensor, fixed_generator


        def _random_case(rng):
            rows = int(torch.randint(1, 6, (1,), generator=rng))
            return torch.randn(rows, 3, generator=rng)


        @pytest.mark.points()  # the points are declared once, in torchdojo.yaml
        def test_{exercise}(student, reference, rng):
            fixed = [torch.zeros(1, 1), torch.tensor(2.5), torch.randn(4, 3, generator=fixed_generator(1))]
            for x in cases(rng, fixed=fixed, random=_random_case):
                expect_tensor(student.{exercise}(x), reference.{exercise}(x), f"{exercise}(x), x of shape {{list(x.shape)}}")
    '''


def _mutants(name: str, exercise: str) -> str:
    return f'''
        """Mutants of {name}: each known mistake must lose exactly its items, on every seed."""

        from torchdojo.authoring import Mutant, alternative

        M = "{name}"

        MUTANTS = [
            Mutant("adds_two", M, loses=("{exercise}",), why="x + 2 instead of x * 2", code="""
                def {exercise}(x):
                    return x + 2
            """),
            alternative("adds_to_itself", M, why="x + x is also right", code="""
                def {exercise}(x):
                    return x + x
            """),
        ]
    '''


def _quiz(quiz_id: str) -> str:
    return f'''
        id: {quiz_id}
        title:
          ko: "텐서 기초 퀴즈"
          en: "Tensor basics quiz"
        questions:
          - id: {quiz_id}-shape
            prompt:
              ko: "`torch.zeros(2, 3).shape`은 무엇인가요?"
              en: "What is `torch.zeros(2, 3).shape`?"
            choices:
              - {{ko: "`torch.Size([3, 2])`", en: "`torch.Size([3, 2])`"}}
              - {{ko: "`torch.Size([6])`", en: "`torch.Size([6])`"}}
              - {{ko: "`torch.Size([2, 3])`", en: "`torch.Size([2, 3])`"}}
            answer: 3
            explanation:
              ko: "인자는 차례대로 각 차원의 크기입니다: 2행 3열."
              en: "The arguments are the sizes of the dimensions in order: 2 rows, 3 columns."
            tags: [tensors]
          - id: {quiz_id}-double
            prompt:
              ko: "`x * 2`는 x 자체를 바꾸나요?"
              en: "Does `x * 2` change x itself?"
            choices:
              - {{ko: "아니요, 새 텐서를 만듭니다", en: "No, it makes a new tensor"}}
              - {{ko: "예, x를 제자리에서 바꿉니다", en: "Yes, it changes x in place"}}
            answer: 1
            explanation:
              ko: "제자리 연산은 `x.mul_(2)`처럼 밑줄로 끝납니다. `x * 2`는 새 텐서를 돌려줍니다."
              en: "In-place operations end with an underscore, like `x.mul_(2)`; `x * 2` returns a new tensor."
            tags: [tensors]
    '''


def _module_entry(name: str, title_ko: str, title_en: str, exercise: str) -> dict:
    return {
        "name": name,
        "title": {"ko": title_ko, "en": title_en},
        "exercises": [exercise],
        "items": {exercise: 2},
        "hints": {exercise: [
            {"ko": "x의 모든 원소에 같은 연산을 합니다. 반복문은 필요 없습니다.",
             "en": "Apply one operation to every element of x; no loop needed."},
            {"ko": "텐서끼리의 산술 연산은 원소별로 동작하고 새 텐서를 돌려줍니다.",
             "en": "Arithmetic on tensors works element by element and returns a new tensor."},
            {"ko": "`return x ___ 2`", "en": "`return x ___ 2`"},
        ]},
    }


def add_module(root: Path, name: str, *, title_ko: str | None = None, title_en: str | None = None,
               exercise: str = "double") -> list[Path]:
    """Write a working example module (stub, reference, grader, mutants) and list it in the manifest."""
    root = Path(root)
    if not MODULE_NAME.match(name):
        raise UsageError(f"{name!r}: a module name is two digits, an underscore and lower-case words, e.g. 10_my_topic")
    if not EXERCISE_NAME.match(exercise):
        raise UsageError(f"{exercise!r}: not a Python name")
    course = load_course(root)
    number = name.split("_", 1)[0]
    if any(m.name.split("_", 1)[0] == number for m in course.modules):
        raise UsageError(f"{root / MANIFEST}: a module numbered {number} exists already")
    title_ko = title_ko or name.split("_", 1)[1].replace("_", " ")
    title_en = title_en or title_ko
    written = [
        _write(root / "exercises" / f"{name}.py", _stub(name, title_ko, title_en, exercise)),
        _write(root / "reference" / f"{name}.py", _reference(name, exercise)),
        _write(root / "graders" / f"test_{name}.py", _grader(name, exercise)),
    ]
    if course.mutants:
        written.append(_write(root / course.mutants / f"test_mutants_{name}.py", _mutants(name, exercise)))
    manifest = root / MANIFEST
    text = manifest.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if list(data)[-1] == "modules":  # append as text, so the author's comments stay
        entry = yaml.safe_dump([_module_entry(name, title_ko, title_en, exercise)], allow_unicode=True, sort_keys=False)
        text = text.rstrip("\n") + "\n" + entry
    else:
        data["modules"].append(_module_entry(name, title_ko, title_en, exercise))
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    manifest.write_text(text, encoding="utf-8")
    load_course(root)  # the manifest must still be valid
    return [*written, manifest]


def new_course(dest: Path, *, course_id: str | None = None) -> list[Path]:
    """A small working course in `dest` (which must not hold a course yet)."""
    dest = Path(dest)
    if (dest / MANIFEST).exists():
        raise UsageError(f"{dest}: already holds a course ({MANIFEST}) (이미 코스가 있습니다)")
    if dest.exists() and any(dest.iterdir()):
        raise UsageError(f"{dest}: folder is not empty (폴더가 비어 있지 않습니다)")
    course_id = course_id or re.sub(r"[^A-Za-z0-9_.-]+", "-", dest.resolve().name).strip("-") or "course"
    manifest = {
        "torchdojo": 1,
        "id": course_id,
        "title": {"ko": "나의 파이토치 코스", "en": "My PyTorch course"},
        "quizzes": "quizzes",
        "mutants": "mutants",
        "modules": [_module_entry("01_basics", "텐서 기초", "Tensor basics", "double")],
    }
    written = [_write(dest / MANIFEST, "# The course manifest: modules, items and points, hints, limits.\n"
                      + yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False))]
    written += [
        _write(dest / "exercises" / "01_basics.py", _stub("01_basics", "텐서 기초", "Tensor basics", "double")),
        _write(dest / "reference" / "01_basics.py", _reference("01_basics", "double")),
        _write(dest / "graders" / "test_01_basics.py", _grader("01_basics", "double")),
        _write(dest / "mutants" / "test_mutants_01_basics.py", _mutants("01_basics", "double")),
        _write(dest / "quizzes" / "01_basics.yaml", _quiz("basics")),
        _write(dest / "README.md", """
            # My course (torchdojo)

            ```bash
            torchdojo check            # grade exercises/ (students)
            torchdojo dev check        # check the whole course (authors)
            torchdojo dev new 02_next  # add a module
            ```
        """),
    ]
    return written
