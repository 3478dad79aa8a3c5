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


def load_mlp_weights(model: torch.nn.Module, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor,
                     b2: torch.Tensor) -> None:
    """Copy known weights into `model.fc1` and `model.fc2`, then move the model to their device."""
    with torch.no_grad():
        model.fc1.weight.copy_(w1)
        model.fc1.bias.copy_(b1)
        model.fc2.weight.copy_(w2)
        model.fc2.bias.copy_(b2)
    model.to(w1.device)
