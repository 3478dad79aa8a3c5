"""Helpers the 03_gradient_descent grader runs inside the student's worker (nothing here is secret).

- `watch_optimizers()` / `optimizers_used()`: record every `torch.optim` optimizer built
  from then on in this process (the exercise is gradient descent without torch.optim).
- `parameter_defaults(fn)`: the default values of a function's parameters.
- `ParamBundle`: parameters with `.grad` already set, built in the worker (pickling a
  tensor does not carry its `.grad`); `bundle_params(b)` is what the student's `gd_step`
  gets (a list, or a `parameters()` generator), `bundle_state(b)` what the grader reads
  afterwards: the ORIGINAL tensor objects' values and grads.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

_OPTIMIZERS_USED: list[str] = []


def watch_optimizers() -> None:
    """From now on, every optimizer built in this process is recorded (reset each call)."""
    _OPTIMIZERS_USED.clear()
    base = torch.optim.Optimizer
    if getattr(base.__init__, "_torchdojo_watch", False):
        return
    original = base.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _OPTIMIZERS_USED.append(f"{type(self).__module__}.{type(self).__qualname__}")
        return original(self, *args, **kwargs)

    __init__._torchdojo_watch = True  # type: ignore[attr-defined]
    base.__init__ = __init__  # type: ignore[method-assign]


def optimizers_used() -> list[str]:
    return list(_OPTIMIZERS_USED)


class ParamBundle:
    """Leaf tensors (or nn.Parameters) that require grad, each with its `.grad` set."""

    def __init__(self, values: list[torch.Tensor], grads: list[torch.Tensor], kind: str = "tensors"):
        self.kind = kind
        if kind == "tensors":
            self.params = [v.detach().clone().requires_grad_(True) for v in values]
        elif kind in ("parameters", "generator"):
            self.params = [nn.Parameter(v.detach().clone()) for v in values]
        else:
            raise ValueError(kind)
        for p, g in zip(self.params, grads):
            p.grad = g.detach().clone().to(p.device, p.dtype)
        self.originals = tuple(self.params)
        self.container = nn.ParameterList(self.params) if kind == "generator" else None


def make_bundle(values: list[torch.Tensor], grads: list[torch.Tensor], kind: str = "tensors") -> ParamBundle:
    return ParamBundle(values, grads, kind)


def bundle_params(bundle: ParamBundle):  # type: ignore[no-untyped-def]
    """What `gd_step` gets: the list of parameters, or a fresh `parameters()` generator."""
    if bundle.kind == "generator":
        return bundle.container.parameters()
    return bundle.params


def bundle_state(bundle: ParamBundle) -> list[dict]:
    """The original tensors after the student's call: value, grad, and what kind of tensor."""
    state = []
    for i, p in enumerate(bundle.originals):
        current = bundle.params[i] if bundle.kind != "generator" else p
        state.append({
            "value": p.detach().clone(),
            "grad": None if p.grad is None else p.grad.detach().clone(),
            "is_leaf": bool(p.is_leaf),
            "requires_grad": bool(p.requires_grad),
            "is_parameter": isinstance(p, nn.Parameter),
            "same_in_list": current is p,
        })
    return state


def parameter_defaults(fn) -> dict:  # type: ignore[no-untyped-def]
    """`{name: default}` of a function's parameters (numbers as they are, anything else as its repr;
    parameters without a default are left out)."""
    import inspect

    out: dict = {}
    for name, param in inspect.signature(fn).parameters.items():
        if param.default is inspect.Parameter.empty:
            continue
        value = param.default
        out[name] = value if type(value) in (int, float, bool) or value is None else repr(value)
    return out


def leaf_probe(result, factors):  # type: ignore[no-untyped-def]
    """For each returned tensor: backward of `(t * factor).sum()` through it, and its gradient.

    A leaf tensor (the parameter itself, or `w.detach()`) gets exactly `factor` as its gradient.
    A non-leaf one (still part of the training graph, e.g. `w[0]` or `w - lr * w.grad`) does not
    keep a gradient: backward goes past it into the graph it came from. The scorer draws the
    factors after `fit_line` returned and compares the gradients (plain values) with its own.
    """
    out = []
    items = result if isinstance(result, (tuple, list)) else [result]
    for t, f in zip(items, factors):
        if not isinstance(t, torch.Tensor):
            out.append({"tensor": False, "value": None, "grad": None, "error": None})
            continue
        entry = {"tensor": True, "value": t.detach().clone(), "grad": None, "error": None}
        try:
            if t.is_leaf:
                t.grad = None
                if not t.requires_grad:
                    t.requires_grad_(True)
            (t * f).sum().backward()
            g = t.grad if t.is_leaf or t.retains_grad else None
            entry["grad"] = None if g is None else g.detach().clone()
        except RuntimeError as exc:
            entry["error"] = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        out.append(entry)
    return out
