"""09_fashion_mnist — FashionMNIST 분류 (종합) / FashionMNIST classification (capstone)

지금까지 배운 것을 모두 모읍니다. 28x28 흑백 옷 이미지(10개 클래스)를 `torchvision`의
`FashionMNIST` 데이터셋(Map-style)으로 읽고, 변환(transform)으로 텐서로 바꿔 정규화한 뒤,
`nn.Module` 분류기를 05의 `make_loaders`와 06의 `fit`으로 학습합니다. 학습(train)과
검증(validation)을 나누어 과적합을 지켜봅니다.
This puts everything together: read the 28x28 grayscale clothing images (10 classes) with
torchvision's map-style `FashionMNIST` data set, turn them into normalized tensors with a
transform, and train an `nn.Module` classifier with `make_loaders` (module 05) and `fit`
(module 06), keeping training and validation apart to watch for overfitting.

채점은 인터넷 없이, FashionMNIST와 같은 파일 형식으로 만든 작은 데이터셋으로 합니다
(`root/FashionMNIST/raw/train-images-idx3-ubyte` 등).
Grading runs offline, on a small data set written in FashionMNIST's own file format
(`root/FashionMNIST/raw/train-images-idx3-ubyte`, ...).

각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace each `raise NotImplementedError` with your code, then run `make check`.
"""

import importlib

import torch
from torch import nn
from torchvision import datasets, transforms


def build_transform():
    """TODO: PIL 이미지를 모델 입력으로 바꾸는 변환을 돌려주세요:
    `transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])`.
    - `ToTensor()`: 28x28 PIL 흑백 이미지 → 실수(float32) 텐서 `[1, 28, 28]`, 값은 [0, 1].
    - `Normalize((mean,), (std,))`: 픽셀마다 `(x - mean) / std`. 입력을 0 근처로 모아 학습을
      안정시킵니다. FashionMNIST 자체의 평균 0.2860, 표준편차 0.3530 (또는 0.5, 0.5)을 쓰세요.
    순서가 중요합니다: Normalize는 텐서에만 동작하므로 ToTensor가 먼저입니다.

    TODO: return the transform that turns a PIL image into a model input:
    `transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])`.
    - `ToTensor()`: a 28x28 grayscale PIL image -> a float32 tensor `[1, 28, 28]` in [0, 1].
    - `Normalize((mean,), (std,))`: `(x - mean) / std` for every pixel, centring the inputs
      near 0, which steadies training. Use FashionMNIST's own mean 0.2860 and std 0.3530
      (or 0.5 and 0.5).
    Order matters: Normalize works on tensors only, so ToTensor comes first.
    """
    raise NotImplementedError


def load_fashion_mnist(root, train, download=False):
    """TODO: `torchvision.datasets.FashionMNIST`로 `root` 아래의 데이터를 읽어 데이터셋을
    돌려주세요. `train=True`면 학습용, `False`면 테스트용 파일입니다. `download`도 그대로
    넘기고(채점 중에는 인터넷이 없으니 기본값 False), `transform=build_transform()`을 주면
    샘플이 `(정규화된 [1, 28, 28] 텐서, 정수 레이블)`이 됩니다.

    TODO: read the data under `root` with `torchvision.datasets.FashionMNIST` and return
    the data set: `train=True` gives the training files, `False` the test files. Pass
    `download` on as well (default False: there is no internet while grading), and give it
    `transform=build_transform()` so that a sample is `(normalized [1, 28, 28] tensor, int label)`.
    """
    raise NotImplementedError


class FashionClassifier(nn.Module):
    """TODO: 이미지 배치 `[B, 1, 28, 28]`을 받아 10개 클래스의 로짓 `[B, 10]`을 돌려주는
    분류기를 만드세요 (B == 1일 때도).
    - `__init__`: 맨 먼저 `super().__init__()`, 그다음 층을 속성으로 만듭니다. 예:
      `nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))`.
    - `nn.Linear`는 마지막 차원만 보므로 먼저 펴야 합니다(`nn.Flatten()`: `[B, 784]`).
    - softmax를 붙이지 말고 로짓을 그대로 돌려주세요. `nn.CrossEntropyLoss`가 내부에서
      log-softmax를 적용합니다.

    TODO: build a classifier that takes an image batch `[B, 1, 28, 28]` and returns the
    logits of the 10 classes, `[B, 10]` (B == 1 too).
    - `__init__`: call `super().__init__()` first, then create the layers as attributes,
      e.g. `nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))`.
    - `nn.Linear` only looks at the last dimension, so flatten first (`nn.Flatten()`: `[B, 784]`).
    - Return the raw logits, no softmax: `nn.CrossEntropyLoss` applies log-softmax itself.
    """

    def __init__(self):
        super().__init__()
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def train_classifier(root, epochs, device):
    """TODO: `root`의 학습용 데이터로 `FashionClassifier`를 `epochs` 에폭 학습하고
    `(model, history)`를 돌려주세요. `history`는 06의 `fit`이 돌려주는 dict 그대로입니다.
    05와 06에서 만든 함수를 다시 쓰세요. 파일 이름이 숫자로 시작해 `import 05_data`는 문법
    오류이므로 `importlib`로 불러옵니다 (채점할 때도 같은 폴더에 있습니다):

        data = importlib.import_module("05_data")
        training = importlib.import_module("06_training")
        # data.make_loaders(...), training.fit(...)

    순서: ① `load_fashion_mnist(root, train=True)` → ② `data.make_loaders`로 학습/검증 로더
    (예: val_fraction=0.1, batch_size=64) → ③ `FashionClassifier().to(device)` →
    ④ 옵티마이저 (예: `torch.optim.Adam(model.parameters(), lr=1e-3)`, 또는 `torch.optim.SGD`에
    lr=0.01과 batch_size=64)와 `nn.CrossEntropyLoss()` → ⑤ `training.fit(...)`.
    학습에는 학습용 데이터(`train=True`)만 쓰세요. 채점기는 학습이 끝난 뒤 모델이 한 번도 본 적
    없는 새 이미지를 여러분의 `build_transform()`으로 바꿔 모델에 넣고, 맞힌 비율을 직접 셉니다
    (history에 적힌 값으로는 점수를 주지 않습니다).

    TODO: train a `FashionClassifier` on the training split under `root` for `epochs`
    epochs and return `(model, history)`, `history` being the dict `fit` (module 06)
    returns. Reuse what you wrote in modules 05 and 06. The file names start with a digit,
    so `import 05_data` is a syntax error: load them with `importlib` as above (they sit in
    the same folder when graded too). Steps: (1) `load_fashion_mnist(root, train=True)` ->
    (2) train/validation loaders from `data.make_loaders` (e.g. val_fraction=0.1,
    batch_size=64) -> (3) `FashionClassifier().to(device)` -> (4) an optimizer (e.g.
    `torch.optim.Adam(model.parameters(), lr=1e-3)`, or `torch.optim.SGD` with lr=0.01 and
    batch_size=64) and `nn.CrossEntropyLoss()` -> (5) `training.fit(...)`. Train on the
    training split (`train=True`) only. After training, the grader feeds the model new images
    it has never seen, through your own `build_transform()`, and counts the right answers
    itself (the numbers in the history earn no points).
    """
    raise NotImplementedError
