"""Helpers the 07_losses_optim grader runs inside the student's worker (nothing here is secret).

- `loss_and_grad(fn, x, *rest)`: calls a loss function on a copy of `x` that requires grad
  and returns what it gave back plus `d loss / d x` (None when the result is not part of
  the autograd graph), so the grader can compare values AND gradients, and which ready-made
  torch losses it called (the exercise is to compute them by hand).
- `adam_run(opt_cls, ...)`: the same small optimisation problem (a scaled linear model,
  float64, made by the grader from its seed) driven by any optimizer class for a number of
  steps; returns the parameters at a few checkpoints. Run with the student's `ManualAdam`
  in the student's worker and with the reference's (torch.optim.Adam's twin, which the
  project's tests check with this same driver) in the reference worker. It also counts
  whether torch's own Adam was used.
- `zero_grad_probe(opt_cls, ...)`: what `zero_grad()` does to the gradients.

The driver clears the gradients itself (`p.grad = None`) before every `backward()`, so the
trajectory checks test `step()` alone and `zero_grad()` is checked on its own.
"""

from __future__ import annotations

from typing import Any

import torch


class _Watch:
    """Counts calls of some library functions (`owner.name`) while active, then restores them."""

    def __init__(self, targets: list[tuple[Any, str]]) -> None:
        self.targets = targets
        self.calls = 0
        self.used: list[str] = []
        self._saved: list[tuple[Any, str, Any]] = []

    def __enter__(self) -> "_Watch":
        for owner, name in self.targets:
            original = getattr(owner, name, None)
            if original is None:
                continue
            label = f"{getattr(owner, '__name__', type(owner).__name__)}.{name}"

            def wrapper(*args: Any, _original: Any = original, _label: str = label, **kwargs: Any) -> Any:
                self.calls += 1
                if _label not in self.used:
                    self.used.append(_label)
                return _original(*args, **kwargs)

            self._saved.append((owner, name, original))
            setattr(owner, name, wrapper)
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()


def loss_and_grad(fn: Any, x: torch.Tensor, *rest: Any) -> tuple[Any, torch.Tensor | None, list[str]]:
    """`(fn(x, *rest), d fn / d x, library losses used)` with `x` a fresh leaf that requires grad.

    The last part names the ready-made losses the function called (`F.cross_entropy`,
    `F.mse_loss`, also reached through `nn.CrossEntropyLoss` / `nn.MSELoss`).
    """
    import torch.nn.functional as F

    x = x.detach().clone().requires_grad_(True)
    with _Watch([(F, "cross_entropy"), (F, "mse_loss")]) as watch:
        out = fn(x, *rest)
    grad = None
    if isinstance(out, torch.Tensor) and out.requires_grad and out.numel() == 1:
        out.sum().backward()
        grad = x.grad
    return out, grad, [name.replace("torch.nn.functional", "F") for name in watch.used]


def problem_loss(params: list[torch.Tensor], X: torch.Tensor, Y: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """The loss the drivers minimise: `scale * mean((s * (X @ W) + b - Y) ** 2)` for params `[W, b, s]`.
    (A small `scale` gives small gradients, where the place of `eps` in Adam matters.)"""
    W, b, s = params
    return scale * ((s * (X @ W) + b - Y) ** 2).mean()


def _torch_adam_watch() -> _Watch:
    """Counts `torch.optim.Adam` objects built and functional Adam calls while active."""
    import torch.optim.adam as adam_module

    targets: list[tuple[Any, str]] = [(torch.optim.Adam, "__init__"), (adam_module, "adam")]
    functional = getattr(torch.optim, "_functional", None)
    if functional is not None and getattr(functional, "adam", None) is not None:
        targets.append((functional, "adam"))
    return _Watch(targets)


def adam_run(opt_cls: Any, init: list[torch.Tensor], X: torch.Tensor, Y: torch.Tensor, steps: int,
             checkpoints: list[int], opt_kwargs: dict | None = None, pass_generator: bool = False,
             unused_at: int | None = None, loss_scale: float = 1.0) -> dict:
    """Drive `opt_cls` on `problem_loss` for `steps` steps; the parameters at each checkpoint.

    `pass_generator`: the optimizer gets a generator (like `model.parameters()`), not a list.
    `unused_at`: insert, at that position of the parameter list, an extra parameter the loss
    never uses (its `.grad` stays None, as for a frozen layer).
    `loss_scale`: multiplies the loss (and so every gradient).
    Returns `{"trajectory": [len(checkpoints), n] tensor of all parameters flattened (the
    unused one included), "torch_adam": how often torch's own Adam was used}`.
    """
    params = [t.detach().clone().requires_grad_(True) for t in init]
    everything = list(params)
    if unused_at is not None:
        unused = torch.linspace(-1.0, 1.0, 3, dtype=init[0].dtype, device=init[0].device).requires_grad_(True)
        everything.insert(unused_at, unused)
    given = (p for p in everything) if pass_generator else list(everything)
    snapshots = []
    wanted = set(int(c) for c in checkpoints)
    own = opt_cls is torch.optim.Adam
    with _torch_adam_watch() as watch:
        opt = opt_cls(given, **(opt_kwargs or {}))
        for step in range(1, int(steps) + 1):
            for p in everything:
                p.grad = None
            problem_loss(params, X, Y, loss_scale).backward()
            opt.step()
            if step in wanted:
                snapshots.append(torch.cat([p.detach().reshape(-1) for p in everything]).clone())
    return {"trajectory": torch.stack(snapshots), "torch_adam": 0 if own else watch.calls}


def zero_grad_probe(opt_cls: Any, init: list[torch.Tensor], X: torch.Tensor, Y: torch.Tensor) -> dict:
    """What `opt.zero_grad()` does.

    1. `zero_grad()` right after construction, before any `backward()` (grads are None then,
       as in the first batch of a training loop): must not fail.
    2. two `backward()` calls (gradients accumulate), then `zero_grad()`: `cleared[i]` is True
       when parameter i's grad is None or all zeros.
    3. one more `backward()`: `after` must equal `single`, one fresh gradient.
    `torch_adam`: how often torch's own Adam was used (0 when `opt_cls` is torch.optim.Adam).
    """
    params = [t.detach().clone().requires_grad_(True) for t in init]
    single = torch.autograd.grad(problem_loss(params, X, Y), params)
    with _torch_adam_watch() as watch:
        opt = opt_cls(list(params))
        opt.zero_grad()
        problem_loss(params, X, Y).backward()
        problem_loss(params, X, Y).backward()
        opt.zero_grad()
        cleared = [p.grad is None or bool((p.grad == 0).all()) for p in params]
        problem_loss(params, X, Y).backward()
    after = [p.grad.detach().clone() if p.grad is not None else None for p in params]
    return {"cleared": cleared, "after": after, "single": [g.detach().clone() for g in single],
            "torch_adam": 0 if opt_cls is torch.optim.Adam else watch.calls}
