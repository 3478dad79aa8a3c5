"""SCORER SIDE: runs untrusted student code in forked workers and judges what comes back.

The trust boundary is in the layout:
- `torchdojo.sandbox` (this package) runs in the scorer: `remote` (proxies for the student's
  module and objects), `zygote` (the handle on the fork server), `isolation` (which tier and
  every decision about a worker), `limits`, `memory` (the whole worker tree's memory),
  `files` (reading submission files safely), `explain`, `devices`.
- `torchdojo.worker` runs next to the student's code: its request loop and encoder, the
  process set-up done in the child, the fork server's own loop. Nothing it says is trusted.
- `torchdojo.wire` is between them: framing, the worker spec, requests, and the answer format
  whose every size the scorer checks before it materialises anything.
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
