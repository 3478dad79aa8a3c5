"""02_autograd — 자동 미분 / Autograd

`requires_grad=True`로 표시한 텐서는 그 위에서 일어나는 모든 연산이 계산 그래프에
기록됩니다. 파이토치는 코드가 실행될 때마다 그래프를 새로 만들고(Define-by-Run),
손실(loss)에서 `.backward()`를 한 번 호출하면 연쇄 법칙(chain rule)으로 기울기를 계산해
각 잎(leaf) 텐서의 `.grad`에 저장합니다. 기울기는 덮어쓰지 않고 **누적**되며, 추론할
때는 `model.eval()`과 `torch.no_grad()`로 그래프를 만들지 않습니다.
A tensor marked `requires_grad=True` has every operation on it recorded in a graph that
PyTorch builds anew each time the code runs (Define-by-Run). One `.backward()` on the loss
applies the chain rule and stores the gradients in `.grad` of every leaf tensor.
Gradients **accumulate** instead of being overwritten, and inference uses `model.eval()`
and `torch.no_grad()` so that no graph is built.

각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace each `raise NotImplementedError` with your code, then run `make check`.
"""

import torch
from torch import nn


def quadratic_grads(w: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """TODO: `l = ((3w)^2 + (2x)^2).sum()`의 기울기 `(dl/dw, dl/dx)`를 `backward()`로
    구하세요. `w`와 `x`는 모양이 같은 실수 텐서(0차원일 수도 있음)이고 `requires_grad`가
    꺼져 있습니다. 입력을 직접 바꾸지 말고 `w.detach().clone().requires_grad_(True)`처럼
    기울기를 추적하는 잎 텐서 복사본을 만든 뒤, `l.backward()`를 호출하고 복사본의
    `.grad`를 돌려주세요. 결과는 입력과 모양이 같습니다 (w=4, x=3이면 72와 24).
    값이나 손으로 구한 도함수(`18 * w` 등)를 써 넣지 마세요: 채점은 무작위 입력으로 하고,
    `backward()`(또는 `torch.autograd.grad`)를 쓰는지도 봅니다.

    TODO: compute the gradients `(dl/dw, dl/dx)` of `l = ((3w)^2 + (2x)^2).sum()` with
    `backward()`. `w` and `x` are float tensors of one shape (possibly 0-dim) that do not
    require grad. Leave the inputs unchanged: make leaf copies that track gradients
    (`w.detach().clone().requires_grad_(True)`), call `l.backward()` and return the copies'
    `.grad`, shaped like the inputs (at w=4, x=3: 72 and 24). Do not type in numbers or
    derivatives worked out by hand (`18 * w`): the grader uses random inputs and checks that
    `backward()` (or `torch.autograd.grad`) does the work.
    """
    raise NotImplementedError


def intermediate_grad(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """TODO: 평범한 텐서 `a`, `b`로 기울기를 추적하는 잎 텐서를 만들고, `c = a * b`,
    `loss = (c ** 2).sum()`을 계산해 `dloss/dc`를 돌려주세요. `c`는 중간 노드라서 기본적으로
    `c.grad`가 `None`입니다. `backward()` 전에 `c.retain_grad()`를 호출해야 `c.grad`가
    남습니다. `a.grad`(dloss/da)와 헷갈리지 마세요.

    TODO: from the plain tensors `a` and `b` make leaves that require grad, compute
    `c = a * b` and `loss = (c ** 2).sum()`, and return `dloss/dc`. `c` is an intermediate
    node, so `c.grad` stays `None` unless you call `c.retain_grad()` before `backward()`.
    Do not confuse it with `a.grad` (dloss/da).
    """
    raise NotImplementedError


def accumulated_grads(x: torch.Tensor, times: int) -> tuple[torch.Tensor, torch.Tensor]:
    """TODO: 평범한 텐서 `x`의 잎 텐서 복사본(`requires_grad=True`)에 대해
    `(x ** 2).sum()`의 `backward()`를 `times`번 초기화 없이 호출하세요. 기울기는 누적되므로
    `x.grad`는 `2x * times`가 됩니다. 그다음 기울기를 0으로 만들고(`x.grad.zero_()`) 한 번 더
    `backward()`하면 `2x`입니다. 두 기울기의 **복사본**(`.clone()`)을
    `(accumulated, after_zero)`로 돌려주세요. `x.grad`는 같은 텐서가 제자리에서 바뀌므로,
    복사하지 않으면 앞의 값이 나중에 덮어써집니다.

    TODO: on a leaf copy of the plain tensor `x` (`requires_grad=True`), call `backward()`
    of `(x ** 2).sum()` `times` times without zeroing: gradients accumulate, so `x.grad`
    becomes `2x * times`. Then zero it (`x.grad.zero_()`) and call `backward()` once more:
    `2x`. Return **copies** (`.clone()`) of both as `(accumulated, after_zero)`; `x.grad` is
    one tensor updated in place, so without a copy the first value is overwritten later.
    """
    raise NotImplementedError


def detached(x: torch.Tensor) -> torch.Tensor:
    """TODO: `x`와 같은 메모리(storage)를 쓰지만 계산 그래프에서 분리된 텐서를 돌려주세요.
    `x.detach()`는 데이터를 복사하지 않고 기울기 추적만 끊습니다. `x.clone()`은 메모리를
    복사하고 그래프에도 남으며, `x` 자체의 `requires_grad`를 바꾸면 입력이 망가집니다.

    TODO: return a tensor that uses the same memory (storage) as `x` but is cut off from the
    computation graph. `x.detach()` shares the data and only stops gradient tracking;
    `x.clone()` copies the memory and stays in the graph, and changing `requires_grad` of
    `x` itself would alter the input.
    """
    raise NotImplementedError


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """TODO: 추론(inference)으로 `model(x)`를 돌려주세요. `model.eval()`로 평가 모드로
    바꾸면(Dropout 끄기 등) 결과가 매번 같아지고, `with torch.no_grad():` 안에서 계산하면
    그래프를 만들지 않아 메모리와 시간이 절약됩니다. 둘 다 필요합니다: 결과에 grad_fn이
    남으면 안 됩니다.

    TODO: return `model(x)` as inference. `model.eval()` switches to evaluation mode
    (Dropout off...) so the result is deterministic, and computing inside
    `with torch.no_grad():` builds no graph, saving memory and time. Both are needed: the
    output must not carry a grad_fn.
    """
    raise NotImplementedError


def freeze_except_last(model: nn.Sequential) -> nn.Sequential:
    """TODO: 전이 학습(fine-tuning)처럼, 마지막 `nn.Linear` 층의 파라미터만 학습되도록 나머지
    모든 파라미터를 고정(`requires_grad = False`)하세요. 마지막 모듈이 `nn.Linear`가 아닐 수도
    있습니다(예: 맨 끝의 `nn.ReLU`). `model.modules()`와 `isinstance(m, nn.Linear)`로 마지막
    Linear를 찾으세요. 새 모델이 아니라 **같은 모델 객체**를 돌려주세요.

    TODO: as in fine-tuning, freeze every parameter (`requires_grad = False`) except those of
    the last `nn.Linear` layer, which keep training. The last module may not be an
    `nn.Linear` (e.g. an `nn.ReLU` at the end): find the last Linear with `model.modules()`
    and `isinstance(m, nn.Linear)`. Return the **same model object**, not a new one.
    """
    raise NotImplementedError
