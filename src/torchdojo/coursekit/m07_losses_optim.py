"""Helpers the 07_losses_optim grader runs inside the student's worker, and (the `variant_*`
part) in the scorer itself. Nothing here is secret; nothing the worker reports through these
helpers awards points by itself: the grader compares the VALUES it gets back (losses, gradients,
parameters) with the reference's, computed in the reference's own worker.

- `losses_and_grads(fn, cases)`: calls a loss function on each case, with a copy of the first
  argument that requires grad; per case what it gave back, `d loss / d x` (None when the result
  is not part of the autograd graph) and which ready-made torch losses it called (a claim of
  the worker: it can only take points away; the grader also reads the source).
- `adam_run(opt_cls, ...)`: the same small optimisation problem (a scaled linear model,
  float64, its data made by the grader) driven by any optimizer class for a number of steps;
  returns the parameters at a few checkpoints. Run with the student's `ManualAdam` in the
  student's worker and with the reference's (torch.optim.Adam's twin, which the project's tests
  check with this same driver) in the reference worker.
- `zero_grad_probe(opt_cls, ...)`: the gradients after `zero_grad()` and one more `backward()`.
- `variant_run(variant, ...)`: run in the SCORER, never in a worker: Adam with one known
  mistake (no bias correction, eps inside the square root...), so that a failing student's
  trajectory can be matched against it and the message can name the real cause.

The driver clears the gradients itself (`p.grad = None`) before every `backward()`, so the
trajectory checks test `step()` alone and `zero_grad()` is checked on its own.
"""

from __future__ import annotations

import functools
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

            try:
                setattr(owner, name, wrapper)
            except (AttributeError, TypeError):
                continue
            self._saved.append((owner, name, original))
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved.clear()


READY_MADE_LOSSES = ("cross_entropy", "nll_loss", "mse_loss")


def _loss_watch() -> _Watch:
    import torch.nn.functional as F

    return _Watch([(F, name) for name in READY_MADE_LOSSES])


def loss_and_grad(fn: Any, x: torch.Tensor, *rest: Any) -> tuple[Any, torch.Tensor | None, list[str]]:
    """`(fn(x, *rest), d fn / d x, library losses used)` with `x` a fresh leaf that requires grad.

    The last part names the ready-made losses the function called (`F.cross_entropy`,
    `F.nll_loss`, `F.mse_loss`, also reached through `nn.CrossEntropyLoss`, `nn.NLLLoss`,
    `nn.MSELoss`).
    """
    x = x.detach().clone().requires_grad_(True)
    with _loss_watch() as watch:
        out = fn(x, *rest)
    grad = None
    if isinstance(out, torch.Tensor) and out.requires_grad and out.numel() == 1:
        out.sum().backward()
        grad = x.grad
    return out, grad, [name.replace("torch.nn.functional", "F") for name in watch.used]


def losses_and_grads(fn: Any, cases: list[tuple]) -> list[tuple[Any, torch.Tensor | None, list[str]]]:
    """`loss_and_grad(fn, *case)` for every case, in one round trip."""
    return [loss_and_grad(fn, *case) for case in cases]


def problem_loss(params: list[torch.Tensor], X: torch.Tensor, Y: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """The loss the drivers minimise: `scale * mean((s * (X @ W) + b - Y) ** 2)` for params `[W, b, s]`.
    (A small `scale` gives small gradients, where the place of `eps` in Adam matters.)"""
    W, b, s = params
    return scale * ((s * (X @ W) + b - Y) ** 2).mean()


def _torch_adam_watch() -> _Watch:
    """Counts `torch.optim.Adam`/`AdamW` objects built and functional Adam calls while active."""
    import torch.optim.adam as adam_module

    targets: list[tuple[Any, str]] = [(torch.optim.Adam, "__init__"), (adam_module, "adam")]
    for name in ("_single_tensor_adam", "_multi_tensor_adam", "_fused_adam"):
        if getattr(adam_module, name, None) is not None:
            targets.append((adam_module, name))
    if getattr(torch.optim, "AdamW", None) is not None:
        targets.append((torch.optim.AdamW, "__init__"))
    functional = getattr(torch.optim, "_functional", None)
    if functional is not None and getattr(functional, "adam", None) is not None:
        targets.append((functional, "adam"))
    return _Watch(targets)


def _holds_torch_adam(opt: Any) -> int:
    """1 when `opt` is, or directly holds, a torch.optim.Adam / AdamW object (a subclass or a wrapper)."""
    kinds = tuple(k for k in (getattr(torch.optim, "Adam", None), getattr(torch.optim, "AdamW", None)) if k)
    if isinstance(opt, kinds):
        return 1
    try:
        values = list(vars(opt).values())
    except TypeError:
        return 0
    return int(any(isinstance(v, kinds) for v in values))


PART_TIME_INIT = (0.7, -0.4)
PART_TIME_TARGET = (-0.5, 0.9)


def adam_run(opt_cls: Any, init: list[torch.Tensor], X: torch.Tensor, Y: torch.Tensor, steps: int,
             checkpoints: list[int], opt_kwargs: dict | None = None, pass_generator: bool = False,
             unused_at: int | None = None, loss_scale: float = 1.0,
             part_time: tuple[int, int] | None = None) -> dict:
    """Drive `opt_cls` on `problem_loss` for `steps` steps; the parameters at each checkpoint.

    `pass_generator`: the optimizer gets a generator (like `model.parameters()`), not a list.
    `unused_at`: insert, at that position of the parameter list, an extra parameter the loss
    never uses (its `.grad` stays None, as for a frozen layer).
    `part_time=(position, last_step)`: insert there an extra parameter that the loss uses only
    in steps 1..last_step (after that its `.grad` is None, like a layer frozen during training:
    torch.optim.Adam then leaves it where it is, momentum and all).
    `loss_scale`: multiplies the loss (and so every gradient).
    Returns `{"trajectory": [len(checkpoints), n] tensor of all parameters flattened (the
    extra ones included), "torch_adam": how often torch's own Adam was used}`.
    """
    dtype, device = init[0].dtype, init[0].device
    params = [t.detach().clone().requires_grad_(True) for t in init]
    everything = list(params)
    if unused_at is not None:
        unused = torch.linspace(-1.0, 1.0, 3, dtype=dtype, device=device).requires_grad_(True)
        everything.insert(unused_at, unused)
    part = None
    if part_time is not None:
        part = torch.tensor(PART_TIME_INIT, dtype=dtype, device=device).requires_grad_(True)
        everything.insert(int(part_time[0]), part)
        part_target = torch.tensor(PART_TIME_TARGET, dtype=dtype, device=device)
    given = (p for p in everything) if pass_generator else list(everything)
    snapshots = []
    wanted = set(int(c) for c in checkpoints)
    own = opt_cls is torch.optim.Adam
    with _torch_adam_watch() as watch:
        opt = opt_cls(given, **(opt_kwargs or {}))
        for step in range(1, int(steps) + 1):
            for p in everything:
                p.grad = None
            loss = problem_loss(params, X, Y, loss_scale)
            if part is not None and step <= int(part_time[1]):
                loss = loss + loss_scale * ((part - part_target) ** 2).sum()
            loss.backward()
            opt.step()
            if step in wanted:
                snapshots.append(torch.cat([p.detach().reshape(-1) for p in everything]).clone())
    return {"trajectory": torch.stack(snapshots), "torch_adam": 0 if own else watch.calls + _holds_torch_adam(opt)}


def zero_grad_probe(opt_cls: Any, init: list[torch.Tensor], X: torch.Tensor, Y: torch.Tensor) -> dict:
    """What `opt.zero_grad()` does.

    1. `zero_grad()` right after construction, before any `backward()` (grads are None then,
       as in the first batch of a training loop): must not fail.
    2. two `backward()` calls (gradients accumulate), then `zero_grad()`: `cleared[i]` is True
       when parameter i's grad is None or all zeros (a claim, used for the message only).
    3. one more `backward()`: `after`, which the grader compares with one fresh gradient that it
       computes itself.
    `torch_adam`: how often torch's own Adam was used (0 when `opt_cls` is torch.optim.Adam).
    """
    params = [t.detach().clone().requires_grad_(True) for t in init]
    with _torch_adam_watch() as watch:
        opt = opt_cls(list(params))
        opt.zero_grad()
        problem_loss(params, X, Y).backward()
        problem_loss(params, X, Y).backward()
        opt.zero_grad()
        cleared = [p.grad is None or bool((p.grad == 0).all()) for p in params]
        problem_loss(params, X, Y).backward()
    after = [p.grad.detach().clone() if p.grad is not None else None for p in params]
    return {"cleared": cleared, "after": after,
            "torch_adam": 0 if opt_cls is torch.optim.Adam else watch.calls + _holds_torch_adam(opt)}


def fresh_gradients(init: list[torch.Tensor], X: torch.Tensor, Y: torch.Tensor) -> list[torch.Tensor]:
    """One backward() of `problem_loss` at `init` (the scorer computes it for `zero_grad_probe`)."""
    params = [t.detach().clone().requires_grad_(True) for t in init]
    return [g.detach() for g in torch.autograd.grad(problem_loss(params, X, Y), params)]


# -- known mistakes, for the messages (run in the scorer) ------------------------------------

VARIANTS = ("correct", "no_bias_correction", "eps_inside_sqrt", "t_plus_one", "betas_swapped",
            "v_not_squared", "defaults_only", "none_as_zero", "only_m_corrected", "only_v_corrected")


class _VariantAdam:
    """Adam as torch.optim.Adam computes it, or with one known mistake (`variant`)."""

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple = (0.9, 0.999), eps: float = 1e-8,
                 variant: str = "correct") -> None:
        if variant == "defaults_only":
            lr, betas, eps = 1e-3, (0.9, 0.999), 1e-8
        self.params = list(params)
        self.lr, (self.b1, self.b2), self.eps, self.variant = lr, betas, eps, variant
        self.state = [{"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)} for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        b1, b2, var = self.b1, self.b2, self.variant
        for p, s in zip(self.params, self.state):
            if p.grad is None:
                if var != "none_as_zero" or s["t"] == 0:
                    continue
                g = torch.zeros_like(p)
            else:
                g = p.grad
            s["t"] += 1
            t = s["t"] + (1 if var == "t_plus_one" else 0)
            if var == "betas_swapped":
                s["m"] = (1 - b1) * s["m"] + b1 * g
                s["v"] = (1 - b2) * s["v"] + b2 * g * g
            else:
                s["m"] = b1 * s["m"] + (1 - b1) * g
                s["v"] = b2 * s["v"] + (1 - b2) * (g.abs() if var == "v_not_squared" else g * g)
            m_hat = s["m"] if var in ("no_bias_correction", "only_v_corrected") else s["m"] / (1 - b1 ** t)
            v_hat = s["v"] if var in ("no_bias_correction", "only_m_corrected") else s["v"] / (1 - b2 ** t)
            if var == "eps_inside_sqrt":
                p -= self.lr * m_hat / torch.sqrt(v_hat + self.eps)
            else:
                p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)


def variant_run(variant: str, *args: Any, **kwargs: Any) -> torch.Tensor | None:
    """The trajectory `adam_run` gives for Adam with the mistake `variant` (None if it fails)."""
    try:
        return adam_run(functools.partial(_VariantAdam, variant=variant), *args, **kwargs)["trajectory"]
    except (RuntimeError, ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None


def adam_runs(opt_cls: Any, runs: list[dict]) -> list[dict]:
    """`adam_run(opt_cls, **run)` for every run, in one round trip."""
    return [adam_run(opt_cls, **run) for run in runs]
