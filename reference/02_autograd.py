"""02_autograd (자동 미분) — reference solution. Instructors only."""

import torch
from torch import nn


def quadratic_grads(w: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    w = w.detach().clone().requires_grad_(True)
    x = x.detach().clone().requires_grad_(True)
    loss = ((3 * w) ** 2 + (2 * x) ** 2).sum()
    loss.backward()
    return w.grad, x.grad


def intermediate_grad(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    a = a.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    c = a * b
    c.retain_grad()
    loss = (c ** 2).sum()
    loss.backward()
    return c.grad


def accumulated_grads(x: torch.Tensor, times: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().clone().requires_grad_(True)
    for _ in range(times):
        (x ** 2).sum().backward()
    accumulated = x.grad.clone()
    x.grad.zero_()
    (x ** 2).sum().backward()
    after_zero = x.grad.clone()
    return accumulated, after_zero


def detached(x: torch.Tensor) -> torch.Tensor:
    return x.detach()


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(x)


def freeze_except_last(model: nn.Sequential) -> nn.Sequential:
    last = None
    for module in model.modules():
        if isinstance(module, nn.Linear):
            last = module
    for p in model.parameters():
        p.requires_grad_(False)
    if last is not None:
        for p in last.parameters():
            p.requires_grad_(True)
    return model
