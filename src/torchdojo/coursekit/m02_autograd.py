"""Helpers the 02_autograd grader runs inside the student's worker (nothing here is secret).

- `leaf_requiring_grad(x)` / `with_graph(x)`: inputs for `detached` that really carry
  autograd state (a leaf that requires grad, a non-leaf with a grad_fn) on the run's device.
- `GradModeProbe`: an identity layer that records, at every forward, whether gradient
  tracking was on and whether the model was in training mode (for `predict`).
- `requires_grad_flags(model)`: `[(name, requires_grad), ...]` of every parameter.
"""

from __future__ import annotations

import torch
from torch import nn


def leaf_requiring_grad(x: torch.Tensor) -> torch.Tensor:
    """A leaf copy of `x` with `requires_grad=True` (made where the student's code runs)."""
    return x.detach().clone().requires_grad_(True)


def with_graph(x: torch.Tensor) -> torch.Tensor:
    """A non-leaf tensor equal to `x` that is part of a graph (it has a grad_fn)."""
    leaf = x.detach().clone().requires_grad_(True)
    return leaf * 1.0


class GradModeProbe(nn.Module):
    """Identity layer; `calls` holds `(grad_enabled, training)` of every forward."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((bool(torch.is_grad_enabled()), bool(self.training)))
        return x


def requires_grad_flags(model: nn.Module) -> list[tuple[str, bool]]:
    return [(name, bool(p.requires_grad)) for name, p in model.named_parameters()]
