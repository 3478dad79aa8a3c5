"""06_training — 학습 루프 / The training loop

모든 학습은 같은 리듬을 반복합니다. 배치마다 ① `optimizer.zero_grad()` (이전 기울기 지우기)
→ ② 순전파 `model(x)` → ③ 손실 계산 `loss_fn(out, y)` → ④ 역전파 `loss.backward()` →
⑤ 가중치 갱신 `optimizer.step()`. 파이토치는 `backward()`를 할 때마다 기울기를 `.grad`에
**더하기(누적)** 때문에 ①을 빼먹으면 이전 배치의 기울기가 섞이고, ④와 ⑤의 순서가 바뀌면
`step()`이 쓸 기울기가 아직 없습니다. 평가할 때는 `model.eval()`(드롭아웃 끄기)과
`torch.no_grad()`(계산 그래프 만들지 않기)를 함께 씁니다.
Every training run repeats one rhythm per batch: (1) `optimizer.zero_grad()` (clear the
old gradients) -> (2) forward `model(x)` -> (3) the loss `loss_fn(out, y)` -> (4) backward
`loss.backward()` -> (5) update `optimizer.step()`. PyTorch ADDS each `backward()` into
`.grad` (accumulation), so without (1) earlier batches leak into the update, and with (4)
and (5) swapped `step()` has no gradients yet. To evaluate, use `model.eval()` (dropout
off) together with `torch.no_grad()` (no graph is built).

각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace each `raise NotImplementedError` with your code, then run `make check`.
"""

import torch


def train_one_epoch(model, loader, loss_fn, optimizer, device) -> float:
    """TODO: `loader`의 모든 배치로 모델을 한 에폭 학습하고, 샘플당 평균 손실을 파이썬 float으로
    돌려주세요.
    - 먼저 `model.train()`으로 학습 모드로 바꿉니다 (앞서 `evaluate`가 eval 모드로 바꿔 두었을
      수 있습니다).
    - 배치마다: `x, y`를 `.to(device)`로 옮기고 → `optimizer.zero_grad()` → `model(x)` →
      `loss_fn(...)` → `loss.backward()` → `optimizer.step()`.
    - 평균은 "배치 평균들의 평균"이 아니라 샘플당 평균입니다. 마지막 배치는 더 작을 수 있으니
      `loss.item() * len(x)`를 더하고 전체 샘플 수로 나누세요.

    TODO: train `model` for one epoch over every batch of `loader` and return the mean loss
    per sample as a Python float.
    - First switch to training mode with `model.train()` (`evaluate` may have left the model
      in eval mode).
    - Per batch: move `x, y` with `.to(device)` -> `optimizer.zero_grad()` -> `model(x)` ->
      `loss_fn(...)` -> `loss.backward()` -> `optimizer.step()`.
    - The mean is per sample, not the mean of the batch means: the last batch may be
      smaller, so add `loss.item() * len(x)` and divide by the number of samples.
    """
    raise NotImplementedError


def evaluate(model, loader, loss_fn, device) -> tuple[float, float]:
    """TODO: `loader`의 데이터로 모델을 평가해 `(mean_loss, accuracy)`를 돌려주세요. 둘 다 파이썬
    float이고, `mean_loss`는 샘플당 평균 손실, `accuracy`는 맞힌 비율(0~1)입니다. 예측 클래스는
    로짓의 `argmax(dim=1)`입니다.
    - `model.eval()`: 드롭아웃 같은 층을 평가 모드로 바꿉니다.
    - `with torch.no_grad():` 안에서 반복하세요. 평가에는 기울기가 필요 없으므로 계산 그래프를
      만들지 않아 메모리와 시간을 아낍니다. 둘은 하는 일이 다르니 둘 다 필요합니다.

    TODO: evaluate `model` on `loader` and return `(mean_loss, accuracy)`, both Python
    floats: the mean loss per sample, and the fraction (0 to 1) of correct predictions.
    The predicted class is the logits' `argmax(dim=1)`.
    - `model.eval()` switches layers such as dropout to evaluation behaviour.
    - Loop inside `with torch.no_grad():`: evaluating needs no gradients, so no graph is
      built, which saves memory and time. The two do different things: use both.
    """
    raise NotImplementedError


def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None) -> dict:
    """TODO: `epochs`번 반복하며 매 에폭 `train_one_epoch`로 학습하고 `evaluate`로 검증한 뒤,
    기록(history) dict를 돌려주세요. 키는 `"train_loss"`, `"val_loss"`, `"val_acc"`, `"lr"`이고
    값은 에폭마다 하나씩 담긴 리스트입니다.
    - `"lr"`: 그 에폭이 학습에 쓴 학습률. 에폭을 시작할 때 `optimizer.param_groups[0]["lr"]`을
      기록하세요.
    - 학습률 스케줄러(`scheduler`)가 주어지면 에폭마다 한 번, 검증이 끝난 뒤 `scheduler.step()`을
      호출합니다 (배치마다가 아닙니다). `ReduceLROnPlateau`는 성능이 멈췄는지 알아야 하므로
      검증 손실을 넘깁니다: `scheduler.step(val_loss)`.
      (`isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)`로 구분하세요.)

    TODO: for `epochs` epochs, train with `train_one_epoch`, validate with `evaluate`, and
    return the history dict with keys `"train_loss"`, `"val_loss"`, `"val_acc"` and `"lr"`,
    each a list with one value per epoch.
    - `"lr"`: the learning rate the epoch trained with; record
      `optimizer.param_groups[0]["lr"]` when the epoch starts.
    - When a learning-rate `scheduler` is given, call `scheduler.step()` once per epoch,
      after validation (not per batch). `ReduceLROnPlateau` has to know whether progress
      stalled, so give it the validation loss: `scheduler.step(val_loss)` (tell it apart
      with `isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)`).
    """
    raise NotImplementedError
