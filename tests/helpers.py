"""Constants and a CLI runner shared by torchdojo's own tests (imported as `helpers`).

Kept out of conftest.py: with several conftest.py files (tests/, tests/quiz/), `from conftest
import ...` would pick whichever pytest imported last.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = int(os.environ.get("TORCHDOJO_TEST_SEED", "20261124"))
TORCHDOJO = [sys.executable, "-m", "torchdojo"]


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """The real `torchdojo` command, English messages, no colour."""
    env = {**os.environ, "TORCHDOJO_LANG": "en", "NO_COLOR": "1"}
    return subprocess.run([*TORCHDOJO, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)
