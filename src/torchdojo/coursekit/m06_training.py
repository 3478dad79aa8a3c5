"""Helpers the 06_training grader runs inside the student's worker (nothing here is secret).

A `Rig` is one small classification set-up built in the worker from the grader's data:

- `RecordingNet`: Linear -> ReLU -> Dropout -> Linear that logs every forward
  (`self.training`, `torch.is_grad_enabled()`, batch size);
- gradient hooks on every parameter that log every backward pass and whether `.grad`
  still held an earlier batch's gradient when it began (accumulation);
- `RecordingSGD` (a real `torch.optim.SGD`) that logs every `zero_grad()` and every
  `step()`, with the learning rate and whether the gradients it steps with are exactly
  those of the latest backward pass ("ok"), missing ("none"), zeroed ("zero") or
  something else ("mixed", e.g. accumulated);
- `RecordingLoss` (a real `nn.CrossEntropyLoss`) that logs every loss value and batch size;
- optionally `RecordingStepLR` / `RecordingPlateau` (real schedulers) that log every
  `step()` and the metric `ReduceLROnPlateau` was given.

`rig_parts(rig)` hands the pieces to the student's functions, `rig_log(rig)` returns the
log as plain data (tuples), `rig_params(rig)` the parameters' values.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class RecordingNet(nn.Module):
    """A tiny classifier; `log` (shared with its rig) gets one entry per forward."""

    def __init__(self, in_features: int, hidden: int, classes: int, dropout: float, log: list):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, classes)
        self._log = log

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._log.append(("forward", bool(self.training), bool(torch.is_grad_enabled()), int(x.shape[0])))
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


class RecordingLoss(nn.CrossEntropyLoss):
    """`nn.CrossEntropyLoss` that logs every value it returns and the batch size."""

    def __init__(self, log: list):
        super().__init__()
        self._log = log

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:  # noqa: A002
        loss = super().forward(input, target)
        self._log.append(("loss", float(loss.detach()), int(target.shape[0])))
        return loss


class RecordingSGD(torch.optim.SGD):
    """`torch.optim.SGD` that logs zero_grad() and step() (see the module docstring)."""

    def __init__(self, params, rig: "Rig", **kwargs):  # type: ignore[no-untyped-def]
        self._rig = None
        super().__init__(params, **kwargs)
        self._rig = rig

    def zero_grad(self, set_to_none: bool = True) -> None:
        if self._rig is not None:
            self._rig.log.append(("zero_grad",))
        super().zero_grad(set_to_none=set_to_none)

    def step(self, closure=None):  # type: ignore[no-untyped-def]
        if self._rig is not None:
            self._rig.log.append(("step", self._rig.grad_state(), float(self.param_groups[0]["lr"])))
        return super().step(closure)


class RecordingStepLR(torch.optim.lr_scheduler.StepLR):
    def __init__(self, optimizer, rig: "Rig", **kwargs):  # type: ignore[no-untyped-def]
        self._rig = None
        super().__init__(optimizer, **kwargs)
        self._rig = rig

    def step(self, epoch=None):  # type: ignore[no-untyped-def]
        if self._rig is not None:
            self._rig.log.append(("sched", None))
        if epoch is None:
            return super().step()
        return super().step(epoch)


class RecordingPlateau(torch.optim.lr_scheduler.ReduceLROnPlateau):
    def __init__(self, optimizer, rig: "Rig", **kwargs):  # type: ignore[no-untyped-def]
        self._rig = None
        super().__init__(optimizer, **kwargs)
        self._rig = rig

    def step(self, metrics, epoch=None):  # type: ignore[no-untyped-def, override]
        if self._rig is not None:
            try:
                value = float(metrics)
            except Exception:
                value = float("nan")
            self._rig.log.append(("sched", value))
        if epoch is None:
            return super().step(metrics)
        return super().step(metrics, epoch)


class Rig:
    """Model, loaders, loss, optimizer and scheduler of one check, all recording into `log`."""

    def __init__(self, x_train, y_train, x_val, y_val, *, seed: int, device: str, batch_size: int,
                 classes: int = 3, hidden: int = 8, dropout: float = 0.0, lr: float = 0.1,
                 momentum: float = 0.0, scheduler: str | None = None, start_mode: str = "eval"):
        self.log: list[tuple] = []
        torch.manual_seed(seed)
        self.model = RecordingNet(x_train.shape[1], hidden, classes, dropout, self.log).to(device)
        self.model.train(start_mode == "train")
        self.params = list(self.model.parameters())
        self._last = [None] * len(self.params)
        self._seen: set[int] = set()
        self._pass: list = ["backward", True]
        for i, p in enumerate(self.params):
            p.register_hook(self._hook(i))
        self.train_loader = DataLoader(TensorDataset(x_train, y_train), batch_size=batch_size, shuffle=False)
        self.val_loader = DataLoader(TensorDataset(x_val, y_val), batch_size=batch_size, shuffle=False)
        self.loss_fn = RecordingLoss(self.log)
        self.optimizer = RecordingSGD(self.params, self, lr=lr, momentum=momentum)
        if scheduler == "step":
            self.scheduler = RecordingStepLR(self.optimizer, self, step_size=1, gamma=0.5)
        elif scheduler == "plateau":
            # no loss ever counts as better than the first (abs threshold 1e9), so from the second
            # epoch on the rate halves after every epoch: a schedule that does not depend on the data
            self.scheduler = RecordingPlateau(self.optimizer, self, mode="min", factor=0.5, patience=0,
                                              threshold=1e9, threshold_mode="abs")
        else:
            self.scheduler = None

    def _hook(self, i: int):  # type: ignore[no-untyped-def]
        def hook(grad: torch.Tensor) -> None:
            if not self._seen or i in self._seen:  # a new backward pass begins
                self._seen = set()
                self._pass = ["backward", True]  # True: every .grad was empty when it began
                self.log.append(self._pass)
            self._seen.add(i)
            old = self.params[i].grad
            if old is not None and bool(old.detach().ne(0).any()):
                self._pass[1] = False
            self._last[i] = grad.detach().clone()

        return hook

    def grad_state(self) -> str:
        """How the gradients a step() is about to use relate to the latest backward pass."""
        states = set()
        for p, last in zip(self.params, self._last):
            g = p.grad
            if g is None:
                states.add("none")
            elif not bool(g.detach().ne(0).any()) and last is not None and bool(last.ne(0).any()):
                states.add("zero")
            elif last is not None and torch.allclose(g.detach(), last, rtol=1e-5, atol=1e-7):
                states.add("ok")
            else:
                states.add("mixed")
        for state in ("none", "zero", "mixed"):
            if state in states:
                return state
        return "ok"


def make_rig(x_train, y_train, x_val, y_val, **kwargs) -> Rig:  # type: ignore[no-untyped-def]
    return Rig(x_train, y_train, x_val, y_val, **kwargs)


def rig_parts(rig: Rig) -> tuple:
    """(model, train_loader, val_loader, loss_fn, optimizer, scheduler)."""
    return rig.model, rig.train_loader, rig.val_loader, rig.loss_fn, rig.optimizer, rig.scheduler


def rig_log(rig: Rig) -> list[tuple]:
    return [tuple(entry) for entry in rig.log]


def rig_params(rig: Rig) -> list[torch.Tensor]:
    return [p.detach().clone() for p in rig.params]


def rig_has_grads(rig: Rig) -> bool:
    return any(p.grad is not None and bool(p.grad.ne(0).any()) for p in rig.params)
