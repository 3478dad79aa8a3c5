"""Runs untrusted student code in forked worker processes; only plain data comes back.

Layout: `zygote` forks workers from a clean process that has torch imported;
`worker` is the loop inside a worker; `wire` frames and encodes what crosses;
`remote` is the scorer's side (proxies for the student's module and objects).
"""

from .limits import Limits
from .remote import (
    RemoteModule,
    RemoteObject,
    StudentCrash,
    StudentError,
    StudentMissing,
    StudentTimeout,
    WorkerProblem,
)
from .zygote import Zygote

__all__ = [
    "Limits",
    "RemoteModule",
    "RemoteObject",
    "StudentCrash",
    "StudentError",
    "StudentMissing",
    "StudentTimeout",
    "WorkerProblem",
    "Zygote",
]
