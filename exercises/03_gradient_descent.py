"""03_gradient_descent — 경사 하강법 (torch.optim 없이) / Gradient descent without torch.optim

경사 하강법은 손실의 기울기(gradient) 반대 방향으로 파라미터를 조금씩 옮겨 손실을 줄입니다:
`w ← w - lr * dL/dw`. 한 번의 반복은 (1) 순전파로 손실 계산, (2) `loss.backward()`로 기울기
계산, (3) `torch.no_grad()` 안에서 파라미터 갱신(갱신 자체는 그래프에 기록하면 안 됩니다),
(4) 다음 반복을 위해 기울기 초기화(`w.grad.zero_()`)입니다. 기울기는 누적되므로 초기화를
빠뜨리면 엉뚱한 방향으로 움직입니다. 이 모듈에서는 `torch.optim`을 쓰지 않고 직접 구현합니다.
Gradient descent lowers the loss by moving each parameter a little against its gradient:
`w ← w - lr * dL/dw`. One iteration: (1) forward pass and loss, (2) `loss.backward()` for
the gradients, (3) update the parameters inside `torch.no_grad()` (the update itself must not
be recorded in the graph), (4) reset the gradients for the next iteration (`w.grad.zero_()`).
Gradients accumulate, so forgetting the reset moves the parameters the wrong way. Here you
write it all by hand, without `torch.optim`.

각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace each `raise NotImplementedError` with your code, then run `make check`.
"""

from typing import Iterable

import torch


def fit_line(x: torch.Tensor, y: torch.Tensor, lr: float = 0.1, steps: int = 500) -> tuple[torch.Tensor, torch.Tensor]:
    """TODO: 1차원 실수 텐서 `x`, `y`에 직선 `w * x + b`를 경사 하강법으로 맞추세요.
    `w`와 `b`는 0에서 시작하는 0차원 텐서(`torch.zeros((), requires_grad=True)`, x와 같은
    dtype)입니다. `steps`번 반복하며: 손실은 평균 제곱 오차(MSE) `((w * x + b - y) ** 2).mean()`,
    `loss.backward()`, `with torch.no_grad():` 안에서 `w -= lr * w.grad`(b도), 그리고 매번 기울기
    초기화(`w.grad.zero_()` 또는 `w.grad = None`). `torch.optim`은 쓰지 마세요.
    `(w, b)`를 0차원 **잎(leaf)** 텐서로 돌려주세요 (`w.detach()`도 잎 텐서입니다). 갱신을
    `w = (w - lr * w.grad).detach().requires_grad_()`처럼 새 잎 텐서로 다시 묶는 방법도 됩니다.

    TODO: fit the line `w * x + b` to the 1-D float tensors `x`, `y` by gradient descent.
    `w` and `b` are 0-dim tensors starting at 0 (`torch.zeros((), requires_grad=True)`, the
    dtype of x). Repeat `steps` times: the loss is the mean squared error
    `((w * x + b - y) ** 2).mean()`, call `loss.backward()`, update `w -= lr * w.grad` (and b)
    inside `with torch.no_grad():`, and reset the gradients every step (`w.grad.zero_()` or
    `w.grad = None`). Do not use `torch.optim`. Return `(w, b)` as 0-dim **leaf** tensors
    (`w.detach()` is a leaf too). Rebinding to a new leaf,
    `w = (w - lr * w.grad).detach().requires_grad_()`, is fine as well.
    """
    raise NotImplementedError


def gd_step(params: Iterable[torch.Tensor], lr: float) -> None:
    """TODO: 경사 하강법 한 걸음: 각 파라미터 `p`(기울기 `p.grad`가 이미 계산됨)를
    `torch.no_grad()` 안에서 **제자리(in-place)**로 `p -= lr * p.grad` 갱신한 뒤, 기울기를
    초기화하세요(`p.grad.zero_()` 또는 `p.grad = None`). 아무것도 돌려주지 않습니다.
    `p = p - lr * p.grad`는 지역 변수 이름만 새 텐서에 묶을 뿐, 호출한 쪽의 파라미터는 그대로입니다.
    `params`는 리스트일 수도, `model.parameters()` 같은 제너레이터일 수도 있으니 한 번만 순회하세요.

    TODO: one step of gradient descent: update every parameter `p` (its gradient `p.grad` is
    already computed) **in place**, `p -= lr * p.grad`, inside `torch.no_grad()`, then clear
    its gradient (`p.grad.zero_()` or `p.grad = None`). Return nothing. `p = p - lr * p.grad`
    only binds a local name to a new tensor; the caller's parameters stay as they were.
    `params` may be a list or a generator such as `model.parameters()`: go through it once.
    """
    raise NotImplementedError
