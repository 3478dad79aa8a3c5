"""The course catalogue (course.yaml) as typed data, and where its files live."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator

from .errors import CourseError
from .sandbox.limits import Limits

CATALOGUE = Path(__file__).with_name("course.yaml")


class Text(BaseModel):
    ko: str
    en: str


class Module(BaseModel):
    name: str = Field(pattern=r"^\d\d_[a-z0-9_]+$")
    title: Text
    exercises: list[str]
    limits: dict[str, Any] = Field(default_factory=dict)

    @field_validator("limits")
    @classmethod
    def _known_limits(cls, value: dict[str, Any]) -> dict[str, Any]:
        Limits().with_overrides(value)  # raises on unknown keys
        return value

    @property
    def filename(self) -> str:
        return f"{self.name}.py"

    @property
    def grader_filename(self) -> str:
        return f"test_{self.name}.py"

    def limits_for(self, base: Limits | None = None) -> Limits:
        return (base or Limits()).with_overrides(self.limits)


class Course(BaseModel):
    modules: list[Module]

    def module(self, name: str) -> Module:
        for module in self.modules:
            if module.name == name or module.name.split("_", 1)[0] == name:
                return module
        known = ", ".join(m.name for m in self.modules)
        raise CourseError(f"unknown module {name!r} (known: {known})")

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.modules]


@lru_cache(maxsize=None)
def load_course(path: Path = CATALOGUE) -> Course:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Course.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise CourseError(f"{path}: {exc}") from exc


def project_root() -> Path:
    """Where `graders/`, `reference/` and `exercises/` live (TORCHDOJO_HOME overrides)."""
    env = os.environ.get("TORCHDOJO_HOME")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def graders_dir() -> Path:
    return project_root() / "graders"


def reference_dir() -> Path:
    return project_root() / "reference"


def exercises_dir() -> Path:
    return project_root() / "exercises"
