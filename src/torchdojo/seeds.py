"""The seed of a run's random inputs: drawn in one place when none is given."""

from __future__ import annotations

import secrets


def new_seed() -> int:
    return secrets.randbelow(2**31)
