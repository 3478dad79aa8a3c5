"""08_image_restoration — 경사 하강법으로 깨진 이미지 복원하기 / Restoring a broken image with gradient descent

어떤 이미지를 평평하게 펴서(flatten) 알려진 함수 `corrupt`에 넣었더니 알아볼 수 없게
망가졌습니다(`broken`). 함수를 거꾸로 풀 수는 없어도, 무작위 텐서에서 시작해 "이 텐서를
망가뜨리면 `broken`과 얼마나 다른가"를 손실로 삼아 경사 하강법으로 줄여 가면 원본을 되찾을
수 있습니다. 모델도 `torch.optim`도 없이, 텐서 하나와 `backward()`, 그리고 `torch.no_grad()`
안에서의 업데이트만으로요.
An image was flattened and passed through a known function `corrupt`, which left it
unrecognisable (`broken`). We cannot invert the function by hand, but starting from a
random tensor and using "how far is corrupt(candidate) from `broken`" as the loss, gradient
descent brings the original back: no model, no `torch.optim`, only one tensor,
`backward()`, and updates inside `torch.no_grad()`.

직접 해 보기 / Try it (그림과 망가뜨리는 함수는 과정에 들어 있습니다 / the course ships the
picture and the corrupting function)::

    from torchdojo.coursekit.m08_image_restoration import make_image, weird_function, ascii_art
    image = make_image(12, 12)                  # 길이 144인 float64 벡터 / a float64 144-vector
    broken = weird_function(image)
    restored = restore(broken, weird_function, steps=300)
    print(ascii_art(broken, 12)); print(ascii_art(restored, 12))

손실이 어느 순간부터 더 줄지 않고 작은 값 근처에서 오르내려도 정상입니다: `torch.dist`(제곱하지 않은
거리)의 기울기는 길이가 거의 일정해서, lr이 고정이면 걸음 크기가 줄지 않기 때문입니다.
It is normal that the loss stops falling and bounces around a small value: the gradient of
`torch.dist` (a distance, not squared) has an almost constant length, so with a fixed lr
the steps never get shorter.

`raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace `raise NotImplementedError` with your code, then run `make check`.
"""

import torch


def restore(broken: torch.Tensor, corrupt, lr: float = 0.8, steps: int = 20000, seed: int = 0) -> torch.Tensor:
    """TODO: 망가진 이미지 `broken`을 경사 하강법으로 복원해 돌려주세요. 전략은 스터디 노트와 같습니다:
    1. 복원할 이미지와 똑같은 크기의 **무작위 텐서**(후보)를 만듭니다:
       `x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)`
       (같은 `seed`면 같은 출발점; dtype은 `broken`을 따르고, `.to(broken.device)`로 같은 장치에 둡니다).
    2. 후보를 망가뜨리는 함수에 넣어 **가설**을 만듭니다: `hypothesis = corrupt(x)`.
    3. **손실**은 가설과 실제 망가진 이미지의 거리입니다: `loss = torch.dist(hypothesis, broken)`.
    4. `loss.backward()`로 기울기를 구하고, 손실이 줄어드는 방향으로 후보를 업데이트합니다.
       업데이트는 기울기 추적 없이 `with torch.no_grad():` 안에서 `x = x - lr * x.grad`로 하고,
       다음 단계 시작에 `x.requires_grad_(True)`를 다시 켜세요. (no_grad 밖에서 업데이트하면 새 `x`는
       그래프에 매달린 중간 노드가 되어 `.grad`가 `None`이 되고, 제자리 연산 `x -= ...`은 오류가 납니다.)
    이 과정을 정확히 `steps`번 반복한 뒤, 그래프에서 떼어 낸 결과 `x.detach()`를 돌려주세요.

    TODO: restore the broken image `broken` by gradient descent and return it. The strategy
    is the study notes':
    1. Make a **random tensor** (the candidate) the size of the image to restore:
       `x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)`
       (the same `seed` gives the same start; the dtype follows `broken`, and
       `.to(broken.device)` puts it on the same device).
    2. Pass the candidate through the corrupting function to get a **hypothesis**:
       `hypothesis = corrupt(x)`.
    3. The **loss** is the distance between the hypothesis and the real broken image:
       `loss = torch.dist(hypothesis, broken)`.
    4. `loss.backward()` gives the gradient; move the candidate the way that lowers the loss.
       Update without tracking gradients, inside `with torch.no_grad():`, with
       `x = x - lr * x.grad`, and turn `x.requires_grad_(True)` back on at the start of the
       next step. (Updated outside no_grad, the new `x` is an intermediate node of the graph
       whose `.grad` is `None`; an in-place `x -= ...` raises an error.)
    Repeat exactly `steps` times, then return the result cut off from the graph: `x.detach()`.
    """
    raise NotImplementedError
