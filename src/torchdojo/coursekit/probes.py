"""Generic trusted probes that graders run inside the student's worker (nothing here is secret).

They turn a process rule into an outcome the scorer can judge from values:

- `add_in_place(target, delta, read=None)`: change a tensor or NumPy array in place by `delta`,
  after the student's function returned (the scorer draws `delta` only then), and return `read`
  (e.g. the kept result) in the same round trip. A result that shares memory with `target`
  follows the change; a copy does not. Compare what comes back in the scorer.
- `grads_of(output, factor, leaves)`: the gradients of `(output * factor).sum()` with respect to
  each leaf (a list of tensors, or a module: its parameters), `None` where no graph leads there.
  Computed with `torch.autograd.grad`, so hooks that clear `.grad` after accumulation change
  nothing, and nothing is left in any `.grad`.
- `gd_step(model, x, factor, lr)`: one step of plain gradient descent on `(model(x) * factor).sum()`
  for the parameters that require grad; returns every parameter's new value by name.
- `leaf(x)`, `scaled(t, k)`: a leaf copy that requires grad, and `t * k` (a non-leaf of its graph).
- `values(*objs)`: several kept objects fetched in one round trip.

Each probe works on what the scorer kept in the worker (`student.put`, `_keep=True`) and returns
plain data. What a probe returns is fetched and judged in the scorer; probes keep no records.
"""

from __future__ import annotations

from typing import Any

import torch


def add_in_place(target: Any, delta: Any, read: Any = None) -> Any:
    """`target += delta` in place (a tensor, also one that requires grad, or a NumPy array); returns `read`.

    On the CPU the change is written through NumPy, below torch's dispatcher, so no
    Python-level override of torch operations can intercept it.
    """
    import numpy as np

    if isinstance(target, np.ndarray):
        change = delta.detach().cpu().numpy() if isinstance(delta, torch.Tensor) else np.asarray(delta)
        np.add(target, change.astype(target.dtype, copy=False), out=target, casting="unsafe")
        return read
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"expected a tensor or an array, got {type(target).__name__}")
    with torch.no_grad():
        change = torch.as_tensor(delta).to(device=target.device, dtype=target.dtype)
        plain = target.detach()
        if plain.device.type == "cpu" and plain.dtype not in (torch.bfloat16,) and not plain.is_conj():
            view = plain.numpy()
            np.add(view, change.expand_as(plain).numpy(), out=view, casting="unsafe")
        else:
            plain.add_(change)
    return read


def _leaf_list(leaves: Any) -> list:
    if isinstance(leaves, torch.nn.Module):
        return [p for _, p in leaves.named_parameters()]
    return list(leaves)


def grads_of(output: Any, factor: float, leaves: Any) -> list:
    """d(sum(output * factor))/d(leaf) for each leaf: a detached copy, or None (no path, or no graph)."""
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"expected a tensor, got {type(output).__name__}")
    items = _leaf_list(leaves)
    wanted = [i for i, t in enumerate(items) if isinstance(t, torch.Tensor) and t.requires_grad]
    out: list = [None] * len(items)
    if not output.requires_grad or not wanted:
        return out
    with torch.enable_grad():
        total = (output * factor).sum()
        grads = torch.autograd.grad(total, [items[i] for i in wanted], allow_unused=True)
    for i, g in zip(wanted, grads):
        out[i] = None if g is None else g.detach().clone()
    return out


def gd_step(model: torch.nn.Module, x: torch.Tensor, factor: float, lr: float) -> dict:
    """One step `p -= lr * grad` of `(model(x) * factor).sum()` for parameters that require grad.

    Returns `{name: value}` of every parameter after the step (frozen ones unchanged).
    """
    named = list(model.named_parameters())
    trainable = [(n, p) for n, p in named if p.requires_grad]
    if trainable:
        with torch.enable_grad():
            total = (model(x) * factor).sum()
            grads = torch.autograd.grad(total, [p for _, p in trainable], allow_unused=True)
        with torch.no_grad():
            for (_, p), g in zip(trainable, grads):
                if g is not None:
                    p.sub_(lr * g)
    return {n: p.detach().clone() for n, p in named}


def leaf(x: torch.Tensor) -> torch.Tensor:
    """A leaf copy of `x` that requires grad (made where the student's code runs)."""
    return x.detach().clone().requires_grad_(True)


def scaled(t: torch.Tensor, k: float) -> torch.Tensor:
    """`t * k`: with `t` requiring grad, a non-leaf tensor of t's graph with its own memory."""
    return t * k


def values(*objs: Any) -> list:
    """The objects themselves, so one round trip fetches several kept results as plain data."""
    return list(objs)
