"""07_losses_optim — 손실 함수와 옵티마이저 직접 구현 / Losses and optimizers by hand

`nn.CrossEntropyLoss`, `nn.MSELoss`, `torch.optim.Adam`은 매일 쓰는 도구지만, 속을 직접 만들어
보면 무엇을 계산하는지 분명해집니다. 손실 함수는 텐서 연산만으로 만들면 autograd가 기울기를
알아서 계산해 주고, 옵티마이저는 `.grad`를 읽어 파라미터를 `torch.no_grad()` 안에서 제자리
(in-place) 업데이트하는 객체일 뿐입니다.
`nn.CrossEntropyLoss`, `nn.MSELoss` and `torch.optim.Adam` are everyday tools; building
them yourself makes clear what they compute. A loss written with tensor operations gets its
gradient from autograd for free, and an optimizer is just an object that reads `.grad` and
updates the parameters in place inside `torch.no_grad()`.

각 함수와 클래스의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
결과는 `F.cross_entropy`, `F.mse_loss`, `torch.optim.Adam`과 비교됩니다 (그것들을 불러 쓰지 말고
직접 계산하세요: `F.cross_entropy`, `F.nll_loss`, `nn.CrossEntropyLoss`, `nn.NLLLoss`, `F.mse_loss`,
`nn.MSELoss`, `torch.optim.Adam`은 다른 이름으로 가져와도 이미 만들어진 것으로 봅니다. `torch.log_softmax`,
`torch.logsumexp`는 써도 되고, `torch.optim.Optimizer`를 상속해도 됩니다. 비교해 보는 테스트 코드는
`if __name__ == "__main__":` 아래에 두세요).
Replace each `raise NotImplementedError` with your code, then run `make check`. The results
are compared with `F.cross_entropy`, `F.mse_loss` and `torch.optim.Adam` (compute them
yourself instead of calling those: `F.cross_entropy`, `F.nll_loss`, `nn.CrossEntropyLoss`,
`nn.NLLLoss`, `F.mse_loss`, `nn.MSELoss` and `torch.optim.Adam` count as ready-made even under
another name; `torch.log_softmax` and `torch.logsumexp` are fine, and so is subclassing
`torch.optim.Optimizer`. Keep test code that compares with them under
`if __name__ == "__main__":`).
"""

import torch


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """TODO: `F.cross_entropy(logits, targets)`와 같은 값을 직접 계산하세요. `logits`는 `[B, C]`
    실수 텐서(소프트맥스 전의 점수), `targets`는 정답 클래스 번호 `[B]`(int64)입니다. 샘플 i의
    손실은 `-log(softmax(logits[i])[targets[i]])` = `logsumexp(logits[i]) - logits[i, targets[i]]`이고,
    결과는 배치 평균(mean)인 0차원 텐서입니다 (합 아님).
    주의: 로짓이 1000쯤이면 `torch.exp(1000.)`은 float32에서 `inf`가 되어 `inf/inf = nan`이 나옵니다.
    행마다 최댓값을 빼고 exp를 계산하는 log-sum-exp 기법(`torch.logsumexp`, `torch.log_softmax`가 이미
    그렇게 합니다)을 쓰세요. `softmax` 뒤에 `log`를 따로 하면 0이 된 확률의 log가 `-inf`가 됩니다.
    `.item()`이나 NumPy를 거치지 말고 텐서 연산만 쓰면 autograd가 기울기도 계산해 줍니다.

    TODO: compute the value of `F.cross_entropy(logits, targets)` yourself. `logits` is a
    `[B, C]` float tensor (scores before softmax), `targets` the correct class indices `[B]`
    (int64). Sample i's loss is `-log(softmax(logits[i])[targets[i]])` =
    `logsumexp(logits[i]) - logits[i, targets[i]]`; the result is the batch MEAN (not the
    sum), a 0-dim tensor. Beware: for logits around 1000, `torch.exp(1000.)` is `inf` in
    float32 and `inf/inf = nan`. Use the log-sum-exp trick, subtracting each row's maximum
    before exp (`torch.logsumexp` and `torch.log_softmax` already do): taking `log` after a
    separate `softmax` turns probabilities that rounded to 0 into `-inf`. Use tensor
    operations only (no `.item()`, no NumPy) and autograd computes the gradient too.
    """
    raise NotImplementedError


def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """TODO: 평균 제곱 오차(MSE)를 직접 계산하세요: `F.mse_loss(pred, target)`와 같은 값,
    즉 모든 원소에 대한 `(pred - target)²`의 평균인 0차원 텐서입니다. 모양은 `[N]`, `[N, M]` 등
    무엇이든 올 수 있으니, 원소 개수 전체로 나누세요 (`len(pred)`는 첫 번째 차원의 크기일 뿐입니다).
    절댓값이 아니라 제곱, 합이 아니라 평균입니다.

    TODO: compute the mean squared error yourself: the value of `F.mse_loss(pred, target)`,
    the mean of `(pred - target)²` over ALL elements, as a 0-dim tensor. Inputs may have any
    shape (`[N]`, `[N, M]`, ...), so divide by the total number of elements (`len(pred)` is
    only the size of the first dimension). Squared, not absolute; the mean, not the sum.
    """
    raise NotImplementedError


class ManualAdam:
    """TODO: `torch.optim.Adam`(weight decay와 amsgrad 없음)과 똑같이 움직이는 옵티마이저를
    직접 만드세요. 사용법은 진짜 옵티마이저와 같습니다:
    `opt = ManualAdam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)`, 그리고 매 배치
    `opt.zero_grad()` → `loss.backward()` → `opt.step()`.

    - `__init__(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)`: `params`는 리스트일 수도,
      `model.parameters()` 같은 제너레이터(한 번만 순회 가능!)일 수도 있으니 `list(params)`로
      저장하세요. 파라미터마다 1차 모멘트 m과 2차 모멘트 v를 `torch.zeros_like(p)`로 준비합니다.
    - `step()`: 파라미터마다(업데이트 횟수 t는 1부터), g = `p.grad`로
      m = β1·m + (1−β1)·g,  v = β2·v + (1−β2)·g²,
      편향 보정 m̂ = m / (1−β1ᵗ),  v̂ = v / (1−β2ᵗ),
      p ← p − lr · m̂ / (√v̂ + eps)   (eps는 제곱근 **밖**에 더합니다).
      m과 v가 0에서 시작하므로 처음 몇 단계는 값이 작게 치우칩니다. 편향 보정이 그것을 바로잡습니다.
      업데이트는 `with torch.no_grad():` 안에서 제자리로(`p -= ...`, `p.sub_(...)`) 하세요:
      기울기를 추적하는 잎 텐서를 그냥 제자리 수정하면 오류가 나고, `p = p - ...`는 지역 변수 이름만
      바꿀 뿐 파라미터는 그대로입니다. `.grad`가 `None`인 파라미터(고정했거나 쓰이지 않은 것)는
      건너뜁니다 (`torch.optim.Adam`도 그렇게 합니다).
    - `zero_grad()`: 모든 파라미터의 기울기를 지웁니다 (`p.grad = None`, 또는 `None`이 아닐 때
      `p.grad.zero_()`). 처음 `backward()` 전에는 `.grad`가 `None`이라는 점을 잊지 마세요.

    TODO: build an optimizer that moves exactly like `torch.optim.Adam` (no weight decay, no
    amsgrad). It is used like the real one:
    `opt = ManualAdam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)`, then per
    batch `opt.zero_grad()` → `loss.backward()` → `opt.step()`.

    - `__init__(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)`: `params` may be a list or a
      generator such as `model.parameters()` (it can be iterated only once!), so store
      `list(params)`. Prepare a first moment m and a second moment v per parameter with
      `torch.zeros_like(p)`.
    - `step()`: for each parameter (the step count t starts at 1), with g = `p.grad`:
      m = β1·m + (1−β1)·g,  v = β2·v + (1−β2)·g²,
      bias correction m̂ = m / (1−β1ᵗ),  v̂ = v / (1−β2ᵗ),
      p ← p − lr · m̂ / (√v̂ + eps)   (eps is added OUTSIDE the square root).
      m and v start at 0, so the first steps are biased towards small values; the bias
      correction undoes that. Update in place inside `with torch.no_grad():` (`p -= ...`,
      `p.sub_(...)`): modifying a leaf that requires grad in place otherwise raises an
      error, and `p = p - ...` only rebinds a local name and leaves the parameter as it was.
      Skip parameters whose `.grad` is `None` (frozen or unused), as `torch.optim.Adam` does.
    - `zero_grad()`: clear every parameter's gradient (`p.grad = None`, or `p.grad.zero_()`
      when it is not `None`). Remember that `.grad` is `None` before the first `backward()`.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        raise NotImplementedError

    def step(self):
        raise NotImplementedError

    def zero_grad(self):
        raise NotImplementedError
