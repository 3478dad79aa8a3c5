"""`torchdojo release student`: what students receive.

    DIR/
      README.md                  how to work, `make check`, the trust model (Korean, English)
      torchdojo.yaml             the course manifest (modules, items, hints), `pack:` names the pack
      Makefile                   `make check`, `make watch`, `make list`, `make hint`, `make quiz`
      exercises/NN_*.py          the stubs
      quizzes/*.yaml             questions and choices only: no answer keys, no explanations
      answers/*.yaml             one answer sheet per quiz (question id -> choice number)
      wheels/torchdojo-*.whl     torchdojo itself (built from this checkout)
      .torchdojo/graders.pack    graders and reference solutions, packed (not plain text)

No `reference/` and no grader source in plain text anywhere in the bundle.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from ..course import MANIFEST, exercises_dir, load_course, project_root
from .common import build_wheel, prepare_out, refuse_solved_stubs, release_manifest
from .pack import write_pack

PACK_REL = ".torchdojo/graders.pack"
QUIZ_SECRET_KEYS = ("answer", "explanation")

MAKEFILE = """\
# torchdojo student bundle. `make check` grades exercises/ with the packed hidden graders.
# The first run makes .venv and installs torchdojo from wheels/ (torch comes from PyPI).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.torchdojo-installed
DIR ?= exercises
ARGS ?=
WHEEL := $(firstword $(wildcard wheels/torchdojo-*.whl))
PACK := .torchdojo/graders.pack

.PHONY: check watch list hint quiz install clean-venv

$(STAMP): $(WHEEL)
\t@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
\t$(BIN)/python -m pip install --quiet --upgrade pip
\t$(BIN)/python -m pip install --quiet $(WHEEL)
\t@touch $(STAMP)

install: $(STAMP)

# torchdojo finds torchdojo.yaml here; its `pack:` holds the graders, unpacked only while grading
check: $(STAMP)
\t$(BIN)/python -m torchdojo check $(DIR) $(ARGS)

watch: $(STAMP)
\t$(BIN)/python -m torchdojo watch $(DIR) $(ARGS)

list: $(STAMP)
\t$(BIN)/python -m torchdojo list $(DIR) $(ARGS)

hint: $(STAMP)
\t$(BIN)/python -m torchdojo hint $(ARGS)

quiz: $(STAMP)
\t$(BIN)/python -m torchdojo quiz $(or $(ARGS),list)

clean-venv:
\trm -rf $(VENV)
"""

README = """\
# torchdojo — 파이토치 연습 문제 / PyTorch exercises

## 시작하기 / Getting started

```bash
make check      # 처음 실행하면 .venv를 만들고 설치합니다 (인터넷 필요, 몇 분) / first run installs (needs internet)
```

`exercises/` 안의 파일({first} …)에서 `raise NotImplementedError`를 지우고 구현한 뒤 다시
`make check`를 실행하세요. 숨겨진 채점기가 항목마다 점수와 무엇이 틀렸는지 알려 줍니다.
만점일 때만 종료 코드가 0입니다.

Edit the files in `exercises/`, replace each `raise NotImplementedError` with your code and
run `make check` again. Hidden graders tell you, per item, your points and what is wrong.
The exit status is 0 only at full score.

```bash
make check ARGS="--module 01_tensors"   # 한 모듈만 / one module
make check ARGS="--lang en"             # 영어 메시지 / English messages
make check ARGS="--json"                # JSON 보고서 / the JSON report
make watch                              # 저장할 때마다 그 모듈만 다시 채점 / re-grade the module you save
make list                               # 모든 항목과 진행 상황 / every item and your progress
make hint ARGS="01"                     # 다음 항목의 힌트 / a hint for your next item
make quiz                               # 퀴즈 목록 / the quizzes
make quiz ARGS="run tensors"            # 퀴즈 풀기 (해설 포함) / take a quiz (with explanations)
```

## 퀴즈 / Quizzes

연습용 퀴즈는 `make quiz ARGS="run tensors"`로 풀 수 있고, 답마다 해설이 나옵니다 (정답이 든 문제 은행은
채점기와 함께 `.torchdojo/graders.pack`에 들어 있습니다). 제출용 답안은 `answers/`의 같은 이름 파일에
`문제 id: 보기 번호`로 적습니다 (보기 번호는 `quizzes/` 파일에 적힌 순서, 1부터; 여러 개는 `[1, 3]`).
`quizzes/`에는 문제와 보기만 있습니다. 성적용 채점은 강사가 합니다.

Practice quizzes run with `make quiz ARGS="run tensors"` and explain every answer (the keyed
banks travel packed with the graders in `.torchdojo/graders.pack`). Answers to hand in go in
`answers/` (one sheet per quiz file) as `question id: choice number` (the order of the file in
`quizzes/`, from 1; a list such as `[1, 3]` for multi-select); `quizzes/` holds questions and
choices only. Your instructor scores the sheets for your grade.

## 채점기는 어디에? 무엇을 믿을 수 있나요? / Where are the graders? (trust model)

채점기와 정답 코드는 `.torchdojo/graders.pack` 한 파일에 압축되어 있고, `make check`가 실행되는
동안에만 권한이 0700인 임시 폴더에 풀렸다가 지워집니다. 여러분의 코드는 별도 프로세스(샌드박스)에서
실행되며 그 폴더를 볼 수 없습니다. 다만 이 방식은 **비밀 보장이 아니라 가림막**입니다: 채점은 여러분의
컴퓨터에서 이루어지므로, 마음먹은 사람은 torchdojo 코드를 읽고 압축을 직접 풀어 채점기와 정답을 볼 수
있습니다. 그래서 `make check` 점수는 연습용이며, 성적은 강사가 제출물을 다시 채점해서 매깁니다.

The graders and reference solutions are packed into one file, `.torchdojo/graders.pack`
(compressed, not plain text: searching the bundle finds no grader or solution source). `make
check` unpacks it into a private (0700) temporary folder only while grading and deletes it
afterwards; your code runs in separate sandboxed processes that cannot see that folder. This is
a curtain, not a safe: grading runs on your own computer, so a determined student can read
torchdojo's code, unpack the file and read the graders and the solutions. Scores from `make check`
are for practice; your instructor grades your submitted files again.
"""


@dataclass
class StudentBundle:
    root: Path
    modules: list[str]
    wheel: Path
    pack: Path
    quizzes: list[Path] = field(default_factory=list)


def strip_quiz(data: dict) -> dict:
    """A quiz without its answer keys and explanations (questions, code and choices stay)."""
    out = {k: v for k, v in data.items() if k != "questions"}
    questions = []
    for question in data.get("questions") or []:
        if isinstance(question, dict):
            question = {k: v for k, v in question.items() if k not in QUIZ_SECRET_KEYS}
        questions.append(question)
    out["questions"] = questions
    return out


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (code) as literal blocks, so the stripped quiz stays readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def dump_quiz(data: dict) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


def _answer_sheet(quiz: dict) -> str:
    lines = [f"# {quiz.get('id', '')}: 답안지 / answer sheet. 보기 번호(파일 순서, 1부터) / choice numbers "
             "(file order, from 1); 여러 개는 / several: [1, 3]"]
    for question in quiz.get("questions") or []:
        if isinstance(question, dict) and "id" in question:
            count = len(question.get("choices") or [])
            lines.append(f"{question['id']}: null  # 1-{count}")
    return "\n".join(lines) + "\n"


def _quiz_files() -> list[Path]:
    try:
        from ..quiz.bank import quizzes_dir

        folder = quizzes_dir()
    except ImportError:  # pragma: no cover - the quiz tool is optional
        folder = project_root() / "quizzes"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def release_student(out: Path, *, force: bool = False, wheel: Path | None = None,
                    modules: Iterable[str] | None = None) -> StudentBundle:
    """Write the student bundle into `out`."""
    course = load_course()
    names = [course.module(m).name for m in modules] if modules else course.names
    refuse_solved_stubs(names)
    out = prepare_out(out, force)
    (out / "exercises").mkdir()
    for name in names:
        stub = exercises_dir() / f"{name}.py"
        if stub.is_file():
            shutil.copyfile(stub, out / "exercises" / stub.name)
    quizzes = []
    quiz_files = _quiz_files()
    if quiz_files:
        (out / "quizzes").mkdir()
        (out / "answers").mkdir()
    for path in quiz_files:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            continue
        stripped = strip_quiz(data)
        target = out / "quizzes" / path.name
        header = ("# 문제와 보기만 있습니다 (정답·해설 없음) / questions and choices only (no keys, no explanations)\n")
        target.write_text(header + dump_quiz(stripped),
                          encoding="utf-8")
        (out / "answers" / path.name).write_text(_answer_sheet(stripped), encoding="utf-8")
        quizzes.append(target)
    whl = build_wheel(out / "wheels", wheel)
    pack = write_pack(out / PACK_REL, project_root(), meta={"modules": names})
    (out / MANIFEST).write_text(release_manifest(names, PACK_REL), encoding="utf-8")
    (out / "Makefile").write_text(MAKEFILE, encoding="utf-8")
    first = f"`{names[0]}.py`" if names else "`01_tensors.py`"
    (out / "README.md").write_text(README.format(first=first), encoding="utf-8")
    (out / ".gitignore").write_text(".venv/\n__pycache__/\n", encoding="utf-8")
    return StudentBundle(root=out, modules=names, wheel=whl, pack=pack, quizzes=quizzes)
