"""Hidden grader of 09_fashion_mnist.

No download: a small, easy stand-in for FashionMNIST (10 classes, each a blocky pattern of
its own plus noise) is written in FashionMNIST's own IDX files inside the worker
(coursekit.m09_fashion_mnist), then read with the student's `load_fashion_mnist` (the real
`torchvision.datasets.FashionMNIST`). The trained model is scored on that set's t10k split
through the student's own `build_transform()`.
"""

import math

import pytest
import torch

from torchdojo.coursekit.m09_fashion_mnist import (
    accuracy_on_test_split,
    apply_transform,
    empty_root,
    fashion_arrays,
    tried_download,
    write_fashion_mnist,
)
from torchdojo.grading import (
    RemoteObject,
    StudentError,
    describe_type,
    ensure,
    expect_student_raises,
    fail,
    meta_of,
)
from torchdojo.grading import random_int as _size

N_TRAIN, N_TEST = 500, 200
EPOCHS = 2
THRESHOLD = 0.8
KEYS = ("train_loss", "val_loss", "val_acc", "lr")
FASHION = "torchvision.datasets.mnist.FashionMNIST"
MODULE = "torch.nn.modules.module.Module"


def _write(student, seed, n_train=N_TRAIN, n_test=N_TEST):
    return student.call(write_fashion_mnist, seed, n_train, n_test, _what="writing the FashionMNIST files")


# -- build_transform ----------------------------------------------------------------------

@pytest.mark.points(2)
def test_build_transform(student, rng):
    transform = student.build_transform()
    ensure(isinstance(transform, RemoteObject) and transform._td_callable,
           f"build_transform() must return a transform (e.g. transforms.Compose([...])), got {describe_type(transform)}",
           f"build_transform()은 변환(transforms.Compose([...]) 등)을 돌려줘야 하는데 {describe_type(transform)}이(가) "
           "왔습니다")
    pixels = torch.randint(0, 256, (28, 28), generator=rng, dtype=torch.uint8)
    pixels[0, 0], pixels[0, 1] = 0, 255  # the darkest and the brightest value, always
    got = student.call(apply_transform, transform, pixels.numpy(), _what="applying your transform to a 28x28 image")
    if not isinstance(got, torch.Tensor):
        fail(f"the transform must turn a PIL image into a tensor (transforms.ToTensor()), got {describe_type(got)}",
             f"변환은 PIL 이미지를 텐서로 바꿔야 합니다 (transforms.ToTensor()). {describe_type(got)}이(가) 왔습니다")
    ensure(got.dtype == torch.float32,
           f"the transformed image must be float32 (ToTensor() gives floats in [0, 1]), got {str(got.dtype)[6:]}",
           f"변환된 이미지는 float32여야 합니다 (ToTensor()는 [0, 1] 범위의 실수를 줍니다). {str(got.dtype)[6:]}입니다")
    ensure(list(got.shape) == [1, 28, 28],
           f"a 28x28 grayscale image must become shape [1, 28, 28] (channel first), got {list(got.shape)}",
           f"28x28 흑백 이미지는 모양 [1, 28, 28]이 되어야 합니다 (채널이 먼저). {list(got.shape)}입니다")
    raw = pixels.double() / 255
    out = got[0].double()
    ensure(bool(torch.isfinite(out).all()), "the transformed image has inf or nan values",
           "변환된 이미지에 inf나 nan 값이 있습니다")
    # Normalize(mean, std) after ToTensor: out = (raw - mean) / std, one affine map for every pixel
    scale = float(out[0, 1] - out[0, 0])
    shift = float(out[0, 0])
    affine = scale > 0 and bool(torch.allclose(out, raw * scale + shift, rtol=1e-4, atol=1e-4))
    ensure(affine,
           "the transform must be ToTensor() followed by Normalize(mean, std): every pixel p should become "
           "(p / 255 - mean) / std, which is not what came out (no random or per-pixel changes)",
           "변환은 ToTensor() 다음 Normalize(mean, std)여야 합니다: 모든 픽셀 p가 (p / 255 - mean) / std가 되어야 "
           "하는데 그렇지 않습니다 (무작위 변환이나 픽셀별 변환은 안 됩니다)")
    ensure(not (math.isclose(scale, 1.0, abs_tol=1e-4) and math.isclose(shift, 0.0, abs_tol=1e-4)),
           "the values are still in [0, 1]: add transforms.Normalize(mean, std) after ToTensor() "
           "(e.g. FashionMNIST's own mean 0.2860 and std 0.3530, or 0.5 and 0.5)",
           "값이 아직 [0, 1] 범위입니다: ToTensor() 뒤에 transforms.Normalize(mean, std)를 추가하세요 "
           "(예: FashionMNIST의 평균 0.2860과 표준편차 0.3530, 또는 0.5와 0.5)")
    mean, std = -shift / scale, 1 / scale
    ensure(0.0 <= mean <= 1.0 and 0.05 <= std <= 1.0,
           f"Normalize got mean {mean:.4g} and std {std:.4g}; pixel values after ToTensor() lie in [0, 1], so use a "
           "mean in [0, 1] and a std between 0.05 and 1 (e.g. 0.2860 and 0.3530)",
           f"Normalize의 평균이 {mean:.4g}, 표준편차가 {std:.4g}입니다. ToTensor() 뒤의 픽셀 값은 [0, 1]이므로 평균은 "
           "[0, 1], 표준편차는 0.05~1 사이로 하세요 (예: 0.2860과 0.3530)")


# -- load_fashion_mnist -------------------------------------------------------------------

def _expect_sample(dataset, index, label, split):
    sample = dataset[index]
    if not isinstance(sample, (tuple, list)) or len(sample) != 2:
        fail(f"{split}[{index}] must be a pair (image, label), got {describe_type(sample)}",
             f"{split}[{index}]는 (이미지, 레이블) 쌍이어야 하는데 {describe_type(sample)}이(가) 왔습니다")
    image, got_label = sample
    is_image = isinstance(image, RemoteObject) and image.isinstance_of("PIL.Image.Image")
    if isinstance(image, RemoteObject) and image.isinstance_of("torch.Tensor"):  # e.g. a tv_tensors.Image
        is_tensor = list(image.shape) == [1, 28, 28]
    else:
        is_tensor = isinstance(image, torch.Tensor) and list(image.shape) == [1, 28, 28]
    ensure(is_image or is_tensor,
           f"{split}[{index}][0] must be the image (a PIL image, or a [1, 28, 28] tensor after the transform), got "
           f"{describe_type(image)}{' of shape ' + str(list(image.shape)) if isinstance(image, torch.Tensor) else ''}",
           f"{split}[{index}][0]은 이미지(PIL 이미지, 또는 변환 후 [1, 28, 28] 텐서)여야 하는데 {describe_type(image)}"
           f"{'(모양 ' + str(list(image.shape)) + ')' if isinstance(image, torch.Tensor) else ''}이(가) 왔습니다")
    ensure(isinstance(got_label, int) and not isinstance(got_label, bool) and got_label == label,
           f"{split}[{index}][1] must be the label {label} (an int), got {got_label!r}",
           f"{split}[{index}][1]은 레이블 {label}(int)이어야 하는데 {got_label!r}입니다")


@pytest.mark.points(2)
def test_load_fashion_mnist(student, rng, seed):
    n_train = N_TRAIN - _size(rng, 0, 50)
    n_test = N_TEST - _size(rng, 1, 50)  # never equal to n_train
    root = _write(student, seed, n_train, n_test)
    _, train_labels, _, test_labels = fashion_arrays(seed, n_train, n_test)
    for train, n, labels, split in ((True, n_train, train_labels, "train"), (False, n_test, test_labels, "test")):
        try:
            dataset = student.load_fashion_mnist(root, train, download=False)
        except StudentError as err:
            if err.is_a("RuntimeError") and "not found" in err.raw_message:
                fail(f"load_fashion_mnist(root, train={train}) did not find the data that is there: "
                     "use torchvision.datasets.FashionMNIST(root, train=train, ...) with `root` as given; it reads "
                     f"root/FashionMNIST/raw/ ({err.type_name}: {err.raw_message})",
                     f"load_fashion_mnist(root, train={train})가 있는 데이터를 찾지 못했습니다. 받은 `root` 그대로 "
                     "torchvision.datasets.FashionMNIST(root, train=train, ...)를 쓰세요. root/FashionMNIST/raw/를 "
                     f"읽습니다 ({err.type_name}: {err.raw_message})")
            raise
        ensure(isinstance(dataset, RemoteObject) and dataset.isinstance_of(FASHION),
               f"load_fashion_mnist must return torchvision.datasets.FashionMNIST, got {describe_type(dataset)}",
               f"load_fashion_mnist는 torchvision.datasets.FashionMNIST를 돌려줘야 하는데 {describe_type(dataset)}이(가) "
               "왔습니다")
        ensure(len(dataset) == n,
               f"load_fashion_mnist(root, train={train}) has {len(dataset)} samples, but the {split} files hold {n}: "
               "pass `train` on to FashionMNIST (train=True: the training split, train=False: the test split)",
               f"load_fashion_mnist(root, train={train})의 샘플이 {len(dataset)}개인데 {split} 파일에는 {n}개가 있습니다. "
               "`train`을 FashionMNIST에 그대로 넘기세요 (train=True: 학습용, train=False: 테스트용)")
        for index in (0, _size(rng, 1, n)):
            _expect_sample(dataset, index, int(labels[index]), split)


@pytest.mark.points(1, item="load_fashion_mnist.no_download")
def test_load_fashion_mnist_no_download(student):
    root = student.call(empty_root, _what="preparing a folder without data")
    with expect_student_raises("RuntimeError", "load_fashion_mnist(root without the files, train=True)"):
        student.load_fashion_mnist(root, True)
    ensure(not student.call(tried_download, root, _what="looking at the data folder"),
           "load_fashion_mnist(root, train) tried to download the data: `download` must default to False and be "
           "passed on as given (FashionMNIST(root, train=train, download=download)); downloading is the caller's choice",
           "load_fashion_mnist(root, train)가 데이터를 내려받으려 했습니다. `download`의 기본값은 False이고, 받은 값을 "
           "그대로 넘겨야 합니다 (FashionMNIST(root, train=train, download=download)). 내려받을지는 호출하는 쪽이 정합니다")


# -- FashionClassifier --------------------------------------------------------------------

def _build_model(student):
    try:
        return student.FashionClassifier()
    except StudentError as err:
        if err.is_a("AttributeError") and "before Module.__init__() call" in err.raw_message:
            fail("FashionClassifier(): call super().__init__() first in __init__, before creating layers: "
                 "nn.Module has to set itself up before it can keep layers as attributes "
                 f"({err.type_name}: {err.raw_message})",
                 "FashionClassifier(): __init__ 맨 처음, 층을 만들기 전에 super().__init__()을 호출하세요. "
                 f"nn.Module이 먼저 준비되어야 층을 속성으로 저장할 수 있습니다 ({err.type_name}: {err.raw_message})")
        raise


@pytest.mark.points(3)
@pytest.mark.parametrize("batch", ["batch", "batch_of_one"])
def test_FashionClassifier(student, rng, batch):
    model = _build_model(student)
    ensure(isinstance(model, RemoteObject) and model.isinstance_of(MODULE),
           f"FashionClassifier() must be an nn.Module, got {describe_type(model)}",
           f"FashionClassifier()는 nn.Module이어야 하는데 {describe_type(model)}입니다")
    b = 1 if batch == "batch_of_one" else _size(rng, 2, 7)
    x = torch.randn(b, 1, 28, 28, generator=rng)
    model.eval()  # inference, as for one image (BatchNorm cannot train on a batch of one)
    try:
        out = model(x, _to_device=False)
    except StudentError as err:
        if err.is_a("RuntimeError") and "shape" in err.raw_message:
            fail(f"FashionClassifier failed on an input of shape {list(x.shape)}: flatten the image before the "
                 f"Linear layer (nn.Flatten() or x.flatten(1): [B, 1, 28, 28] -> [B, 784]) ({err.raw_message})",
                 f"FashionClassifier가 모양 {list(x.shape)}인 입력에서 실패했습니다. Linear 층 전에 이미지를 펴세요 "
                 f"(nn.Flatten() 또는 x.flatten(1): [B, 1, 28, 28] -> [B, 784]) ({err.raw_message})")
        raise
    if not isinstance(out, torch.Tensor):
        fail(f"FashionClassifier must return a tensor of logits, got {describe_type(out)}",
             f"FashionClassifier는 로짓 텐서를 돌려줘야 하는데 {describe_type(out)}이(가) 왔습니다")
    ensure(list(out.shape) == [b, 10],
           f"for an input of shape {list(x.shape)} the logits must have shape [{b}, 10], got {list(out.shape)}"
           + (" (keep the batch dim when B == 1: no squeeze())" if b == 1 else ""),
           f"모양 {list(x.shape)}인 입력이면 로짓의 모양은 [{b}, 10]이어야 하는데 {list(out.shape)}입니다"
           + (" (B == 1이어도 배치 차원을 지키세요: squeeze() 금지)" if b == 1 else ""))
    ensure(out.dtype == torch.float32, f"the logits must be float32, got {str(out.dtype)[6:]}",
           f"로짓은 float32여야 하는데 {str(out.dtype)[6:]}입니다")
    meta = meta_of(out)
    ensure(meta is None or meta.requires_grad,
           "the output does not require grad: the model's parameters must take part in forward (no torch.no_grad() "
           "or .detach() inside forward)",
           "출력이 기울기를 요구하지 않습니다. 순전파에 모델 파라미터가 쓰여야 합니다 (forward 안에서 torch.no_grad()나 "
           ".detach() 금지)")
    looks_like_probabilities = bool(((out >= 0) & (out <= 1)).all()) and bool(
        torch.allclose(out.sum(dim=1), torch.ones(b), atol=1e-4))
    ensure(not looks_like_probabilities,
           "FashionClassifier returns probabilities (softmax): return the raw logits, because nn.CrossEntropyLoss "
           "applies log-softmax itself",
           "FashionClassifier가 확률(softmax)을 돌려줍니다. 가공하지 않은 로짓을 돌려주세요. nn.CrossEntropyLoss가 "
           "log-softmax를 직접 적용합니다")


# -- train_classifier ---------------------------------------------------------------------

@pytest.mark.points(5)
def test_train_classifier(student, seed, device, artifacts):
    root = _write(student, seed)
    result = student.train_classifier(root, EPOCHS, device)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"train_classifier must return (model, history), got {describe_type(result)}",
             f"train_classifier는 (model, history)를 돌려줘야 하는데 {describe_type(result)}이(가) 왔습니다")
    model, history = result
    ensure(isinstance(model, RemoteObject) and model.isinstance_of(MODULE),
           f"train_classifier: the first value must be the trained model (an nn.Module), got {describe_type(model)}",
           f"train_classifier: 첫 번째 값은 학습된 모델(nn.Module)이어야 하는데 {describe_type(model)}입니다")
    if not isinstance(history, dict):
        fail(f"train_classifier: the second value must be the history dict that fit() returns, got "
             f"{describe_type(history)}",
             f"train_classifier: 두 번째 값은 fit()이 돌려주는 history dict여야 하는데 {describe_type(history)}입니다")
    missing = [k for k in KEYS if k not in history]
    ensure(not missing, f"the history lacks the key(s) {missing}; fit() returns {list(KEYS)}",
           f"history에 키 {missing}이(가) 없습니다. fit()은 {list(KEYS)}를 돌려줍니다")
    artifacts.save("training", history=history)
    for key in KEYS:
        values = history[key]
        ensure(isinstance(values, list) and len(values) == EPOCHS
               and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values),
               f"history[{key!r}] must be a list of {EPOCHS} numbers (one per epoch, epochs={EPOCHS}), got {values!r:.120}",
               f"history[{key!r}]는 숫자 {EPOCHS}개의 리스트여야 합니다 (에폭마다 하나, epochs={EPOCHS}). 받은 값: "
               f"{values!r:.120}")
    ensure(all(0.0 <= v <= 1.0 for v in history["val_acc"]),
           f"history['val_acc'] must hold fractions in [0, 1], got {history['val_acc']}",
           f"history['val_acc']에는 [0, 1] 범위의 비율이 있어야 하는데 {history['val_acc']}입니다")
    try:
        transform = student.build_transform()
    except StudentError as err:
        fail(f"the trained model is scored with your build_transform(), which raised {err.type_name}: "
             f"{err.raw_message}",
             f"학습된 모델은 여러분의 build_transform()으로 평가하는데, 그 함수가 {err.type_name}을(를) 발생시켰습니다: "
             f"{err.raw_message}")
    accuracy = student.call(accuracy_on_test_split, model, root, transform, device,
                            _what="scoring your model on the test split")
    ensure(accuracy >= THRESHOLD,
           f"after train_classifier(root, epochs={EPOCHS}) the model's accuracy on the test split is {accuracy:.1%}, "
           f"below {THRESHOLD:.0%} (this small data set is easy: a model that trained reaches about 100%). Did it "
           "train on the training split, with the optimizer stepping the model's own parameters?",
           f"train_classifier(root, epochs={EPOCHS}) 후 테스트 데이터 정확도가 {accuracy:.1%}로 {THRESHOLD:.0%}보다 "
           "낮습니다 (이 작은 데이터셋은 쉬워서 제대로 학습하면 약 100%가 나옵니다). 학습용 데이터로, 모델 자신의 "
           "파라미터를 옵티마이저가 갱신하도록 학습했나요?")
