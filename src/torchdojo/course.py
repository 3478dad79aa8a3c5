"""A course: a folder with one manifest, `torchdojo.yaml`, at its root.

The manifest declares the modules (titles ko/en, exercises, items with their points, hints,
limits) and where the course keeps its quizzes. Beside it live `exercises/` (stubs),
`reference/` (solutions) and `graders/` (hidden pytest files). torchdojo finds the course as
pytest finds its rootdir: from the current folder upward, unless `--course DIR` (or
TORCHDOJO_COURSE) names it. Nothing is read from torchdojo's own install location.
"""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

import yaml
from pydantic import BaseModel, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import CourseError
from .i18n import Text
from .sandbox.limits import Limits

MANIFEST = "torchdojo.yaml"
COURSE_ENV = "TORCHDOJO_COURSE"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's
LEGACY_ENV = "TORCHDOJO_HOME"  # what graders packs set: a folder laid out like a course root


class ManifestText(BaseModel):
    """A text of the manifest (a title, a hint): both languages are required there."""

    ko: str
    en: str

    def as_text(self) -> Text:
        return Text(ko=self.ko, en=self.en)


class Module(BaseModel):
    name: str = Field(pattern=r"^\d\d_[a-z0-9_]+$")
    title: ManifestText
    exercises: list[str] = Field(min_length=1)
    items: dict[str, float] = Field(min_length=1)  # item -> points; "exercise" or "exercise.subcheck"
    hints: dict[str, list[ManifestText]] = Field(default_factory=dict)  # exercise -> nudge, idea, near-code
    limits: dict[str, Any] = Field(default_factory=dict)
    # Gradescope's test visibility: one for the whole module, or per item / exercise (the rest "visible")
    visibility: str | dict[str, str] = "visible"

    @field_validator("visibility")
    @classmethod
    def _known_visibility(cls, value: str | dict[str, str]) -> str | dict[str, str]:
        for v in ([value] if isinstance(value, str) else value.values()):
            if v not in VISIBILITIES:
                raise ValueError(f"visibility {v!r} is not one of {', '.join(VISIBILITIES)}")
        return value

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, value: dict[str, Any]) -> dict[str, Any]:
        Limits().with_overrides(value)  # raises on unknown keys
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "Module":
        if len(set(self.exercises)) != len(self.exercises):
            raise ValueError(f"{self.name}: an exercise is listed twice")
        for item, points in self.items.items():
            if item.split(".", 1)[0] not in self.exercises:
                raise ValueError(f"{self.name}: item {item!r} belongs to no exercise of the module")
            if points <= 0:
                raise ValueError(f"{self.name}: item {item!r} must be worth more than 0 points")
        unknown = set(self.hints) - set(self.exercises)
        if unknown:
            raise ValueError(f"{self.name}: hints for unknown exercise(s) {sorted(unknown)}")
        if isinstance(self.visibility, dict):
            unknown = set(self.visibility) - set(self.items) - set(self.exercises)
            if unknown:
                raise ValueError(f"{self.name}: visibility for unknown item(s) {sorted(unknown)}")
        return self

    @property
    def filename(self) -> str:
        return f"{self.name}.py"

    @property
    def grader_filename(self) -> str:
        return f"test_{self.name}.py"

    @property
    def max_score(self) -> float:
        return sum(self.items.values())

    def limits_for(self, base: Limits | None = None) -> Limits:
        return (base or Limits()).with_overrides(self.limits)


class Course(BaseModel):
    torchdojo: int = 1  # manifest format
    id: str = Field(default="course", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: ManifestText | None = None
    quizzes: str = "quizzes"  # folder of quiz banks, relative to the root
    mutants: str | None = None  # folder of the course's own mutant files (dev check)
    hidden: list[str] = Field(default_factory=list)  # more folders student code must not see
    pack: str | None = None  # a student bundle: graders, reference and keyed quizzes packed in this file
    modules: list[Module] = Field(min_length=1)
    root: Path | None = Field(default=None, exclude=True)
    _packed_home: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _unique(self) -> "Course":
        names = [m.name for m in self.modules]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"module(s) listed twice: {', '.join(dupes)}")
        prefixes = [n.split("_", 1)[0] for n in names]
        dupes = sorted({p for p in prefixes if prefixes.count(p) > 1})
        if dupes:
            raise ValueError(f"two modules share the number {', '.join(dupes)}")
        return self

    def module(self, name: str) -> Module:
        wanted = str(name).strip()
        for module in self.modules:
            number = module.name.split("_", 1)[0]
            if wanted in (module.name, number, module.name.split("_", 1)[1]) or (
                    wanted.isdigit() and int(wanted) == int(number)):
                return module
        known = ", ".join(m.name for m in self.modules)
        raise CourseError(f"unknown module {name!r} (known: {known})")

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.modules]

    def folder(self, name: str) -> Path:
        if self.root is None:
            raise CourseError("this course was not loaded from a folder")
        return self.root / name

    def _packed(self, name: str) -> Path | None:
        home = self._packed_home
        return home / name if home is not None and (home / name).is_dir() else None

    @property
    def graders_dir(self) -> Path:
        return self._packed("graders") or self.folder("graders")

    @property
    def reference_dir(self) -> Path:
        return self._packed("reference") or self.folder("reference")

    @property
    def exercises_dir(self) -> Path:
        return self.folder("exercises")

    @property
    def quizzes_dir(self) -> Path:
        return self._packed("quizzes") or self.folder(self.quizzes)

    @property
    def needs_unpacking(self) -> bool:
        return bool(self.pack) and self._packed_home is None and not self.folder("graders").is_dir()

    @contextlib.contextmanager
    def open_pack(self) -> Iterator["Course"]:
        """A bundle's packed graders, reference and quizzes, unpacked privately for the duration."""
        if not self.needs_unpacking:
            yield self
            return
        from .release.pack import unpacked_home

        with unpacked_home(self.folder(str(self.pack))) as home:
            self._packed_home = home
            try:
                yield self
            finally:
                self._packed_home = None

    def hidden_dirs(self) -> list[Path]:
        """What student code must never see: graders, reference, .git and the declared folders."""
        return [self.graders_dir, self.reference_dir, self.folder(".git"), *(self.folder(h) for h in self.hidden)]


def find_course_root(start: Path | None = None) -> Path:
    """The course folder: --course/TORCHDOJO_COURSE, else the first folder upward holding torchdojo.yaml."""
    named = os.environ.get(COURSE_ENV) or os.environ.get(LEGACY_ENV)
    if named:
        root = Path(named).expanduser().resolve()
        if not (root / MANIFEST).is_file():
            raise CourseError(f"{root}: not a torchdojo course (no {MANIFEST} there) "
                              f"(코스 폴더가 아닙니다: {MANIFEST}이 없습니다)")
        return root
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MANIFEST).is_file():
            return folder
    raise CourseError(f"no {MANIFEST} in {here} or any folder above it: run torchdojo inside a course "
                      f"folder, give --course DIR, or make one with `torchdojo new DIR` "
                      f"(이 폴더와 상위 폴더에 {MANIFEST}이 없습니다. 코스 폴더 안에서 실행하거나 --course DIR을 주세요)")


@lru_cache(maxsize=None)
def _load(path: Path, _stamp: tuple[int, int] | None = None) -> Course:  # stamp: a changed file is read again
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CourseError(f"{path}: cannot read the course manifest ({exc.strerror or exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CourseError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CourseError(f"{path}: the manifest must be a mapping with a 'modules' list")
    try:
        course = Course.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'manifest'}: {e['msg']}" for e in exc.errors())
        raise CourseError(f"{path}: {problems}") from None
    course.root = path.parent
    return course


def load_course(path: Path | None = None) -> Course:
    """The course whose manifest is `path` (a file or its folder), else the current course."""
    if path is None:
        path = find_course_root()
    path = Path(path).resolve()
    if path.is_dir():
        path = path / MANIFEST
    try:
        info = path.stat()
        stamp: tuple[int, int] | None = (info.st_mtime_ns, info.st_size)
    except OSError:
        stamp = None
    return _load(path, stamp)


def project_root() -> Path:
    """The current course's root folder (where graders/, reference/ and exercises/ live)."""
    root = load_course().root
    assert root is not None
    return root


def graders_dir() -> Path:
    return load_course().graders_dir


def reference_dir() -> Path:
    return load_course().reference_dir


def exercises_dir() -> Path:
    return load_course().exercises_dir
