"""Worker-side helpers of the 04_nn_module grader: describe a model, load known weights.

They run inside the student's (or the reference's) worker on the model built there, and
send back only plain data. Nothing here is secret.
"""

from __future__ import annotations

from typing import Any

import torch


def _qualname(obj: Any) -> str:
    tp = type(obj)
    return f"{tp.__module__}.{tp.__qualname__}"


def describe_mlp(model: Any) -> dict:
    """What the grader needs to know of an MLP: its layers fc1/fc2 and its registered parameters."""
    info: dict = {"is_module": isinstance(model, torch.nn.Module), "type": _qualname(model), "layers": {},
                  "parameters": []}
    for name in ("fc1", "fc2"):
        layer = getattr(model, name, None) if info["is_module"] else None
        if layer is None:
            info["layers"][name] = None
            continue
        entry = {"type": _qualname(layer), "is_linear": isinstance(layer, torch.nn.Linear)}
        if entry["is_linear"]:
            entry["in_features"] = int(layer.in_features)
            entry["out_features"] = int(layer.out_features)
            entry["bias"] = layer.bias is not None
        info["layers"][name] = entry
    if info["is_module"]:
        info["parameters"] = [[name, [int(d) for d in p.shape]] for name, p in model.named_parameters()]
    return info


def _registry(model: Any) -> list:
    """Every parameter in nn.Module's own registries (`_parameters` of the module and of its
    submodules, read from the instances' __dict__), each once: what `state_dict()`, `.to()` and a
    default `parameters()` see, whatever methods the class overrides."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{type(model).__name__} is not an nn.Module")
    found: list = []
    seen_params: set = set()
    seen_modules: set = set()
    todo = [model]
    while todo:
        module = todo.pop()
        if id(module) in seen_modules:
            continue
        seen_modules.add(id(module))
        state = object.__getattribute__(module, "__dict__")
        for p in dict(state.get("_parameters") or {}).values():
            if isinstance(p, torch.Tensor) and id(p) not in seen_params:
                seen_params.add(id(p))
                found.append(p)
        todo.extend(m for m in dict(state.get("_modules") or {}).values() if isinstance(m, torch.nn.Module))
    return found


def registered_parameters(model: Any) -> int:
    """How many parameter tensors nn.Module's own registries hold. Raises for a non-Module."""
    return len(_registry(model))


def load_and_scale(model: Any, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor, b2: torch.Tensor,
                   scale: float) -> str | None:
    """Copy known weights into `model.fc1`/`model.fc2`, then multiply every parameter in nn.Module's
    registries by `scale` (drawn by the scorer; a layer that is not registered keeps the unscaled
    weights, so the outputs show it). None, or what stopped it (a sentence)."""
    try:
        params = _registry(model)
    except TypeError as exc:
        return f"not an nn.Module: {exc}"
    try:
        layers = [getattr(model, "fc1"), getattr(model, "fc2")]
    except AttributeError as exc:
        return f"missing layer: {exc}"
    with torch.no_grad():
        try:
            for layer, w, b in zip(layers, (w1, w2), (b1, b2)):
                layer.weight.copy_(w)
                layer.bias.copy_(b)
        except (AttributeError, RuntimeError, TypeError) as exc:
            return f"could not set the weights: {type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        for p in params:
            p.mul_(scale)
    model.to(w1.device)
    return None
