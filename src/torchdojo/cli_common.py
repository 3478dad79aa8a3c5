"""What every command group shares: library errors become 'Error: ...' and exit status 2."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

from .errors import TorchdojoError


def library_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into 'Error: ...' on stderr and exit status 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TorchdojoError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)

    return wrapper
