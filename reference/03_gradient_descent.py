"""03_gradient_descent (경사 하강법, no torch.optim) — reference solution. Instructors only."""

from typing import Iterable

import torch


def fit_line(x: torch.Tensor, y: torch.Tensor, lr: float = 0.1, steps: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    b = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
    for _ in range(steps):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.detach(), b.detach()


def gd_step(params: Iterable[torch.Tensor], lr: float) -> None:
    with torch.no_grad():
        for p in params:
            if p.grad is None:
                continue
            p -= lr * p.grad
            p.grad.zero_()
