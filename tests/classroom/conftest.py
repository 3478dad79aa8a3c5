"""The made-up class, graded once per test session with the real scorer (modules 01 and 02)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from classmates import MODULES, make_class  # noqa: E402


@pytest.fixture(scope="session")
def class_root(tmp_path_factory) -> Path:
    return make_class(tmp_path_factory.mktemp("class") / "submissions")


@pytest.fixture(scope="session")
def class_reports(class_root, scorer):
    from torchdojo.grading.runner import class_submissions

    return [scorer.score(path, MODULES, student=name, extra_hidden=[class_root])
            for name, path in class_submissions(class_root)]


@pytest.fixture(scope="session")
def class_journal(class_reports, tmp_path_factory) -> Path:
    """The class's results as `grade` journals them."""
    from torchdojo.grading.journal import Journal

    journal = Journal.open(tmp_path_factory.mktemp("journal") / "grades.jsonl", resume=False)
    journal.start(class_reports[0].seed, class_reports[0].device)
    for rep in class_reports:
        journal.record(rep)
    return journal.path
