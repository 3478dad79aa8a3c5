"""Helpers the 02_autograd grader runs inside the student's worker (nothing here is secret).

Generic probes (in-place changes, gradients through a kept result, one gradient step) are in
`torchdojo.coursekit.probes`. Here:

- `GradModeProbe(token)`: an identity layer for `predict`'s model. At every forward it records
  whether gradient tracking was on and whether the layer was in training mode, in this module's
  private table under `token` (never on the model, which the student's code holds), read back
  with `grad_mode_records(token)`. The records only ever take points away or improve a message:
  the points of `predict` rest on values and on gradients fetched through a probe.
- `requires_grad_flags(model)`: `[(name, requires_grad), ...]` of every parameter (also a claim:
  it only takes points away); `records_and_flags(token, model)`: both in one round trip.
- `flags_and_step(model, x, factor, lr)`: the flags, then `probes.gd_step` (the outcome).
"""

from __future__ import annotations

import torch
from torch import nn

_RECORDS: dict[str, list[tuple[bool, bool]]] = {}


class GradModeProbe(nn.Module):
    """Identity layer; each forward appends `(grad_enabled, training)` to the records of `token`."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _RECORDS.setdefault(str(self.token), []).append((bool(torch.is_grad_enabled()), bool(self.training)))
        return x


def grad_mode_records(token: str) -> list[tuple[bool, bool]]:
    """What the probe layer(s) made with `token` saw, one `(grad_enabled, training)` per forward."""
    return list(_RECORDS.get(str(token), []))


def requires_grad_flags(model: nn.Module) -> list[tuple[str, bool]]:
    return [(name, bool(p.requires_grad)) for name, p in model.named_parameters()]


def records_and_flags(token: str, model: nn.Module) -> tuple[list, list]:
    return grad_mode_records(token), requires_grad_flags(model)


def flags_and_step(model: nn.Module, x: torch.Tensor, factor: float, lr: float) -> tuple[list, dict]:
    from .probes import gd_step

    flags = requires_grad_flags(model)
    return flags, gd_step(model, x, factor, lr)
