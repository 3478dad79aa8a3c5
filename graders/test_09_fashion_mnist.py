"""Hidden grader of 09_fashion_mnist.

No download: a small, easy stand-in for FashionMNIST (10 classes, each a blocky pattern of
its own, shifted, with a brightness of its own and noise) is made here in the scorer and
written in FashionMNIST's own IDX files (coursekit.m09_fashion_mnist), then read with the
student's `load_fashion_mnist` (the real `torchvision.datasets.FashionMNIST`).

What decides `train_classifier` never enters the worker: the training split on disk carries
the true labels, the test split a decoy naming of the classes (a model trained on
`train=False` learns the wrong names); after training, the scorer draws new images, sends
them without labels, gets the model's logits back (through the student's `build_transform`)
and counts the correct answers itself. The history the student returns is only checked for
its form and for consistency: it can cost points, never earn them.

Fixed cases come from `fixed_generator` (the same on every seed): the training files, the
test files and 300 held-out images; random cases (new held-out images of the same classes,
new pixel images, batch sizes, sample indices) come from `rng`.
"""

from __future__ import annotations

import functools
import math
import numbers
from contextlib import contextmanager
from typing import Any, Iterator, NamedTuple

import pytest
import torch

from torchdojo.coursekit.m09_fashion_mnist import (
    apply_transforms,
    balanced_labels,
    derangement,
    empty_root,
    images_of,
    logits_of,
    probe_06_training,
    prototypes,
    seed_torch,
    tried_download,
    write_fashion_mnist,
)
from torchdojo.grading import (
    GradeFailure,
    RemoteObject,
    StudentError,
    Text,
    cases,
    describe_type,
    ensure,
    expect_student_raises,
    fail,
    fixed_generator,
    meta_of,
)
from torchdojo.grading import random_int as _size

N_TRAIN, N_TEST = 4000, 500  # the files on disk
N_HELD_FIXED, N_HELD_RANDOM = 300, 200  # new images after training: labels stay here
EPOCHS = 4
THRESHOLD = 0.5  # a model that trained reaches 70-100% here; untrained: about 10%
GUESSING = 0.25  # below this the model did not learn at all
KEYS = ("train_loss", "val_loss", "val_acc", "lr")
FASHION = "torchvision.datasets.mnist.FashionMNIST"
MODULE = "torch.nn.modules.module.Module"
DATA_TAG, HELD_TAG, PIXELS_TAG, INPUT_TAG = 90, 91, 92, 93
TORCH_SEED = 0


class FashionSet(NamedTuple):
    protos: torch.Tensor
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor  # what the t10k file says: the decoy names
    decoy: torch.Tensor  # decoy[c]: the name the test split gives class c


@functools.lru_cache(maxsize=1)
def _fixed_set() -> FashionSet:
    gen = fixed_generator(DATA_TAG)
    protos = prototypes(gen)
    train_labels = balanced_labels(N_TRAIN, gen)
    train_images = images_of(protos, train_labels, gen)
    test_true = balanced_labels(N_TEST, gen)
    test_images = images_of(protos, test_true, gen)
    decoy = derangement(gen)
    return FashionSet(protos, train_images, train_labels, test_images, decoy[test_true], decoy)


def _write(data_dir: Any) -> str:
    data = _fixed_set()
    return write_fashion_mnist(data_dir, data.train_images.numpy(), data.train_labels.numpy(),
                               data.test_images.numpy(), data.test_labels.numpy())


# -- naming the real cause of a student error ---------------------------------------------

def _lines_of(source: Any, name: str, where: str) -> list[int]:
    if source is None or not getattr(source, "ok", False):
        return []
    return sorted({line for line, _ in source.mentions([name], where=where)})


def _cause(err: StudentError, source: Any) -> Text | None:
    """What names where a student error really comes from, or None."""
    frames = err.where or []
    if err.is_a("TypeError") and "should be" in err.raw_message and "Tensor" in err.raw_message:
        lines = [f["line"] for f in frames if f.get("file") == "09_fashion_mnist.py"
                 and "Normalize" in f.get("code", "")] or _lines_of(source, "Normalize", "build_transform")
        at = f" (line {lines[0]})" if lines else ""
        at_ko = f" ({lines[0]}번째 줄)" if lines else ""
        return Text(en=f"build_transform: Normalize{at} comes before ToTensor, but Normalize works on tensors only and gets "
                "the PIL image: put transforms.ToTensor() first, then transforms.Normalize(mean, std) "
                f"({err.type_name}: {err.raw_message:.120})",
                ko=f"build_transform: Normalize{at_ko}가 ToTensor보다 먼저 있습니다. Normalize는 텐서에만 동작하는데 PIL "
                   "이미지를 받았습니다. transforms.ToTensor()를 먼저, 그다음 transforms.Normalize(mean, std)를 두세요 "
                   f"({err.type_name}: {err.raw_message:.120})")
    for module, number in (("06_training", "06"), ("05_data", "05")):
        mine = [f for f in frames if f.get("file") == f"{module}.py"]
        if mine:
            last = mine[-1]
            what = "is not implemented yet" if err.not_implemented else f"raised {err.type_name}: {err.raw_message:.200}"
            what_ko = ("가 아직 구현되지 않았습니다" if err.not_implemented
                       else f"에서 {err.type_name}이(가) 발생했습니다: {err.raw_message:.200}")
            return Text(en=f"the problem is in your {module}.py, which this module uses: {last['function']} (line "
                    f"{last['line']}) {what}. Fix module {number} first (torchdojo check --module {module})",
                    ko=f"이 모듈이 쓰는 {module}.py에 문제가 있습니다: {last['function']} ({last['line']}번째 줄){what_ko}. "
                       f"먼저 {number} 모듈을 고치세요 (torchdojo check --module {module})")
    return None


@contextmanager
def _named_causes(source: Any) -> Iterator[None]:
    try:
        yield
    except StudentError as err:
        cause = _cause(err, source)
        if cause is None or (err.not_implemented and not any(
                f.get("file") in ("05_data.py", "06_training.py") for f in err.where or [])):
            raise
        raise GradeFailure(cause) from None


# -- build_transform ----------------------------------------------------------------------

def _pixels(gen: Any) -> torch.Tensor:
    pixels = torch.randint(0, 256, (28, 28), generator=gen, dtype=torch.uint8)
    pixels[0, 0], pixels[0, 1] = 0, 255  # the darkest and the brightest value, always
    return pixels


def _fixed_pixels() -> list[torch.Tensor]:
    gen = fixed_generator(PIXELS_TAG)
    dark = torch.zeros((28, 28), dtype=torch.uint8)
    dark[0, 1] = 255  # almost all black: a per-image normalisation would stand out
    clothing = _fixed_set().train_images[0].clone()
    clothing[0, 0], clothing[0, 1] = 0, 255
    return [_pixels(gen), dark, clothing]


@pytest.mark.points(2)
def test_build_transform(student, source, rng):
    with _named_causes(source):
        transform = student.build_transform()
    ensure(isinstance(transform, RemoteObject) and transform._td_callable,
           en=f"build_transform() must return a transform (e.g. transforms.Compose([...])), got {describe_type(transform)}",
           ko=f"build_transform()은 변환(transforms.Compose([...]) 등)을 돌려줘야 하는데 {describe_type(transform)}이(가) "
              "왔습니다")
    images = list(cases(rng, fixed=_fixed_pixels(), random=_pixels, count=2))
    with _named_causes(source):
        outputs = student.call(apply_transforms, transform, [p.numpy() for p in images],
                               _what="applying your transform to 28x28 images")
    ensure(isinstance(outputs, list) and len(outputs) == len(images), en="the transform gave no result per image",
           ko="변환이 이미지마다 결과를 주지 않았습니다")
    maps = []
    for pixels, got in zip(images, outputs):
        if not isinstance(got, torch.Tensor):
            fail(en=f"the transform must turn a PIL image into a tensor (transforms.ToTensor()), got {describe_type(got)}",
                 ko=f"변환은 PIL 이미지를 텐서로 바꿔야 합니다 (transforms.ToTensor()). {describe_type(got)}이(가) 왔습니다")
        ensure(got.dtype == torch.float32,
               en=f"the transformed image must be float32 (ToTensor() gives floats in [0, 1]), got {str(got.dtype)[6:]}",
               ko=f"변환된 이미지는 float32여야 합니다 (ToTensor()는 [0, 1] 범위의 실수를 줍니다). {str(got.dtype)[6:]}입니다")
        ensure(list(got.shape) == [1, 28, 28],
               en=f"a 28x28 grayscale image must become shape [1, 28, 28] (channel first), got {list(got.shape)}",
               ko=f"28x28 흑백 이미지는 모양 [1, 28, 28]이 되어야 합니다 (채널이 먼저). {list(got.shape)}입니다")
        raw = pixels.double() / 255
        out = got[0].double()
        ensure(bool(torch.isfinite(out).all()), en="the transformed image has inf or nan values",
               ko="변환된 이미지에 inf나 nan 값이 있습니다")
        # Normalize(mean, std) after ToTensor: out = (raw - mean) / std, one affine map for every pixel
        scale = float(out[0, 1] - out[0, 0])
        shift = float(out[0, 0])
        affine = scale > 0 and bool(torch.allclose(out, raw * scale + shift, rtol=1e-4, atol=1e-4))
        ensure(affine,
               en="the transform must be ToTensor() followed by Normalize(mean, std): every pixel p should become "
                  "(p / 255 - mean) / std, which is not what came out (no random or per-pixel changes)",
               ko="변환은 ToTensor() 다음 Normalize(mean, std)여야 합니다: 모든 픽셀 p가 (p / 255 - mean) / std가 되어야 "
                  "하는데 그렇지 않습니다 (무작위 변환이나 픽셀별 변환은 안 됩니다)")
        maps.append((scale, shift))
    scale, shift = maps[0]
    ensure(all(math.isclose(s, scale, rel_tol=1e-4, abs_tol=1e-4) and math.isclose(t, shift, rel_tol=1e-4, abs_tol=1e-4)
               for s, t in maps),
           en="the transform normalises each image differently (e.g. with that image's own mean and std): Normalize "
              "needs the same mean and std for every image, e.g. FashionMNIST's 0.2860 and 0.3530",
           ko="변환이 이미지마다 다르게 정규화합니다 (예: 그 이미지 자신의 평균과 표준편차). Normalize는 모든 이미지에 같은 "
              "평균과 표준편차를 써야 합니다 (예: FashionMNIST의 0.2860과 0.3530)")
    ensure(not (math.isclose(scale, 1.0, abs_tol=1e-4) and math.isclose(shift, 0.0, abs_tol=1e-4)),
           en="the values are still in [0, 1]: add transforms.Normalize(mean, std) after ToTensor() "
              "(e.g. FashionMNIST's own mean 0.2860 and std 0.3530, or 0.5 and 0.5)",
           ko="값이 아직 [0, 1] 범위입니다: ToTensor() 뒤에 transforms.Normalize(mean, std)를 추가하세요 "
              "(예: FashionMNIST의 평균 0.2860과 표준편차 0.3530, 또는 0.5와 0.5)")
    mean, std = -shift / scale, 1 / scale
    ensure(0.0 <= mean <= 1.0 and 0.05 <= std <= 1.0,
           en=f"Normalize got mean {mean:.4g} and std {std:.4g}; pixel values after ToTensor() lie in [0, 1], so use a "
              "mean in [0, 1] and a std between 0.05 and 1 (e.g. 0.2860 and 0.3530)",
           ko=f"Normalize의 평균이 {mean:.4g}, 표준편차가 {std:.4g}입니다. ToTensor() 뒤의 픽셀 값은 [0, 1]이므로 평균은 "
              "[0, 1], 표준편차는 0.05~1 사이로 하세요 (예: 0.2860과 0.3530)")


# -- load_fashion_mnist -------------------------------------------------------------------

def _expect_sample(dataset, index, label, split):
    sample = dataset[index]
    if not isinstance(sample, (tuple, list)) or len(sample) != 2:
        fail(en=f"{split}[{index}] must be a pair (image, label), got {describe_type(sample)}",
             ko=f"{split}[{index}]는 (이미지, 레이블) 쌍이어야 하는데 {describe_type(sample)}이(가) 왔습니다")
    image, got_label = sample
    is_image = isinstance(image, RemoteObject) and image.isinstance_of("PIL.Image.Image")
    if isinstance(image, RemoteObject) and image.isinstance_of("torch.Tensor"):  # e.g. a tv_tensors.Image
        is_tensor = list(image.shape) == [1, 28, 28]
    else:
        is_tensor = isinstance(image, torch.Tensor) and list(image.shape) == [1, 28, 28]
    ensure(is_image or is_tensor,
           en=f"{split}[{index}][0] must be the image (a PIL image, or a [1, 28, 28] tensor after the transform), got "
              f"{describe_type(image)}{' of shape ' + str(list(image.shape)) if isinstance(image, torch.Tensor) else ''}",
           ko=f"{split}[{index}][0]은 이미지(PIL 이미지, 또는 변환 후 [1, 28, 28] 텐서)여야 하는데 {describe_type(image)}"
              f"{'(모양 ' + str(list(image.shape)) + ')' if isinstance(image, torch.Tensor) else ''}이(가) 왔습니다")
    ensure(isinstance(got_label, int) and not isinstance(got_label, bool) and got_label == label,
           en=f"{split}[{index}][1] must be the label {label} (an int), got {got_label!r:.60}",
           ko=f"{split}[{index}][1]은 레이블 {label}(int)이어야 하는데 {got_label!r:.60}입니다")


@pytest.mark.points(2)
def test_load_fashion_mnist(student, source, rng, data_dir):
    root = _write(data_dir)
    data = _fixed_set()
    for train, labels, split in ((True, data.train_labels, "train"), (False, data.test_labels, "test")):
        n = len(labels)
        try:
            with _named_causes(source):
                dataset = student.load_fashion_mnist(root, train, download=False)
        except StudentError as err:
            if err.is_a("RuntimeError") and "not found" in err.raw_message:
                fail(en=f"load_fashion_mnist(root, train={train}) did not find the data that is there: "
                        "use torchvision.datasets.FashionMNIST(root, train=train, ...) with `root` as given; it reads "
                        f"root/FashionMNIST/raw/ ({err.type_name}: {err.raw_message:.200})",
                     ko=f"load_fashion_mnist(root, train={train})가 있는 데이터를 찾지 못했습니다. 받은 `root` 그대로 "
                        "torchvision.datasets.FashionMNIST(root, train=train, ...)를 쓰세요. root/FashionMNIST/raw/를 "
                        f"읽습니다 ({err.type_name}: {err.raw_message:.200})")
            raise
        ensure(isinstance(dataset, RemoteObject) and dataset.isinstance_of(FASHION),
               en=f"load_fashion_mnist must return torchvision.datasets.FashionMNIST, got {describe_type(dataset)}",
               ko=f"load_fashion_mnist는 torchvision.datasets.FashionMNIST를 돌려줘야 하는데 {describe_type(dataset)}이(가) "
                  "왔습니다")
        ensure(len(dataset) == n,
               en=f"load_fashion_mnist(root, train={train}) has {len(dataset)} samples, but the {split} files hold {n}: "
                  "pass `train` on to FashionMNIST (train=True: the training split, train=False: the test split)",
               ko=f"load_fashion_mnist(root, train={train})의 샘플이 {len(dataset)}개인데 {split} 파일에는 {n}개가 있습니다. "
                  "`train`을 FashionMNIST에 그대로 넘기세요 (train=True: 학습용, train=False: 테스트용)")
        for index in cases(rng, fixed=[0, n - 1], random=lambda r: _size(r, 1, n - 1), count=1):
            with _named_causes(source):
                _expect_sample(dataset, index, int(labels[index]), split)


@pytest.mark.points(1, item="load_fashion_mnist.no_download")
def test_load_fashion_mnist_no_download(student):
    root = student.call(empty_root, _what="preparing a folder without data")
    with expect_student_raises("RuntimeError", "load_fashion_mnist(root without the files, train=True)"):
        student.load_fashion_mnist(root, True)
    ensure(not student.call(tried_download, root, _what="looking at the data folder"),
           en="load_fashion_mnist(root, train) tried to download the data: `download` must default to False and be "
              "passed on as given (FashionMNIST(root, train=train, download=download)); downloading is the caller's choice",
           ko="load_fashion_mnist(root, train)가 데이터를 내려받으려 했습니다. `download`의 기본값은 False이고, 받은 값을 "
              "그대로 넘겨야 합니다 (FashionMNIST(root, train=train, download=download)). 내려받을지는 호출하는 쪽이 정합니다")


# -- FashionClassifier --------------------------------------------------------------------

def _build_model(student):
    try:
        return student.FashionClassifier()
    except StudentError as err:
        if err.is_a("AttributeError") and "before Module.__init__() call" in err.raw_message:
            fail(en="FashionClassifier(): call super().__init__() first in __init__, before creating layers: "
                    "nn.Module has to set itself up before it can keep layers as attributes "
                    f"({err.type_name}: {err.raw_message:.200})",
                 ko="FashionClassifier(): __init__ 맨 처음, 층을 만들기 전에 super().__init__()을 호출하세요. "
                    f"nn.Module이 먼저 준비되어야 층을 속성으로 저장할 수 있습니다 ({err.type_name}: {err.raw_message:.200})")
        raise


def _images_batch(b: int, gen: Any) -> torch.Tensor:
    return torch.randn(b, 1, 28, 28, generator=gen)


@pytest.mark.points(3)
@pytest.mark.parametrize("batch", ["batch", "batch_of_one"])
def test_FashionClassifier(student, rng, batch):
    model = _build_model(student)
    ensure(isinstance(model, RemoteObject) and model.isinstance_of(MODULE),
           en=f"FashionClassifier() must be an nn.Module, got {describe_type(model)}",
           ko=f"FashionClassifier()는 nn.Module이어야 하는데 {describe_type(model)}입니다")
    model.eval()  # inference, as for one image (BatchNorm cannot train on a batch of one)
    if batch == "batch_of_one":
        inputs = cases(rng, fixed=[_images_batch(1, fixed_generator(INPUT_TAG))], random=lambda r: _images_batch(1, r),
                       count=1)
    else:
        inputs = cases(rng, fixed=[_images_batch(3, fixed_generator(INPUT_TAG + 1))],
                       random=lambda r: _images_batch(_size(r, 2, 9), r), count=1)
    for x in inputs:
        _check_logits(model, x)


def _check_logits(model: Any, x: torch.Tensor) -> None:
    b = x.shape[0]
    try:
        out = model(x, _to_device=False)
    except StudentError as err:
        if err.is_a("RuntimeError") and "shape" in err.raw_message:
            fail(en=f"FashionClassifier failed on an input of shape {list(x.shape)}: flatten the image before the "
                    f"Linear layer (nn.Flatten() or x.flatten(1): [B, 1, 28, 28] -> [B, 784]) ({err.raw_message:.200})",
                 ko=f"FashionClassifier가 모양 {list(x.shape)}인 입력에서 실패했습니다. Linear 층 전에 이미지를 펴세요 "
                    f"(nn.Flatten() 또는 x.flatten(1): [B, 1, 28, 28] -> [B, 784]) ({err.raw_message:.200})")
        raise
    if not isinstance(out, torch.Tensor):
        fail(en=f"FashionClassifier must return a tensor of logits, got {describe_type(out)}",
             ko=f"FashionClassifier는 로짓 텐서를 돌려줘야 하는데 {describe_type(out)}이(가) 왔습니다")
    ensure(list(out.shape) == [b, 10],
           en=f"for an input of shape {list(x.shape)} the logits must have shape [{b}, 10], got {list(out.shape)}"
           + (" (keep the batch dim when B == 1: no squeeze())" if b == 1 else ""),
           ko=f"모양 {list(x.shape)}인 입력이면 로짓의 모양은 [{b}, 10]이어야 하는데 {list(out.shape)}입니다"
           + (" (B == 1이어도 배치 차원을 지키세요: squeeze() 금지)" if b == 1 else ""))
    ensure(out.dtype == torch.float32, en=f"the logits must be float32, got {str(out.dtype)[6:]}",
           ko=f"로짓은 float32여야 하는데 {str(out.dtype)[6:]}입니다")
    ensure(bool(torch.isfinite(out).all()), en="the logits hold inf or nan values", ko="로짓에 inf나 nan 값이 있습니다")
    meta = meta_of(out)  # a claim of the worker: it can only cost points
    ensure(meta is None or meta.requires_grad,
           en="the output does not require grad: the model's parameters must take part in forward (no torch.no_grad() "
              "or .detach() inside forward)",
           ko="출력이 기울기를 요구하지 않습니다. 순전파에 모델 파라미터가 쓰여야 합니다 (forward 안에서 torch.no_grad()나 "
              ".detach() 금지)")
    looks_like_probabilities = bool(((out >= 0) & (out <= 1)).all()) and bool(
        torch.allclose(out.sum(dim=1), torch.ones(b), atol=1e-4))
    ensure(not looks_like_probabilities,
           en="FashionClassifier returns probabilities (softmax): return the raw logits, because nn.CrossEntropyLoss "
              "applies log-softmax itself",
           ko="FashionClassifier가 확률(softmax)을 돌려줍니다. 가공하지 않은 로짓을 돌려주세요. nn.CrossEntropyLoss가 "
              "log-softmax를 직접 적용합니다")


# -- train_classifier ---------------------------------------------------------------------

def _held_out(gen: Any, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """New images of the training classes (never written, never sent before training ended) and their labels."""
    labels = balanced_labels(n, gen)
    return images_of(_fixed_set().protos, labels, gen), labels


def _number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(float(v))


def _check_history(history: Any) -> None:
    """The form of what fit returns, and values that cannot contradict each other (points can only be lost)."""
    if not isinstance(history, dict):
        fail(en=f"train_classifier: the second value must be the history dict that fit() returns, got "
                f"{describe_type(history)}",
             ko=f"train_classifier: 두 번째 값은 fit()이 돌려주는 history dict여야 하는데 {describe_type(history)}입니다")
    missing = [k for k in KEYS if k not in history]
    ensure(not missing, en=f"the history lacks the key(s) {missing}; fit() returns {list(KEYS)}",
           ko=f"history에 키 {missing}이(가) 없습니다. fit()은 {list(KEYS)}를 돌려줍니다")
    for key in KEYS:
        values = history[key]
        ensure(isinstance(values, list) and len(values) == EPOCHS and all(_number(v) for v in values),
               en=f"history[{key!r}] must be a list of {EPOCHS} finite numbers (one per epoch: train_classifier got "
                  f"epochs={EPOCHS}), got {values!r:.120}",
               ko=f"history[{key!r}]는 유한한 숫자 {EPOCHS}개의 리스트여야 합니다 (에폭마다 하나: train_classifier가 "
                  f"epochs={EPOCHS}를 받았습니다). 받은 값: {values!r:.120}")
    ensure(all(0.0 <= v <= 1.0 for v in history["val_acc"]),
           en=f"history['val_acc'] must hold fractions in [0, 1], got {history['val_acc']}",
           ko=f"history['val_acc']에는 [0, 1] 범위의 비율이 있어야 하는데 {history['val_acc']}입니다")
    ensure(all(v >= 0 for v in history["train_loss"] + history["val_loss"]),
           en="history: a cross-entropy loss is never negative", ko="history: 교차 엔트로피 손실은 음수가 될 수 없습니다")
    ensure(all(v > 0 for v in history["lr"]), en=f"history['lr'] must hold the learning rates (> 0), got {history['lr']}",
           ko=f"history['lr']에는 학습률(> 0)이 있어야 하는데 {history['lr']}입니다")
    # a wrongly classified sample has p(label) <= 1/2, so its cross-entropy is at least ln 2
    for epoch, (loss, acc) in enumerate(zip(history["val_loss"], history["val_acc"])):
        ensure(loss >= (1 - acc) * math.log(2) - 1e-3,
               en=f"history, epoch {epoch + 1}: val_acc {acc:.4g} and val_loss {loss:.4g} cannot both be true (with "
                  f"{1 - acc:.1%} wrong answers the mean cross-entropy is at least {(1 - acc) * math.log(2):.4g}): return "
                  "the history fit() computed, not numbers of your own",
               ko=f"history, {epoch + 1}번째 에폭: val_acc {acc:.4g}와 val_loss {loss:.4g}는 함께 참일 수 없습니다 (오답이 "
                  f"{1 - acc:.1%}이면 평균 교차 엔트로피는 최소 {(1 - acc) * math.log(2):.4g}입니다). 직접 만든 숫자가 아니라 "
                  "fit()이 계산한 history를 돌려주세요")


def _uses(source: Any, module: str) -> bool:
    return bool(_lines_of(source, module, "train_classifier"))


def _06_changes_nothing(student: Any) -> bool | None:
    """True if the student's own 06 train_one_epoch leaves a tiny model's parameters as they were."""
    try:
        before, after = student.call(probe_06_training, _what="running your 06 train_one_epoch on a tiny model")
        return all(isinstance(a, torch.Tensor) and torch.equal(a, b) for a, b in zip(after, before))
    except Exception:  # only a message depends on it
        return None


@pytest.mark.points(5)
def test_train_classifier(student, source, rng, device, artifacts, data_dir, request):
    root = _write(data_dir)
    data = _fixed_set()
    student.call(seed_torch, TORCH_SEED, _what="seeding your module's random generators")
    with _named_causes(source):
        result = student.train_classifier(root, EPOCHS, device)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(en=f"train_classifier must return (model, history), got {describe_type(result)}",
             ko=f"train_classifier는 (model, history)를 돌려줘야 하는데 {describe_type(result)}이(가) 왔습니다")
    model, history = result
    ensure(isinstance(model, RemoteObject) and model.isinstance_of(MODULE),
           en=f"train_classifier: the first value must be the trained model (an nn.Module), got {describe_type(model)}",
           ko=f"train_classifier: 첫 번째 값은 학습된 모델(nn.Module)이어야 하는데 {describe_type(model)}입니다")
    if isinstance(history, dict) and all(k in history for k in KEYS):
        artifacts.save("training", history=history)
    _check_history(history)
    try:
        with _named_causes(source):
            transform = student.build_transform()
    except StudentError as err:
        fail(en=f"the trained model is scored with your build_transform(), which raised {err.type_name}: "
                f"{err.raw_message:.200}",
             ko=f"학습된 모델은 여러분의 build_transform()으로 평가하는데, 그 함수가 {err.type_name}을(를) 발생시켰습니다: "
                f"{err.raw_message:.200}")
    held = list(cases(rng, fixed=[_held_out(fixed_generator(HELD_TAG), N_HELD_FIXED)],
                      random=lambda r: _held_out(r, N_HELD_RANDOM), count=1))
    images = torch.cat([h[0] for h in held])
    with _named_causes(source):
        logits = student.call(logits_of, model, transform, images.numpy(), device,
                              _what="running your trained model on new images")
    ensure(isinstance(logits, torch.Tensor) and list(logits.shape) == [len(images), 10],
           en=f"the trained model must give logits of shape [N, 10] for N images, got {describe_type(logits)}"
              f"{' of shape ' + str(list(logits.shape)) if isinstance(logits, torch.Tensor) else ''}",
           ko=f"학습된 모델은 이미지 N개에 모양 [N, 10]의 로짓을 줘야 하는데 {describe_type(logits)}"
              f"{'(모양 ' + str(list(logits.shape)) + ')' if isinstance(logits, torch.Tensor) else ''}이(가) 왔습니다")
    predictions = torch.nan_to_num(logits.double(), nan=-math.inf).argmax(dim=1)
    start = 0
    for _, labels in held:
        guess = predictions[start:start + len(labels)]
        start += len(labels)
        accuracy = float((guess == labels).double().mean())
        decoy_accuracy = float((guess == data.decoy[labels]).double().mean())
        if start == len(labels):  # the fixed held-out images: the leaderboard's number, counted here
            request.node.user_properties.append(("torchdojo_leaderboard", {"key": "accuracy", "value": accuracy}))
        _judge(student, source, history, accuracy, decoy_accuracy)


def _judge(student: Any, source: Any, history: dict, accuracy: float, decoy_accuracy: float) -> None:
    if accuracy >= THRESHOLD:
        return
    head_en = (f"after train_classifier(root, epochs={EPOCHS}) the model answers {accuracy:.1%} of new images of the "
               "training classes right")
    head_ko = f"train_classifier(root, epochs={EPOCHS}) 후 모델이 학습 클래스의 새 이미지 중 {accuracy:.1%}를 맞혔습니다"
    claimed = history["val_acc"][-1]
    if claimed >= THRESHOLD:
        head_en += f" (your history claims a validation accuracy of {claimed:.1%})"
        head_ko += f" (history에는 검증 정확도가 {claimed:.1%}라고 되어 있습니다)"
    if decoy_accuracy >= max(GUESSING, accuracy + 0.1):  # the names the t10k labels give
        fail(en=f"{head_en}, but it gives them the names of the test split: it trained on the test split. Train on "
                "load_fashion_mnist(root, train=True); the test split (train=False) is only for the final evaluation",
             ko=f"{head_ko}. 그런데 테스트 데이터의 이름을 붙입니다: 테스트 데이터로 학습했습니다. "
                "load_fashion_mnist(root, train=True)로 학습하세요. 테스트 데이터(train=False)는 마지막 평가에만 씁니다")
    if accuracy < GUESSING:
        if _uses(source, "06_training") and _06_changes_nothing(student):
            fail(en=f"{head_en}, no better than guessing. The cause is in your 06_training.py: its train_one_epoch "
                    "left the parameters of a small test model unchanged (call optimizer.step() after loss.backward()). "
                    "Fix module 06 first (torchdojo check --module 06_training)",
                 ko=f"{head_ko}. 찍는 것과 다르지 않습니다. 원인은 06_training.py에 있습니다: train_one_epoch가 작은 시험용 "
                    "모델의 파라미터를 바꾸지 않았습니다 (loss.backward() 다음 optimizer.step()을 호출하세요). 먼저 06 모듈을 "
                    "고치세요 (torchdojo check --module 06_training)")
        fail(en=f"{head_en}, no better than guessing (10 classes: 10%): the model did not learn. Train the model you "
                "return (the optimizer must get that model's parameters: optimizer = ...(model.parameters(), ...)), on "
                "load_fashion_mnist(root, train=True), for the `epochs` you are given",
             ko=f"{head_ko}. 찍는 것(10개 클래스: 10%)과 다르지 않습니다: 모델이 학습하지 않았습니다. 돌려주는 그 모델을 "
                "학습하세요 (옵티마이저가 그 모델의 파라미터를 받아야 합니다: optimizer = ...(model.parameters(), ...)). "
                "load_fashion_mnist(root, train=True)로, 받은 `epochs`만큼 학습하세요")
    fail(en=f"{head_en}, below {THRESHOLD:.0%}: it learned, but slowly. Try a larger learning rate (e.g. SGD with lr=0.01 "
            "or 0.1) or Adam (torch.optim.Adam(model.parameters(), lr=1e-3))",
         ko=f"{head_ko}. {THRESHOLD:.0%}보다 낮습니다: 학습은 했지만 느립니다. 더 큰 학습률(예: SGD의 lr=0.01이나 0.1)이나 "
            "Adam(torch.optim.Adam(model.parameters(), lr=1e-3))을 써 보세요")
