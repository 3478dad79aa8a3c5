"""Answer keys that PyTorch can decide, decided by running PyTorch.

Each test runs the code a question is about, finds which choice(s) PyTorch says
are right, and checks that the quiz file's answer key points at exactly those
choices (matched by the Korean choice text).  Every question tagged
`torch-checked` in quizzes/*.yaml must have a test here (see the last test).
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, IterableDataset

from pathlib import Path

from torchdojo.quiz import load_bank

BANK = Path(__file__).resolve().parents[2] / "quizzes"
QUESTIONS = {q.id: q for quiz in load_bank(BANK)[0] for q in quiz.questions}
CHECKED: set[str] = set()


def checks(question_id: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
    CHECKED.add(question_id)
    return lambda func: func


def key_texts(question_id: str) -> set[str]:
    """The Korean texts of the choices the answer key marks right."""
    q = QUESTIONS[question_id]
    return {q.choices[n - 1].ko for n in q.answer_set}


def choice_texts(question_id: str) -> list[str]:
    return [c.ko for c in QUESTIONS[question_id].choices]


def assert_key(question_id: str, right: set[str]) -> None:
    """The key marks exactly `right`, and `right` are real choice texts."""
    assert right <= set(choice_texts(question_id)), f"test names unknown choices: {right - set(choice_texts(question_id))}"
    assert key_texts(question_id) == right


def raises(func: Callable[[], object]) -> bool:
    try:
        func()
    except (RuntimeError, ValueError, TypeError, AttributeError, IndexError, NotImplementedError):
        return True
    return False


# --------------------------------------------------------------------------- tensors


@checks("seed000-q1")
def test_view_needs_contiguous() -> None:
    t = torch.arange(6).reshape(2, 3).t()  # not contiguous
    assert not t.is_contiguous()
    candidates = {
        "`reshape()`": lambda: t.reshape(6),
        "`view()`": lambda: t.view(6),
        "`transpose()`": lambda: t.transpose(0, 1),
        "`permute()`": lambda: t.permute(1, 0),
    }
    failing = {name for name, f in candidates.items() if raises(f)}
    assert failing == {"`view()`"}
    assert_key("seed000-q1", failing)


@checks("tensors-is-contiguous")
def test_transpose_is_not_contiguous() -> None:
    x = torch.arange(6).reshape(2, 3)
    assert_key("tensors-is-contiguous", {f"`{x.t().is_contiguous()}`"})


@checks("tensors-mul-vs-matmul")
def test_mul_vs_matmul() -> None:
    a = torch.tensor([[1, 2], [3, 4]])
    assert_key("tensors-mul-vs-matmul", {f"{(a * a)[0, 1].item()} {(a @ a)[0, 1].item()}"})


@checks("tensors-broadcast")
def test_broadcast_shape() -> None:
    shape = tuple((torch.zeros(3, 1) + torch.zeros(1, 4)).shape)
    assert_key("tensors-broadcast", {f"`{shape}`"})


@checks("tensors-from-numpy")
def test_from_numpy_shares_memory() -> None:
    a = np.array([1, 2, 3])
    t = torch.from_numpy(a)
    copied = torch.tensor(a)
    a[0] = 100
    assert copied[0].item() == 1  # torch.tensor copies
    assert_key("tensors-from-numpy", {f"`{t[0].item()}`"})


@checks("tensors-default-int-dtype")
def test_default_int_dtype() -> None:
    assert_key("tensors-default-int-dtype", {f"`{torch.tensor([1, 2, 3]).dtype}`"})


@checks("tensors-unsqueeze")
def test_unsqueeze() -> None:
    shape = list(torch.zeros(3, 4).unsqueeze(0).shape)
    assert_key("tensors-unsqueeze", {f"`torch.Size({shape})`"})


@checks("tensors-shapes-multi")
def test_shapes_multi() -> None:
    x = torch.arange(12).reshape(3, 4)
    exprs = {
        "`x.view(2, 6)`": lambda: x.view(2, 6),
        "`x.reshape(2, -1)`": lambda: x.reshape(2, -1),
        "`x.view(6, 2)`": lambda: x.view(6, 2),
        "`x.t().reshape(2, 6)`": lambda: x.t().reshape(2, 6),
        "`x.t().view(2, 6)`": lambda: x.t().view(2, 6),
    }
    right = {name for name, f in exprs.items() if not raises(f) and tuple(f().shape) == (2, 6)}
    assert_key("tensors-shapes-multi", right)
    assert QUESTIONS["tensors-shapes-multi"].multi


# --------------------------------------------------------------------------- autograd


@checks("seed001-q3")
def test_define_by_run() -> None:
    # the graph exists as soon as an operation runs, and Python control flow shapes it per run
    def graph(value: float) -> str:
        x = torch.tensor(value, requires_grad=True)
        y = x * 2 if x.item() > 0 else x + 2
        assert y.grad_fn is not None  # defined while running, no compile step
        return type(y.grad_fn).__name__

    assert graph(1.0) != graph(-1.0)
    assert_key("seed001-q3", {"Define-by-Run (동적 그래프)"})


@checks("autograd-grad-value")
def test_grad_value() -> None:
    w = torch.tensor(4.0, requires_grad=True)
    x = torch.tensor(3.0, requires_grad=True)
    l = (3 * w) ** 2 + (2 * x) ** 2
    l.backward()
    assert_key("autograd-grad-value", {f"{w.grad.item()} {x.grad.item()}"})


@checks("autograd-accumulate")
def test_grad_accumulates() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    for _ in range(3):
        (x * 5).backward()
    assert_key("autograd-accumulate", {str(x.grad.item())})


@checks("autograd-intermediate-grad")
def test_intermediate_grad_is_none() -> None:
    a = torch.tensor(1.0, requires_grad=True)
    c = a * 2
    d = c * 3
    d.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = c.grad
    assert value is None
    assert_key("autograd-intermediate-grad", {"`None`"})


@checks("autograd-retain-grad")
def test_retain_grad() -> None:
    def graph() -> tuple[torch.Tensor, torch.Tensor]:
        a = torch.tensor(1.0, requires_grad=True)
        c = a * 2
        return c, c * 3

    c, d = graph()
    c.retain_grad()
    d.backward()
    works = {"`backward()` 전에 `c.retain_grad()`를 호출한다"} if c.grad is not None and c.grad.item() == 3.0 else set()

    c, d = graph()
    d.backward()
    with pytest.raises(RuntimeError):
        c.requires_grad = True  # non-leaf flags cannot be changed

    c, d = graph()
    c = c.detach()
    with pytest.raises(RuntimeError):
        (c * 3).backward()  # detached: nothing to differentiate

    c, d = graph()
    with torch.no_grad():
        d.backward()  # backward still works, but c.grad is not kept
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert c.grad is None
    assert_key("autograd-retain-grad", works)


@checks("autograd-no-grad")
def test_no_grad() -> None:
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    assert_key("autograd-no-grad", {f"`{y.requires_grad}`"})


@checks("autograd-detach")
def test_detach_shares_memory() -> None:
    x = torch.ones(3, requires_grad=True)
    x.grad = torch.full((3,), 7.0)
    y = x.detach()
    assert y.data_ptr() == x.data_ptr()  # same memory, not a copy
    assert not y.requires_grad and y.grad_fn is None  # no history
    y[0] = 5.0
    assert x[0].item() == 5.0
    assert torch.equal(x.grad, torch.full((3,), 7.0))  # grad untouched
    with pytest.raises(RuntimeError):
        (y * 2).sum().backward()
    assert_key("autograd-detach", {"`y`는 `x`와 메모리를 공유하지만 계산 기록이 없어 기울기가 전파되지 않는다"})


@checks("autograd-backward-nonscalar")
def test_backward_needs_scalar() -> None:
    x = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()
    assert x.grad is None
    assert_key("autograd-backward-nonscalar", {"RuntimeError가 난다 (스칼라 출력에서만 기울기를 암묵적으로 만들 수 있다)"})


@checks("autograd-backward-from-loss")
def test_backward_from_loss() -> None:
    x = torch.tensor([1.0, 2.0, 3.0])
    y = torch.tensor([2.0, 4.0, 6.5])

    def fresh() -> tuple[torch.Tensor, torch.Tensor]:
        w = torch.tensor(1.5, requires_grad=True)
        return w, ((w * x - y) ** 2).mean()

    expected = (2 * (1.5 * x - y) * x).mean().item()  # d/dw of the mean squared error
    ways = {
        "`loss.backward()`": lambda w, loss: loss.backward(),
        "`loss.item().backward()`": lambda w, loss: loss.item().backward(),
        "`torch.tensor(loss.item(), requires_grad=True).backward()`": lambda w, loss: torch.tensor(loss.item(), requires_grad=True).backward(),
        "`w.backward()`": lambda w, loss: w.backward(),
    }
    right = set()
    for name, way in ways.items():
        w, loss = fresh()
        try:
            way(w, loss)
        except AttributeError:
            continue
        if w.grad is not None and math.isclose(w.grad.item(), expected, rel_tol=1e-6):
            right.add(name)
    assert_key("autograd-backward-from-loss", right)


@checks("autograd-freeze")
def test_freeze_with_requires_grad() -> None:
    def trained(prepare: Callable[[nn.Module], None]) -> bool:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
        prepare(model)
        before = model[0].weight.detach().clone()
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        opt.zero_grad()
        model(torch.randn(4, 3)).pow(2).mean().backward()
        opt.step()
        return not torch.equal(before, model[0].weight)

    def freeze(model: nn.Module) -> None:
        for p in model[0].parameters():
            p.requires_grad = False

    frozen = {"그 파라미터들의 `requires_grad`를 `False`로 설정한다"} if not trained(freeze) else set()
    assert trained(lambda m: m.eval())  # eval() does not freeze
    assert trained(lambda m: None)
    assert_key("autograd-freeze", frozen)


# --------------------------------------------------------------------------- gradient descent


@checks("gd-direction")
def test_sgd_moves_against_gradient() -> None:
    p = nn.Parameter(torch.tensor(3.0))
    opt = torch.optim.SGD([p], lr=0.1)
    loss = (p - 1) ** 2
    loss.backward()
    grad = p.grad.item()
    opt.step()
    assert grad > 0 and p.item() == pytest.approx(3.0 - 0.1 * grad)
    assert ((p - 1) ** 2).item() < loss.item()
    assert_key("gd-direction", {"기울기(그래디언트)의 반대 방향"})


@checks("gd-one-step")
def test_one_step_value() -> None:
    w = torch.tensor(3.0, requires_grad=True)
    (w ** 2).backward()
    with torch.no_grad():
        w -= 0.1 * w.grad
    assert_key("gd-one-step", {str(round(w.item(), 4))})


@checks("gd-no-grad-update")
def test_update_needs_no_grad() -> None:
    w = torch.tensor(3.0, requires_grad=True)
    (w ** 2).backward()
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w -= 0.1 * w.grad
    with torch.no_grad():
        w -= 0.1 * w.grad
    assert w.grad.item() == 6.0  # no_grad does not reset the gradient
    assert w.is_leaf and w.grad_fn is None  # the update is not recorded
    right = {t for t in choice_texts("gd-no-grad-update") if t.startswith("그러지 않으면") and "오류" in t}
    assert_key("gd-no-grad-update", right)


@checks("gd-lr-too-large")
def test_large_learning_rate_diverges() -> None:
    w = torch.tensor(1.0, requires_grad=True)
    sizes = []
    for _ in range(10):
        (w ** 2).backward()
        with torch.no_grad():
            w -= 1.5 * w.grad
        w.grad = None
        sizes.append(abs(w.item()))
    assert sizes[-1] == 1024.0 and all(b == 2 * a for a, b in zip([1.0] + sizes, sizes))
    assert_key("gd-lr-too-large", {"`|w|`가 매번 2배가 되며 손실이 발산한다"})


@checks("gd-chain-rule")
def test_chain_rule() -> None:
    x = torch.tensor(1.0, requires_grad=True)
    ((x + 2) * 3).backward()
    assert_key("gd-chain-rule", {str(int(x.grad.item()))})


@checks("gd-non-differentiable")
def test_non_differentiable_loss() -> None:
    torch.manual_seed(0)
    logits = torch.randn(6, 4, requires_grad=True)
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    candidates = {
        "`F.cross_entropy(logits, y)`": lambda: F.cross_entropy(logits, y),
        "`1 - (logits.argmax(dim=1) == y).float().mean()`": lambda: 1 - (logits.argmax(dim=1) == y).float().mean(),
        "`F.nll_loss(F.log_softmax(logits, dim=1), y)`": lambda: F.nll_loss(F.log_softmax(logits, dim=1), y),
        "`((logits.softmax(dim=1) - F.one_hot(y, logits.shape[1]).float()) ** 2).mean()`": lambda: ((logits.softmax(dim=1) - F.one_hot(y, logits.shape[1]).float()) ** 2).mean(),
    }
    unusable = set()
    for name, make in candidates.items():
        logits.grad = None
        if raises(lambda: make().backward()) or logits.grad is None:
            unusable.add(name)
    assert_key("gd-non-differentiable", unusable)


# --------------------------------------------------------------------------- nn.Module


@checks("seed000-q2")
def test_layers_belong_in_init() -> None:
    class InInit(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x)

    class InForward(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return nn.Linear(4, 2)(x)

    global_layer = nn.Linear(4, 2)

    class UsesGlobal(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return global_layer(x)

    x = torch.randn(3, 4)
    good = InInit()
    assert len(list(good.parameters())) == 2 and "fc.weight" in good.state_dict()
    assert torch.equal(good(x), good(x))  # same weights on every call
    bad = InForward()
    assert list(bad.parameters()) == []  # nothing for an optimizer to train
    assert not torch.equal(bad(x), bad(x))  # fresh random weights every call
    with pytest.raises(ValueError):
        torch.optim.SGD(bad.parameters(), lr=0.1)
    assert list(UsesGlobal().parameters()) == [] and UsesGlobal().state_dict() == {}
    assert_key("seed000-q2", {"`__init__` 생성자 메서드 내부"})


@checks("nn-super-init")
def test_super_init_required() -> None:
    class Broken(nn.Module):
        def __init__(self) -> None:
            self.fc = nn.Linear(2, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()
    assert_key("nn-super-init", {"`AttributeError`가 난다 (Module.__init__() 호출 전에는 모듈을 넣을 수 없다)"})


@checks("nn-call-vs-forward")
def test_call_runs_hooks() -> None:
    model = nn.Linear(2, 2)
    calls = []
    model.register_forward_hook(lambda module, inputs, output: calls.append(1))
    x = torch.randn(1, 2)
    model(x)
    assert calls == [1]
    model.forward(x)
    assert calls == [1]  # forward() skips hooks
    assert not hasattr(model, "predict") and not hasattr(model, "backward")
    assert_key("nn-call-vs-forward", {"`model(x)`: `__call__`이 `forward`를 호출하면서 훅(hook) 등도 함께 실행한다"})


@checks("nn-linear-weight-shape")
def test_linear_weight_shape() -> None:
    assert_key("nn-linear-weight-shape", {f"`torch.Size({list(nn.Linear(784, 128).weight.shape)})`"})


@checks("nn-param-count")
def test_linear_param_count() -> None:
    assert_key("nn-param-count", {str(sum(p.numel() for p in nn.Linear(10, 5).parameters()))})


@checks("nn-train-eval")
def test_train_eval_layers() -> None:
    torch.manual_seed(0)
    x = torch.randn(8, 4) * 3 + 1
    layers = {
        "`nn.Dropout`": nn.Dropout(0.5),
        "`nn.BatchNorm1d`": nn.BatchNorm1d(4),
        "`nn.Linear`": nn.Linear(4, 4),
        "`nn.ReLU`": nn.ReLU(),
    }
    differs = set()
    for name, layer in layers.items():
        layer.train()
        with torch.no_grad():
            out_train = layer(x)
        layer.eval()
        with torch.no_grad():
            out_eval = layer(x)
        if not torch.allclose(out_train, out_eval):
            differs.add(name)
    assert_key("nn-train-eval", differs)


@checks("nn-relu")
def test_relu() -> None:
    out = nn.ReLU()(torch.tensor([-1.0, 0.0, 2.0]))
    assert torch.equal(out, torch.tensor([0.0, 0.0, 2.0]))
    assert_key("nn-relu", {"`tensor([0., 0., 2.])`"})


@checks("nn-flatten")
def test_flatten() -> None:
    assert_key("nn-flatten", {f"`torch.Size({list(nn.Flatten()(torch.zeros(64, 1, 28, 28)).shape)})`"})


@checks("nn-module-list")
def test_plain_list_not_registered() -> None:
    lines = {
        "`self.fc = nn.Linear(2, 2)`": lambda self: setattr(self, "fc", nn.Linear(2, 2)),
        "`self.layers = nn.ModuleList([nn.Linear(2, 2)])`": lambda self: setattr(self, "layers", nn.ModuleList([nn.Linear(2, 2)])),
        "`self.layers = [nn.Linear(2, 2)]`": lambda self: setattr(self, "layers", [nn.Linear(2, 2)]),
        "`self.w = nn.Parameter(torch.zeros(2))`": lambda self: setattr(self, "w", nn.Parameter(torch.zeros(2))),
    }
    missing = set()
    for name, init in lines.items():
        module = nn.Module()
        init(module)
        if not list(module.parameters()):
            missing.add(name)
    assert_key("nn-module-list", missing)


# --------------------------------------------------------------------------- data


@checks("seed001-q2")
def test_dataset_protocol() -> None:
    class Good(Dataset):
        def __len__(self) -> int:
            return 5

        def __getitem__(self, i: int) -> torch.Tensor:
            return torch.tensor(i)

    class NoGetItem(Dataset):
        def __len__(self) -> int:
            return 5

    class NoLen(Dataset):
        def __getitem__(self, i: int) -> torch.Tensor:
            return torch.tensor(i)

    assert torch.equal(torch.cat(list(DataLoader(Good(), batch_size=2))), torch.arange(5))
    with pytest.raises(NotImplementedError):
        NoGetItem()[0]
    with pytest.raises(TypeError):
        len(DataLoader(NoLen(), batch_size=2))  # the sampler needs len(dataset)
    assert_key("seed001-q2", {"`__len__`, `__getitem__`"})


class Range(Dataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> int:
        return i


@checks("data-loader-len")
def test_loader_len() -> None:
    assert_key("data-loader-len", {str(len(DataLoader(Range(100), batch_size=32)))})


@checks("data-drop-last")
def test_loader_drop_last() -> None:
    assert_key("data-drop-last", {str(len(DataLoader(Range(100), batch_size=32, drop_last=True)))})


@checks("data-batch-shape")
def test_batch_shape() -> None:
    class Points(Dataset):
        def __len__(self) -> int:
            return 10

        def __getitem__(self, i: int):
            return torch.zeros(3), i % 2

    x, y = next(iter(DataLoader(Points(), batch_size=4)))
    assert y.dtype == torch.int64
    assert_key("data-batch-shape", {f"`torch.Size({list(x.shape)}) torch.Size({list(y.shape)})`"})


@checks("data-shuffle")
def test_shuffle_every_epoch() -> None:
    loader = DataLoader(Range(32), batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    epochs = [torch.cat(list(loader)).tolist() for _ in range(3)]
    assert all(sorted(e) == list(range(32)) for e in epochs)  # samples unchanged, each once
    assert epochs[0] != epochs[1] or epochs[1] != epochs[2]  # a new order per epoch
    assert_key("data-shuffle", {"에포크마다 샘플 순서를 새로 섞는다"})


@checks("data-iterable-dataset")
def test_iterable_dataset() -> None:
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(5))

    assert torch.cat(list(DataLoader(Stream(), batch_size=2))).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises((NotImplementedError, TypeError)):
        IterableDataset()[0]
    assert_key("data-iterable-dataset", {"`__iter__`"})


class _WhereLoaded(Dataset):
    """Each item says which process and worker loaded it."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> torch.Tensor:
        import os

        info = torch.utils.data.get_worker_info()
        return torch.tensor([os.getpid(), -1 if info is None else info.id])


@checks("data-num-workers")
def test_num_workers_are_processes() -> None:
    import os

    main = os.getpid()
    rows = torch.cat(list(DataLoader(_WhereLoaded(), batch_size=1, num_workers=2))).tolist()
    pids, workers = {r[0] for r in rows}, {r[1] for r in rows}
    assert main not in pids and len(pids) == 2  # two other processes, none of it in the main one
    assert workers == {0, 1}  # get_worker_info() is set there (so not threads of the main process)
    serial = torch.cat(list(DataLoader(_WhereLoaded(), batch_size=1, num_workers=0))).tolist()
    assert {tuple(r) for r in serial} == {(main, -1)}
    right = {t for t in choice_texts("data-num-workers") if t.startswith("두 워커 프로세스에서만")}
    assert_key("data-num-workers", right)


# --------------------------------------------------------------------------- training loop


def _accumulating_grads() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(4, 3), torch.randn(4, 1)
    F.mse_loss(model(x), y).backward()
    first = model.weight.grad.clone()
    F.mse_loss(model(x), y).backward()  # no zero_grad in between
    second = model.weight.grad.clone()
    weights = model.weight.detach().clone()
    lr = opt.param_groups[0]["lr"]
    opt.zero_grad()
    assert model.weight.grad is None or not model.weight.grad.any()
    assert torch.equal(weights, model.weight) and opt.param_groups[0]["lr"] == lr  # weights and lr untouched
    return first, second


@checks("seed000-q3")
def test_zero_grad_prevents_accumulation() -> None:
    first, second = _accumulating_grads()
    assert torch.allclose(second, 2 * first)
    assert_key("seed000-q3", {"이전 배치의 기울기(Gradient)가 누적되는 것을 방지하기 위해서"})


@checks("seed001-q1")
def test_which_call_resets_grads() -> None:
    def grad_after(call: str) -> torch.Tensor | None:
        torch.manual_seed(0)
        model = nn.Linear(3, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss = model(torch.randn(4, 3)).pow(2).mean()
        loss.backward()
        if call == "`loss.backward()`":
            model(torch.randn(4, 3)).pow(2).mean().backward()
        elif call == "`optimizer.step()`":
            opt.step()
        elif call == "`optimizer.zero_grad()`":
            opt.zero_grad()
        elif call == "`torch.no_grad()`":
            with torch.no_grad():
                pass
        return model.weight.grad

    resets = {c for c in choice_texts("seed001-q1") if (g := grad_after(c)) is None or not g.any()}
    _accumulating_grads()
    assert_key("seed001-q1", resets)


@checks("training-step-order")
def test_step_order() -> None:
    def learns(order: list[str]) -> bool:
        torch.manual_seed(0)
        model = nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        x = torch.randn(32, 2)
        y = x @ torch.tensor([[2.0], [-1.0]])
        before = [p.detach().clone() for p in model.parameters()]
        for _ in range(20):
            loss = None
            for step in order:
                if step == "zero":
                    opt.zero_grad()
                elif step == "loss":
                    loss = F.mse_loss(model(x), y)
                elif step == "backward":
                    loss.backward()
                elif step == "step":
                    opt.step()
        return any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))

    orders = {
        1: ["zero", "loss", "backward", "step"],
        2: ["loss", "step", "backward", "zero"],
        3: ["loss", "backward", "zero", "step"],
        4: ["zero", "step", "loss", "backward"],
    }
    texts = choice_texts("training-step-order")
    for number, order in orders.items():  # the orders above are the choices' orders
        names = {"zero": "optimizer.zero_grad()", "loss": "loss = loss_fn", "backward": "loss.backward()", "step": "optimizer.step()"}
        positions = [texts[number - 1].index(names[s]) for s in order]
        assert positions == sorted(positions), f"choice {number} is not {order}"
    assert_key("training-step-order", {texts[n - 1] for n, order in orders.items() if learns(order)})


@checks("training-eval-mode")
def test_evaluation_loop() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 16), nn.Dropout(0.5), nn.Linear(16, 1))
    x = torch.randn(8, 4)
    model.eval()
    with torch.no_grad():
        a, b = model(x), model(x)
    assert torch.equal(a, b)  # eval(): deterministic, no dropout
    assert not a.requires_grad  # no_grad(): no graph kept
    with pytest.raises(RuntimeError):
        a.sum().backward()  # nothing to backpropagate in evaluation
    model.train()
    assert not torch.equal(model(x), model(x))  # train mode would be random
    # a step during evaluation would change the weights, i.e. train on validation data
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model[0].weight.detach().clone()
    model(x).sum().backward()
    opt.step()
    assert not torch.equal(before, model[0].weight)
    assert_key("training-eval-mode", {"`model.eval()`을 호출한다", "`with torch.no_grad():` 안에서 예측한다"})


@checks("training-loss-item")
def test_loss_item() -> None:
    w = torch.tensor(1.0, requires_grad=True)
    loss = (w * 3) ** 2
    total_tensor = 0 + loss
    total_item = 0 + loss.item()
    assert isinstance(total_item, float)
    assert total_tensor.grad_fn is not None  # keeps the graph alive
    assert_key("training-loss-item", {"그래프와 분리된 파이썬 숫자를 얻어, 배치마다 계산 그래프를 붙잡아 두지 않으려고"})


@checks("training-grad-accumulation")
def test_gradient_accumulation() -> None:
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    data, target = torch.randn(32, 3), torch.randn(32, 1)
    for i in range(4):
        chunk = slice(8 * i, 8 * (i + 1))
        (F.mse_loss(model(data[chunk]), target[chunk]) / 4).backward()
    accumulated = model.weight.grad.clone()
    model.zero_grad()
    F.mse_loss(model(data), target).backward()
    equivalent = {str(n) for n in (8, 32, 4, 2) if n == 32 and torch.allclose(accumulated, model.weight.grad, atol=1e-6)}
    assert equivalent == {"32"}
    assert_key("training-grad-accumulation", equivalent)


@checks("training-steplr")
def test_steplr() -> None:
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for _ in range(60):
        opt.step()
        sched.step()
    lr = opt.param_groups[0]["lr"]
    right = {t for t in choice_texts("training-steplr") if math.isclose(float(t.strip("`")), lr, rel_tol=1e-9)}
    assert_key("training-steplr", right)


# --------------------------------------------------------------------------- losses and optimizers


@checks("seed000-q4")
def test_cross_entropy_for_multiclass() -> None:
    torch.manual_seed(0)
    logits = torch.randn(5, 10)
    y = torch.tensor([0, 3, 9, 1, 5])
    ce = nn.CrossEntropyLoss()(logits, y)
    assert torch.allclose(ce, F.nll_loss(F.log_softmax(logits, dim=1), y))  # log-softmax inside
    losses = {
        "`MSELoss`": lambda: nn.MSELoss()(logits, y),
        "`BCELoss`": lambda: nn.BCELoss()(torch.sigmoid(logits), y),
        "`CrossEntropyLoss`": lambda: nn.CrossEntropyLoss()(logits, y),
        "`L1Loss`": lambda: nn.L1Loss()(logits, y),
    }
    accepts = set()
    for name, f in losses.items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a size-mismatch warning counts as failure
            try:
                f()
            except (RuntimeError, ValueError, UserWarning):
                continue
            accepts.add(name)
    assert_key("seed000-q4", accepts)


@checks("losses-ce-logits")
def test_cross_entropy_takes_logits() -> None:
    torch.manual_seed(0)
    z = torch.randn(6, 4)
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    reference = F.nll_loss(F.log_softmax(z, dim=1), y)  # the definition of cross-entropy
    candidates = {
        "소프트맥스를 거치지 않은 로짓(raw score)": lambda: F.cross_entropy(z, y),
        "소프트맥스를 거친 확률": lambda: F.cross_entropy(z.softmax(dim=1), y),
        "`argmax`로 고른 클래스 번호": lambda: F.cross_entropy(z.argmax(dim=1), y),
        "시그모이드를 거친 확률": lambda: F.cross_entropy(torch.sigmoid(z), y),
    }
    right = set()
    for name, f in candidates.items():
        try:
            value = f()
        except RuntimeError:
            continue
        if torch.allclose(value, reference):
            right.add(name)
    assert_key("losses-ce-logits", right)


@checks("losses-ce-target")
def test_cross_entropy_target() -> None:
    z = torch.randn(4, 3)
    y = torch.tensor([0, 2, 1, 2])
    targets = {
        "모양 `(N,)`, dtype `torch.int64`(long)": y,
        "모양 `(N, C)`, dtype `torch.int64`의 원-핫": F.one_hot(y, 3),
        "모양 `(N,)`, dtype `torch.float32`": y.float(),
        "모양 `(N, 1)`, dtype `torch.int64`": y[:, None],
    }
    works = {name for name, t in targets.items() if not raises(lambda t=t: F.cross_entropy(z, t))}
    assert_key("losses-ce-target", works)


@checks("losses-mse-value")
def test_mse_value() -> None:
    value = nn.MSELoss()(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 2.0])).item()
    assert_key("losses-mse-value", {f"`{value}`"})


@checks("losses-bce-with-logits")
def test_bce_with_logits() -> None:
    z = torch.tensor([-2.0, 0.5, 3.0])
    t = torch.tensor([0.0, 1.0, 1.0])
    reference = F.binary_cross_entropy(torch.sigmoid(z), t)
    candidates = {
        "`nn.BCEWithLogitsLoss`": lambda: nn.BCEWithLogitsLoss()(z, t),
        "`nn.BCELoss`": lambda: nn.BCELoss()(z, t),
        "`nn.NLLLoss`": lambda: nn.NLLLoss()(z, t),
        "`nn.L1Loss`": lambda: nn.L1Loss()(z, t),
    }
    right = set()
    for name, f in candidates.items():
        try:
            value = f()
        except RuntimeError:
            continue
        if torch.allclose(value, reference):
            right.add(name)
    assert_key("losses-bce-with-logits", right)


@checks("optim-step")
def test_optimizer_step() -> None:
    p = nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = torch.optim.SGD([p], lr=0.5)
    p.grad = torch.tensor([0.2, 0.4])
    opt.step()
    assert torch.allclose(p.detach(), torch.tensor([0.9, -2.2]))  # p - lr * grad
    assert torch.equal(p.grad, torch.tensor([0.2, 0.4]))  # gradients untouched
    assert opt.param_groups[0]["lr"] == 0.5  # learning rate untouched
    assert_key("optim-step", {"각 파라미터의 `.grad`를 사용해 파라미터 값을 갱신한다"})


@checks("optim-adam-default-lr")
def test_adam_default_lr() -> None:
    lr = torch.optim.Adam([nn.Parameter(torch.zeros(1))]).defaults["lr"]
    assert_key("optim-adam-default-lr", {f"`{lr}`"})


@checks("optim-adaptive")
def test_adaptive_optimizers() -> None:
    optimizers = {
        "`torch.optim.Adam`": lambda ps: torch.optim.Adam(ps),
        "`torch.optim.RMSprop`": lambda ps: torch.optim.RMSprop(ps),
        "`torch.optim.SGD` (momentum=0)": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0),
        "`torch.optim.Adagrad`": lambda ps: torch.optim.Adagrad(ps),
    }
    squared_state = {"exp_avg_sq", "square_avg", "sum"}
    adaptive = set()
    for name, make in optimizers.items():
        p = nn.Parameter(torch.ones(3))
        opt = make([p])
        p.grad = torch.tensor([0.1, 1.0, 10.0])
        opt.step()
        if squared_state & set(opt.state[p]):
            adaptive.add(name)
    assert_key("optim-adaptive", adaptive)


@checks("optim-reduce-on-plateau")
def test_reduce_on_plateau() -> None:
    def lr_after(metrics: list[float]) -> float:
        opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
        sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2)
        for m in metrics:
            sched.step(m)
        return opt.param_groups[0]["lr"]

    assert lr_after([1.0, 0.9, 0.8, 0.7, 0.6, 0.5]) == 1.0  # improving: unchanged, whatever the epoch count
    assert lr_after([1.0, 1.0, 1.0]) == 1.0  # not yet more than patience=2 bad epochs
    assert lr_after([1.0, 1.0, 1.0, 1.0]) == pytest.approx(0.1)  # plateau beyond patience
    assert_key("optim-reduce-on-plateau", {"지켜보는 지표(예: 검증 손실)가 `patience` 에포크 넘게 나아지지 않을 때"})


# --------------------------------------------------------------------------- FashionMNIST


@pytest.fixture(scope="module")
def torchvision():
    return pytest.importorskip("torchvision")


@checks("fmnist-argmax-shape")
def test_fmnist_argmax_shape() -> None:
    pred = torch.randn(64, 10).argmax(dim=1)
    assert_key("fmnist-argmax-shape", {f"`torch.Size({list(pred.shape)})`, `{pred.dtype}`"})


@checks("fmnist-label-9")
def test_fmnist_label_9(torchvision) -> None:
    name = torchvision.datasets.FashionMNIST.classes[9]
    right = {t for t in choice_texts("fmnist-label-9") if t.startswith(name + " (")}
    assert_key("fmnist-label-9", right)


def _image():
    from PIL import Image

    pixels = (np.arange(28 * 28) % 256).astype(np.uint8).reshape(28, 28)
    pixels[0, 0], pixels[0, 1] = 0, 255  # the full 0..255 range
    return Image.fromarray(pixels)  # uint8 2-D array: a grayscale ("L") image


@checks("fmnist-to-tensor")
def test_to_tensor(torchvision) -> None:
    t = torchvision.transforms.ToTensor()(_image())
    low, high = t.min().item(), t.max().item()
    described = f"모양 `{tuple(t.shape)}`, `{str(t.dtype).replace('torch.', '')}`, 값 범위 {low:g}~{high:g}"
    assert_key("fmnist-to-tensor", {described})


@checks("fmnist-normalize")
def test_normalize(torchvision) -> None:
    T = torchvision.transforms
    t = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])(_image())
    assert_key("fmnist-normalize", {f"{t.min().item():g} ~ {t.max().item():g}"})


@checks("fmnist-flatten-in-features")
def test_flatten_in_features() -> None:
    x = nn.Flatten()(torch.zeros(2, 1, 28, 28))
    fits = set()
    for text in choice_texts("fmnist-flatten-in-features"):
        if not raises(lambda: nn.Linear(int(text), 10)(x)):
            fits.add(text)
    assert_key("fmnist-flatten-in-features", fits)


@checks("fmnist-output-layer")
def test_output_layer() -> None:
    torch.manual_seed(0)
    y = torch.arange(10)
    hidden = torch.randn(10, 128)
    endings = {
        "`nn.Linear(128, 10)` (소프트맥스 없이 로짓 출력)": nn.Linear(128, 10),
        "`nn.Linear(128, 1)`": nn.Linear(128, 1),
        "`nn.Linear(128, 10)` 다음 `nn.Softmax(dim=1)`": nn.Sequential(nn.Linear(128, 10), nn.Softmax(dim=1)),
        "`nn.Linear(128, 10)` 다음 `argmax(dim=1)`": None,
    }
    fits = set()
    for name, head in endings.items():
        if head is None:
            assert raises(lambda: F.cross_entropy(nn.Linear(128, 10)(hidden).argmax(dim=1), y))
            continue
        if raises(lambda: F.cross_entropy(head(hidden), y)):
            continue
        # can the loss get near 0 for a perfect prediction? scale up a perfect answer
        perfect = torch.eye(10) * 100
        out = perfect if isinstance(head, nn.Linear) else head[1](perfect)
        if F.cross_entropy(out, y).item() < 0.01:
            fits.add(name)
    assert F.cross_entropy(nn.Softmax(dim=1)(torch.eye(10) * 100), y).item() > 1.4
    assert_key("fmnist-output-layer", fits)


@checks("fmnist-accuracy")
def test_accuracy() -> None:
    logits = torch.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.1], [0.0, 0.1, 3.0], [0.2, 0.1, 0.0]])
    labels = torch.tensor([1, 2, 2, 0])
    acc = (logits.argmax(dim=1) == labels).float().mean()
    assert_key("fmnist-accuracy", {str(acc.item())})


# --------------------------------------------------------------------------- image restoration


@checks("restore-dist")
def test_dist_is_euclidean() -> None:
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g)
    exprs = {
        "`((a - b) ** 2).sum().sqrt()`": ((a - b) ** 2).sum().sqrt(),
        "`((a - b) ** 2).mean()`": ((a - b) ** 2).mean(),
        "`(a - b).abs().sum()`": (a - b).abs().sum(),
        "`((a - b) ** 2).sum()`": ((a - b) ** 2).sum(),
    }
    assert_key("restore-dist", {k for k, v in exprs.items() if torch.allclose(v, torch.dist(a, b))})


@checks("restore-dist-grad-norm")
def test_dist_gradient_has_length_one() -> None:
    norms = []
    for scale in (0.01, 1.0, 100.0):
        x = (torch.randn(6, generator=torch.Generator().manual_seed(1)) * scale).requires_grad_()
        torch.dist(x, torch.zeros(6)).backward()
        norms.append(x.grad.norm().item())
    assert all(math.isclose(n, 1.0, rel_tol=1e-5) for n in norms)
    assert_key("restore-dist-grad-norm", {t for t in choice_texts("restore-dist-grad-norm") if t.endswith("항상 1")})


@checks("restore-update-outside-no-grad")
def test_update_outside_no_grad() -> None:
    x = torch.randn(4, requires_grad=True)
    broken = torch.zeros(4)
    seen = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the .grad of a non-leaf warning
        for step in range(2):
            loss = torch.dist(x * 2, broken)
            loss.backward()
            if step == 1:
                seen.append(x.grad)
                assert not x.is_leaf
                break
            x = x - 0.1 * x.grad
    assert seen == [None]
    assert_key("restore-update-outside-no-grad", {t for t in choice_texts("restore-update-outside-no-grad") if t.startswith("`None`")})


@checks("restore-inplace-accumulates")
def test_inplace_update_accumulates() -> None:
    x = torch.tensor([1.0], requires_grad=True)
    for _step in range(2):
        loss = (3 * x).sum()
        loss.backward()
        with torch.no_grad():
            x -= 0.1 * x.grad
    assert_key("restore-inplace-accumulates", {f"`{x.grad}`"})


@checks("restore-ready-for-next-step")
def test_updates_that_keep_a_leaf() -> None:
    lr = 0.1

    def start() -> torch.Tensor:
        x = torch.randn(3, requires_grad=True)
        (x ** 2).sum().backward()
        return x

    def a(x):
        with torch.no_grad():
            x = x - lr * x.grad
        x.requires_grad_(True)
        return x

    def b(x):
        with torch.no_grad():
            x -= lr * x.grad
        return x

    by_start = {
        "`with torch.no_grad(): x = x - lr * x.grad` 다음": a,
        "`with torch.no_grad(): x -= lr * x.grad`": b,
        "`x = x - lr * x.grad` (no_grad 없이)": lambda x: x - lr * x.grad,
        "`x = (x - lr * x.grad).detach()`": lambda x: (x - lr * x.grad).detach(),
    }
    updates = {t: f for t in choice_texts("restore-ready-for-next-step") for start, f in by_start.items() if t.startswith(start)}
    assert len(updates) == 4
    ok = set()
    for text, update in updates.items():
        x = update(start())
        if x.is_leaf and x.requires_grad:
            (x ** 2).sum().backward()  # and the next step works
            assert x.grad is not None
            ok.add(text)
    assert_key("restore-ready-for-next-step", ok)


@checks("restore-same-seed")
def test_generator_seed() -> None:
    a = torch.randn(3, generator=torch.Generator().manual_seed(0))
    b = torch.randn(3, generator=torch.Generator().manual_seed(0))
    c = torch.randn(3, generator=torch.Generator().manual_seed(1))
    assert_key("restore-same-seed", {f"`{torch.equal(a, b)} {torch.equal(a, c)}`"})


@checks("restore-detach-result")
def test_detach_result() -> None:
    x = torch.randn(4, requires_grad=True)
    y = x * 2
    z = y.detach()
    assert_key("restore-detach-result", {f"`{y.requires_grad} {z.requires_grad} {z.grad_fn}`"})


@checks("restore-randn-dtype")
def test_randn_default_dtype() -> None:
    broken = torch.zeros(5, dtype=torch.float64)
    dtype = torch.randn(broken.shape).dtype
    assert torch.randn(broken.shape, dtype=broken.dtype).dtype == torch.float64
    assert_key("restore-randn-dtype", {t for t in choice_texts("restore-randn-dtype") if t.startswith(f"`{dtype}`")})


# --------------------------------------------------------------------------- coverage


def test_every_torch_checked_question_has_a_check() -> None:
    tagged = {qid for qid, q in QUESTIONS.items() if "torch-checked" in q.tags}
    assert CHECKED - set(QUESTIONS) == set(), "checks for questions that do not exist"
    assert tagged == CHECKED, f"tagged but unchecked: {tagged - CHECKED}; checked but untagged: {CHECKED - tagged}"


def test_untagged_questions_are_concepts() -> None:
    """A question without a torch check says why: it is tagged `concept` (not decidable by running code)."""
    for qid, q in QUESTIONS.items():
        assert ("torch-checked" in q.tags) != ("concept" in q.tags), qid
