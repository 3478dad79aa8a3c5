"""Shared fixtures of torchdojo's own tests.

One Scorer (one fork server, warm reference workers) serves the whole session, so the
~2.4 s torch import is paid once. Inputs are random per seed: the seed is fixed by default
so CI is reproducible; set TORCHDOJO_TEST_SEED to try others.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import ROOT, SEED  # noqa: E402


def pytest_report_header(config: pytest.Config) -> str:
    return f"torchdojo grading seed: {SEED} (set TORCHDOJO_TEST_SEED to change)"


@pytest.fixture(scope="session")
def scorer():
    from torchdojo.grading.runner import Scorer

    with Scorer(device="cpu", seed=SEED, lang="en") as s:
        yield s


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT
