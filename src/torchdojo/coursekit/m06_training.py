"""Helpers the 06_training grader runs inside the student's worker (nothing here is secret).

A `Rig` is one small classification set-up built in the worker from the scorer's data: a
`ProbeNet` (Linear -> ReLU -> Dropout -> Linear), two `DataLoader`s that each own a
`torch.Generator` (iterating them never touches torch's global generator), a plain
`nn.CrossEntropyLoss`, a plain `torch.optim.SGD` and optionally a real scheduler (`StepLR`
or `ReduceLROnPlateau`). Nothing the student receives records anything about itself.

`run_cases(kind, fn, cases, device)` builds one rig per case, seeds torch's generator and the
loaders' generators from the case's seed (so dropout masks and shuffling agree between the
student's worker and the reference's), calls `fn` (the student's or the reference's
`train_one_epoch`, `evaluate` or `fit`) and returns plain data: what `fn` returned, the
parameters after it, the parameters before it. The scorer compares those values with the
reference's on the same case; that is where every point comes from.

One rule has no value outcome: `evaluate` must run under `torch.no_grad()`. For it the
`ProbeNet` counts its forward passes, and those with gradient tracking on, in a record kept in
this module's private state under a random token the scorer chose (never an attribute of the
model, the loaders, the loss or the optimizer). The scorer backs it with a static check of
the student's source; the two together are a deterrent, not a proof.

`run_variant` (reference's worker only) replays known mistakes, so a failure message can name
the cause.

"""

from __future__ import annotations

import weakref
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# token -> {"forwards": n, "with_grad": m}; model -> token. Module-private, never on an object
# that the student's code receives.
_PROBES: dict[str, dict[str, int]] = {}
_TOKEN_OF: "weakref.WeakKeyDictionary[nn.Module, str]" = weakref.WeakKeyDictionary()


def _note_forward(model: nn.Module) -> None:
    token = _TOKEN_OF.get(model)
    record = _PROBES.get(token) if token is not None else None
    if record is not None:
        record["forwards"] += 1
        if torch.is_grad_enabled():
            record["with_grad"] += 1


class ProbeNet(nn.Module):
    """A tiny classifier with dropout (so train and eval mode give different values)."""

    def __init__(self, in_features: int, hidden: int, classes: int, dropout: float):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _note_forward(self)
        return self.fc2(self.drop(torch.relu(self.fc1(x))))




class _RecordingLoss(nn.CrossEntropyLoss):
    """Reference side only: keeps each batch's loss and size for the scorer's messages."""

    def __init__(self, log: list):
        super().__init__()
        self._log = log

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # noqa: A002
        loss = super().forward(input, target)
        self._log.append((float(loss.detach()), int(target.shape[0])))
        return loss


class Rig:
    """Model, loaders, loss, optimizer and scheduler of one case."""

    def __init__(self, x_train, y_train, x_val, y_val, *, seed: int, device: str, batch_size: int,  # type: ignore[no-untyped-def]
                 classes: int = 3, hidden: int = 8, dropout: float = 0.0, lr: float = 0.1,
                 momentum: float = 0.0, scheduler: str | None = None, start_mode: str = "eval",
                 shuffle: bool = False, val_batch_size: int | None = None, token: str | None = None,
                 record_losses: bool = False):
        self.seed = int(seed)
        torch.manual_seed(self.seed)
        self.model = ProbeNet(x_train.shape[1], hidden, classes, dropout).to(device)
        self.model.train(start_mode == "train")
        self.params = list(self.model.parameters())
        self.initial = [p.detach().clone() for p in self.params]
        self.train_gen = torch.Generator()
        self.val_gen = torch.Generator()
        self.train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=shuffle,
                                       generator=self.train_gen)
        self.val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=val_batch_size or batch_size,
                                     shuffle=False, generator=self.val_gen)
        self.losses: list = []
        self.loss_fn = _RecordingLoss(self.losses) if record_losses else nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.params, lr=lr, momentum=momentum)
        if scheduler == "step":
            self.scheduler: Any = torch.optim.lr_scheduler.StepLR(self.optimizer, step_size=1, gamma=0.5)
        elif scheduler == "plateau":
            self.scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(self.optimizer, mode="min", factor=0.5,
                                                                        patience=0, threshold=0.0)
        else:
            self.scheduler = None
        self.token = token
        if token is not None:
            _PROBES[token] = {"forwards": 0, "with_grad": 0}
            _TOKEN_OF[self.model] = token
        self.reseed()

    def reseed(self) -> None:
        """Dropout masks and loader order from the case's seed, the same in every worker."""
        torch.manual_seed(self.seed + 1)
        self.train_gen.manual_seed(self.seed + 2)
        self.val_gen.manual_seed(self.seed + 3)


def rig_params(rig: Rig) -> list[torch.Tensor]:
    return [p.detach().to("cpu", copy=True) for p in rig.params]


def rig_has_grads(rig: Rig) -> bool:
    return any(p.grad is not None and bool(p.grad.ne(0).any()) for p in rig.params)


def _call(kind: str, fn: Callable, rig: Rig, device: str, epochs: int) -> Any:
    if kind == "train":
        return fn(rig.model, rig.train_loader, rig.loss_fn, rig.optimizer, device)
    if kind == "evaluate":
        return fn(rig.model, rig.val_loader, rig.loss_fn, device)
    if kind == "fit":
        extra = {"scheduler": rig.scheduler} if rig.scheduler is not None else {}
        return fn(rig.model, rig.train_loader, rig.val_loader, epochs=epochs, optimizer=rig.optimizer,
                  loss_fn=rig.loss_fn, device=device, **extra)
    raise ValueError(kind)


def run_cases(kind: str, fn: Callable, cases: list[dict], device: str, epochs: int = 3,
              record_losses: bool = False) -> list[dict]:
    """One fresh rig per case; `fn` runs on it; plain data comes back (see the module docstring)."""
    out = []
    for case in cases:
        rig = Rig(*case["data"], device=device, record_losses=record_losses, **case["options"])
        try:
            result = _call(kind, fn, rig, device, epochs)
            probe = dict(_PROBES[rig.token]) if rig.token is not None else None
        finally:
            if rig.token is not None:
                _PROBES.pop(rig.token, None)
        out.append({"result": result, "params": rig_params(rig), "initial": [t.cpu() for t in rig.initial],
                    "probe": probe, "has_grads": rig_has_grads(rig), "losses": list(rig.losses)})
    return out


# -- known mistakes, replayed in the reference's worker for messages only ------------------

def _train_variant(model, loader, loss_fn, optimizer, device, *, zero_grad=True, train_mode=True):  # type: ignore[no-untyped-def]
    model.train(train_mode)
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        count += len(x)
    return total / count


def _evaluate_variant(model, loader, loss_fn, device, *, eval_mode=True):  # type: ignore[no-untyped-def]
    model.train(not eval_mode)
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(x)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(x)
    return total / count, correct / count


VARIANTS: dict[str, Callable] = {
    "no_zero_grad": lambda *a: _train_variant(*a, zero_grad=False),
    "eval_mode_training": lambda *a: _train_variant(*a, train_mode=False),
    "train_mode_evaluate": lambda *a: _evaluate_variant(*a, eval_mode=False),
}


def run_variant(kind: str, variant: str, cases: list[dict], device: str) -> list[dict]:
    return run_cases(kind, VARIANTS[variant], cases, device)
