"""04_nn_module — 신경망 모듈 / nn.Module

파이토치의 모든 신경망 모델은 `nn.Module`을 상속받아 만듭니다. 두 가지만 기억하세요.
`__init__`에서 레고 블록을 준비하듯 사용할 층(layer)을 만들고, `forward`에서 입력이 그
층들을 어떻게 통과할지(순전파) 정합니다. 파이토치는 `forward`가 실행될 때 계산 그래프를
그리는 Define-by-Run 방식이라 디버깅이 직관적입니다.
Every PyTorch model subclasses `nn.Module`. Remember two things: build the layers you need
in `__init__` (like preparing Lego blocks), and describe in `forward` how the input flows
through them (the forward pass). PyTorch draws the graph while `forward` runs
(Define-by-Run), which keeps debugging simple.

각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace each `raise NotImplementedError` with your code, then run `make check`.
"""

import torch
from torch import nn


class MLP(nn.Module):
    """입력 -> `fc1` (nn.Linear) -> ReLU -> `fc2` (nn.Linear) -> 로짓(logits)인 2층 신경망.
    A two-layer network: input -> `fc1` (nn.Linear) -> ReLU -> `fc2` (nn.Linear) -> logits.
    """

    def __init__(self, in_features: int = 784, hidden: int = 128, out_features: int = 10):
        """TODO: 가장 먼저 `super().__init__()`를 호출하세요. 부모 클래스 `nn.Module`의
        생성자가 층과 파라미터를 기록할 저장소를 준비하기 때문에, 이것을 빼먹으면
        `self.fc1 = ...`에서 "cannot assign module before Module.__init__() call"
        AttributeError가 납니다. 그다음 층을 속성으로 만드세요:
        `self.fc1 = nn.Linear(in_features, hidden)`, `self.fc2 = nn.Linear(hidden,
        out_features)`. 층은 반드시 여기(`__init__`)에서 한 번만 만드세요. `forward`
        안에서 만들면 호출할 때마다 새 무작위 층이 생기고, 파라미터로 등록되지 않아
        학습되지 않습니다. ReLU는 `nn.ReLU()` 층이나 `torch.relu`를 쓰면 됩니다.

        TODO: call `super().__init__()` first. The parent constructor of `nn.Module` sets up
        the registries of layers and parameters; without it `self.fc1 = ...` fails with the
        AttributeError "cannot assign module before Module.__init__() call". Then create
        the layers as attributes: `self.fc1 = nn.Linear(in_features, hidden)` and
        `self.fc2 = nn.Linear(hidden, out_features)`. Build layers here, once: layers made
        inside `forward` are new random layers at every call and are not registered as
        parameters, so they never learn. For ReLU use an `nn.ReLU()` layer or `torch.relu`.
        """
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """TODO: `x`는 `[B, 1, 28, 28]`(이미지 배치)일 수도, `[B, 784]`일 수도 있습니다.
        먼저 `[B, in_features]`로 펴세요(`x.reshape(x.shape[0], -1)`, `x.flatten(1)`,
        `nn.Flatten()`). B가 1이어도 배치 차원을 지켜야 하므로 `squeeze`는 쓰지 마세요.
        그다음 `fc1 -> ReLU -> fc2`를 통과시켜 모양이 `[B, out_features]`인 로짓을
        돌려주세요. 마지막에 softmax를 적용하지 마세요: 손실 함수(`nn.CrossEntropyLoss`)가
        내부에서 log-softmax를 계산하므로, 모델은 정규화하지 않은 점수(로짓)를 내야 합니다.
        모델은 `model.forward(x)`가 아니라 `model(x)`로 부르면 `forward`가 자동으로
        호출됩니다.

        TODO: `x` is either `[B, 1, 28, 28]` (a batch of images) or `[B, 784]`. First
        flatten it to `[B, in_features]` (`x.reshape(x.shape[0], -1)`, `x.flatten(1)`,
        `nn.Flatten()`); keep the batch dimension even when B == 1, so no `squeeze`. Then
        pass it through `fc1 -> ReLU -> fc2` and return the logits of shape
        `[B, out_features]`. Do not apply softmax at the end: the loss
        (`nn.CrossEntropyLoss`) applies log-softmax itself, so a model returns raw scores
        (logits). Call a model as `model(x)`, not `model.forward(x)`: calling it runs
        `forward` for you.
        """
        raise NotImplementedError


def count_parameters(model: nn.Module) -> int:
    """TODO: `model`의 학습 가능한(trainable) 파라미터 개수를 파이썬 `int`로 돌려주세요.
    `model.parameters()`는 모든 파라미터 텐서를 돌려주고, `p.numel()`은 텐서 하나의 원소
    개수입니다. 고정된(frozen) 파라미터(`p.requires_grad`가 False)는 세지 마세요. 전이
    학습에서는 일부 층을 `requires_grad=False`로 고정하므로, 실제로 학습되는 수만 세는
    것이 중요합니다. `len(list(model.parameters()))`는 원소 수가 아니라 텐서의 개수입니다.

    TODO: return the number of trainable parameters of `model` as a Python `int`.
    `model.parameters()` yields every parameter tensor and `p.numel()` is the number of
    elements of one tensor. Skip frozen parameters (`p.requires_grad` is False): transfer
    learning freezes some layers with `requires_grad=False`, and what counts is what is
    trained. `len(list(model.parameters()))` counts tensors, not elements.
    """
    raise NotImplementedError
