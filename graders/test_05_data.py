"""Hidden grader of 05_data: batteries of fixed corner cases plus random ones.

Datasets are built in the worker from tensors, from folders of small PNG images written into the
run's data folder (`data_dir`, which the workers can read), and from a TensorDataset of distinct
ids (so a split and its loaders can be checked sample by sample). Every verdict rests on values
compared here with expectations computed here, never in a worker: the samples (features[i],
labels[i], the transform's result), the pixels the scorer wrote (converted to RGB as PIL does),
the split random_split makes with the same seed, the batches and their order. "Train shuffles"
is two epochs in different orders (the worker's global generator seeded first, so the outcome
depends only on the code); "validation does not" is the validation order equal to the split's.
What the worker says about its objects (their classes) may only take points away."""

import string

import pytest
import torch
from torch.utils.data import TensorDataset

from torchdojo.coursekit import m05_data as kit
from torchdojo.grading import (
    StudentError,
    cases,
    ensure,
    expect_sequence,
    expect_student_raises,
    expect_tensor,
    fail,
    fixed_generator,
)
from torchdojo.grading import random_int as _size

DATASET = "torch.utils.data.dataset.Dataset"
DATALOADER = "torch.utils.data.dataloader.DataLoader"


def _word(rng, letters, low=3, high=7):
    return "".join(letters[int(k)] for k in torch.randint(0, len(letters), (_size(rng, low, high),), generator=rng))


def _is_dataset(obj, label):
    ensure(getattr(obj, "isinstance_of", lambda _: False)(DATASET),
           en=f"{label} must be a torch.utils.data.Dataset: write class ...(Dataset) and implement __len__ and "
              "__getitem__",
           ko=f"{label}은(는) torch.utils.data.Dataset이어야 합니다: Dataset을 상속받고 __len__과 __getitem__을 "
              "구현하세요")


# -- PairDataset -------------------------------------------------------------------------------

def _pairs(rng):
    n, d = _size(rng, 5, 12), _size(rng, 2, 5)
    return torch.randn(n, d, generator=rng), torch.randint(0, 10, (n,), generator=rng)


def _fixed_pairs():
    """Several samples of 2-D features; a single sample; 1-D features (each sample a 0-dim tensor)."""
    gen = fixed_generator(501)
    return [(torch.randn(7, 3, generator=gen), torch.randint(0, 10, (7,), generator=gen)),
            (torch.randn(1, 4, generator=gen), torch.tensor([3])),
            (torch.randn(5, generator=gen), torch.tensor([4, 0, 9, 1, 1]))]


def check_pair_label(got, expected, name):
    """labels[i] as it is (a 0-dim tensor here); a Python int of the same value is fine too."""
    if isinstance(got, int) and not isinstance(got, bool):
        ensure(got == int(expected), en=f"{name}: expected {int(expected)}, got {got}",
               ko=f"{name}: {int(expected)}이어야 하는데 {got}입니다")
        return
    expect_tensor(got, expected, name)


def _check_len(ds, n, label):
    _is_dataset(ds, label)
    got = len(ds)
    ensure(got == n,
           en=f"len({label}) with {n} samples: expected {n}, got {got}. __len__ returns the number of "
              "samples, len(self.features), with nothing added or subtracted",
           ko=f"샘플 {n}개인 {label}의 len(): {n}이어야 하는데 {got}입니다. __len__은 샘플 개수 "
              "len(self.features)를 더하거나 빼지 않고 그대로 돌려줘야 합니다")


@pytest.mark.points(2, item="PairDataset")
def test_pair_dataset(student, rng):
    for features, labels in cases(rng, fixed=_fixed_pairs(), random=_pairs, count=1):
        n = len(features)
        ds = student.PairDataset(features, labels)
        _check_len(ds, n, "PairDataset(features, labels)")
        for i in range(n):  # the last index too
            item = ds[i]
            expect_sequence(item, 2, f"dataset[{i}]")
            expect_tensor(item[0], features[i], f"dataset[{i}][0] (features[{i}], {n} samples)")
            check_pair_label(item[1], labels[i], f"dataset[{i}][1] (labels[{i}], {n} samples)")


@pytest.mark.points(1, item="PairDataset.transform")
def test_pair_dataset_transform(student, rng):
    fixed = [(f, l, v) for (f, l), v in zip(_fixed_pairs(), (2.5, 0.5, 7.5))]
    random = lambda r: (*_pairs(r), float(torch.randint(1, 9, (1,), generator=r)) + 0.5)  # noqa: E731
    for features, labels, value in cases(rng, fixed=fixed, random=random, count=1):
        transform = kit.AddConstant(value)
        ds = student.PairDataset(features, labels, transform=transform)
        for i in range(len(features)):
            item = ds[i]
            expect_sequence(item, 2, f"dataset[{i}] with transform={transform!r}")
            expect_tensor(item[0], features[i] + value,
                          f"dataset[{i}][0] with transform={transform!r}: transform(features[{i}])")
            label = item[1]
            if isinstance(label, torch.Tensor) and label.shape == labels[i].shape and label.is_floating_point() \
                    and torch.allclose(label.double(), labels[i].double() + value):
                fail(en=f"dataset[{i}][1]: the transform was applied to the label too (labels[{i}] = "
                        f"{int(labels[i])} became {float(label):g}). Apply the transform to the features only: "
                        "x = self.transform(x); the label stays as it is",
                     ko=f"dataset[{i}][1]: transform이 정답(label)에도 적용되었습니다 (labels[{i}] = {int(labels[i])}이 "
                        f"{float(label):g}이(가) 됨). transform은 특징(features)에만 적용하세요: x = self.transform(x). "
                        "정답은 그대로 둡니다")
            check_pair_label(label, labels[i], f"dataset[{i}][1] with a transform: labels[{i}], unchanged")


@pytest.mark.points(1, item="PairDataset.index_error")
def test_pair_dataset_index_error(student, rng):
    fixed = [(f, l, 3) for f, l in _fixed_pairs()]
    for features, labels, extra in cases(rng, fixed=fixed, random=lambda r: (*_pairs(r), _size(r, 1, 5)), count=1):
        n = len(features)
        ds = student.PairDataset(features, labels)
        try:
            ds[n - 1]  # the last sample is there (its value, and other errors, are PairDataset's business)
        except StudentError as err:
            if err.not_implemented:
                raise
            if err.is_a("IndexError"):
                fail(en=f"dataset[{n - 1}] raised IndexError, but it is the last of {n} samples: valid indices are "
                        f"0 .. len - 1; raise IndexError only for i >= len(self)",
                     ko=f"dataset[{n - 1}]에서 IndexError가 났지만 샘플 {n}개 중 마지막 샘플입니다: 올바른 인덱스는 "
                        "0 .. len - 1입니다. i >= len(self)일 때만 IndexError를 발생시키세요")
        for i in (n, n + extra):
            with expect_student_raises("IndexError", f"dataset[{i}] for a dataset of {n} samples"):
                ds[i]


# -- ImageFolderDataset -------------------------------------------------------------------------

def _distinct_words(rng, count, letters):
    words = []
    while len(words) < count:
        word = _word(rng, letters)
        if word not in words:
            words.append(word)
    return words


def _rgb(pixels, mode):
    """What PIL's .convert("RGB") gives, as uint8 [3, H, W]: gray copied to 3 channels, alpha dropped."""
    t = torch.from_numpy(pixels.copy())
    if mode == "L":
        t = t[:, :, :1].expand(-1, -1, 3)
    return t[:, :, :3].permute(2, 0, 1).contiguous()


def _write(root, layout, gen):
    """Write `layout` ([(class, [(file, mode), ...]), ...], in creation order) as PNGs with pixels from
    `gen`, plus files that are not images; return the sorted classes and, in the expected sample
    order, (label, RGB pixels uint8 [3, H, W]) computed here from the pixels written."""
    from PIL import Image

    root.mkdir(parents=True, exist_ok=True)
    written = {}
    for k, (name, files) in enumerate(layout):
        folder = root / name
        folder.mkdir()
        for f, mode in files:
            w, h = 3 + int(torch.randint(0, 6, (1,), generator=gen)), 3 + int(torch.randint(0, 6, (1,), generator=gen))
            channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
            pixels = torch.randint(0, 256, (h, w, channels), generator=gen, dtype=torch.uint8).numpy()
            Image.fromarray(pixels[:, :, 0] if mode == "L" else pixels).save(folder / f)  # mode from the shape
            written[(name, f)] = _rgb(pixels, mode)
        if k == 0:
            (folder / "notes.txt").write_text("not an image\n", encoding="utf-8")
    (root / "README.txt").write_text("classes are the folders\n", encoding="utf-8")
    classes = sorted(name for name, _ in layout)
    expected = [(label, written[(name, f)]) for label, name in enumerate(classes)
                for f in sorted(f for (c, f) in written if c == name)]
    return classes, expected


# Creation order differs from the sorted one (classes and files); "c10" sorts before "c2", "Dog"
# before "cat"; grayscale, RGB and RGBA images; a text file in a class folder and at the top.
FIXED_FOLDERS = [
    [("zebra", [("c2.png", "RGB"), ("b.png", "L"), ("c10.png", "RGBA")]),
     ("apple", [("x.png", "L"), ("a.png", "RGB")]),
     ("mango", [("m.png", "RGBA")])],
    [("cat", [("1.png", "RGB")]), ("Dog", [("2.png", "L"), ("0.png", "RGB")])],
]


def _random_layout(rng):
    classes = _distinct_words(rng, _size(rng, 2, 5), string.ascii_lowercase)
    modes = ["L", "RGB", "RGBA"]
    return [(name, [(w + ".png", modes[_size(rng, 0, 3)])
                    for w in _distinct_words(rng, _size(rng, 2 if k == 0 else 1, 4),
                                             string.ascii_lowercase + string.digits)])
            for k, name in enumerate(classes)]


def _folders(rng, data_dir, tag):
    fixed = [(layout, fixed_generator(tag + k)) for k, layout in enumerate(FIXED_FOLDERS)]
    for k, (layout, gen) in enumerate(cases(rng, fixed=fixed, random=lambda r: (_random_layout(r), r), count=1)):
        root = data_dir / f"case{k}"
        yield root, *_write(root, layout, gen)


def _label_value(label):
    if isinstance(label, bool):
        return None
    if isinstance(label, int):
        return label
    if isinstance(label, torch.Tensor) and label.dim() == 0 and not label.is_floating_point():
        return int(label)
    return None


def _check_label(got, expected, name):
    value = _label_value(got)
    ensure(value is not None,
           en=f"{name}: the label must be an int (the class's position in the sorted classes), got {got!r}",
           ko=f"{name}: 정답은 int여야 합니다 (정렬된 classes에서 클래스의 위치). 받은 값: {got!r}")
    ensure(value == expected,
           en=f"{name}: expected label {expected}, got {value}. Samples go class by class in the sorted order of "
              "the class names, and within a class by sorted file name",
           ko=f"{name}: 정답이 {expected}이어야 하는데 {value}입니다. 샘플은 클래스 이름의 정렬 순서대로, 클래스 "
              "안에서는 파일 이름 순서대로 나열됩니다")


def _check_classes_and_len(ds, classes, n, label):
    _is_dataset(ds, label)
    got = ds.classes
    got_list = list(got) if isinstance(got, (list, tuple)) else got
    if got_list != classes:
        if isinstance(got_list, list) and sorted(map(str, got_list)) == classes:
            fail(en=f"{label}.classes: expected {classes}, got {got_list}: sort the class names, so that labels "
                    "do not depend on the order the file system lists the folders",
                 ko=f"{label}.classes: {classes}이어야 하는데 {got_list}입니다. 클래스 이름을 정렬하세요. 그래야 "
                    "정답 번호가 파일 시스템이 폴더를 나열하는 순서에 따라 바뀌지 않습니다")
        fail(en=f"{label}.classes: expected the sorted folder names {classes}, got {got!r}",
             ko=f"{label}.classes: 정렬된 폴더 이름 {classes}이어야 하는데 {got!r}입니다")
    got_n = len(ds)
    ensure(got_n == n,
           en=f"len({label}): expected {n} images, got {got_n}"
           + (". Only *.png files are images: skip other files such as notes.txt" if got_n > n else ""),
           ko=f"len({label}): 이미지가 {n}개여야 하는데 {got_n}개입니다"
           + (". *.png 파일만 이미지입니다: notes.txt 같은 다른 파일은 건너뛰세요" if got_n > n else ""))


@pytest.mark.points(3, item="ImageFolderDataset")
def test_image_folder(student, rng, data_dir):
    for root, classes, expected in _folders(rng, data_dir, 510):
        ds = student.ImageFolderDataset(str(root))
        label = f"ImageFolderDataset(root) with classes {classes}"
        _check_classes_and_len(ds, classes, len(expected), label)
        images = [(pixels.float() / 255) for _, pixels in expected]
        for i, (want_label, _) in enumerate(expected):
            item = ds[i]
            expect_sequence(item, 2, f"dataset[{i}]")
            image = item[0]
            if isinstance(image, torch.Tensor) and any(
                    k != i and image.shape == e.shape and torch.equal(image, e) for k, e in enumerate(images)):
                fail(en=f"dataset[{i}][0] is another sample's image: samples go class by class in the sorted order of "
                        "the class names, and within a class by sorted file name",
                     ko=f"dataset[{i}][0]은(는) 다른 샘플의 이미지입니다: 샘플은 클래스 이름의 정렬 순서대로, 클래스 "
                        "안에서는 파일 이름 순서대로 나열됩니다")
            if getattr(image, "type_name", "").startswith("PIL."):
                fail(en=f"dataset[{i}][0]: without a transform the image must be a tensor, got a PIL image: return "
                        "transforms.ToTensor()(image) when transform is None",
                     ko=f"dataset[{i}][0]: transform이 없으면 이미지는 텐서여야 하는데 PIL 이미지가 왔습니다: transform이 "
                        "None이면 transforms.ToTensor()(image)를 돌려주세요")
            _check_label(item[1], want_label, f"dataset[{i}][1]")
            if isinstance(image, torch.Tensor) and image.dim() == 3 and image.shape[0] in (1, 4) \
                    and list(image.shape[1:]) == list(images[i].shape[1:]):
                fail(en=f"dataset[{i}][0]: expected shape {list(images[i].shape)}, got {list(image.shape)}: open every "
                        "image with .convert(\"RGB\") so grayscale and RGBA images get 3 channels too",
                     ko=f"dataset[{i}][0]: 모양이 {list(images[i].shape)}이어야 하는데 {list(image.shape)}입니다. 흑백이나 "
                        "RGBA 이미지도 채널이 3개가 되도록 .convert(\"RGB\")로 여세요")
            expect_tensor(image, images[i], f"dataset[{i}][0] (ToTensor() of image {i}: float [3, H, W] in [0, 1])")


@pytest.mark.points(1, item="ImageFolderDataset.transform")
def test_image_folder_transform(student, rng, data_dir):
    transform = kit.DescribeImage()
    for root, classes, expected in _folders(rng, data_dir, 520):
        ds = student.ImageFolderDataset(str(root), transform=transform)
        n = len(expected)
        got_n = len(ds)
        ensure(got_n == n,
               en=f"len(ImageFolderDataset(root, transform)): expected {n} images, got {got_n}"
               + (". Only *.png files are images: skip other files such as notes.txt" if got_n > n else ""),
               ko=f"len(ImageFolderDataset(root, transform)): 이미지가 {n}개여야 하는데 {got_n}개입니다"
               + (". *.png 파일만 이미지입니다: notes.txt 같은 다른 파일은 건너뛰세요" if got_n > n else ""))
        received = []
        for i in range(n):
            item = ds[i]
            expect_sequence(item, 2, f"dataset[{i}] with a transform")
            got = item[0]
            ensure(isinstance(got, dict) and "kind" in got,
                   en=f"dataset[{i}][0]: expected what the transform returned, got {type(got).__name__}: return "
                      "(transform(image), label)",
                   ko=f"dataset[{i}][0]: transform이 돌려준 값이어야 하는데 {type(got).__name__}이(가) 왔습니다: "
                      "(transform(image), label)을 돌려주세요")
            ensure(got["kind"] == "PIL",
                   en=f"dataset[{i}]: the transform received a {got['kind']}, not a PIL image. Pass the transform the "
                      "PIL image itself (Image.open(path).convert(\"RGB\")); use ToTensor() only when there is no "
                      "transform",
                   ko=f"dataset[{i}]: transform이 PIL 이미지가 아니라 {got['kind']}을(를) 받았습니다. transform에는 PIL "
                      "이미지(Image.open(path).convert(\"RGB\"))를 그대로 넘기고, ToTensor()는 transform이 없을 때만 "
                      "쓰세요")
            ensure(got["mode"] == "RGB",
                   en=f"dataset[{i}]: the transform received a PIL image of mode {got['mode']!r}, expected 'RGB': "
                      "open images with .convert(\"RGB\")",
                   ko=f"dataset[{i}]: transform이 받은 PIL 이미지의 모드가 {got['mode']!r}입니다. 'RGB'여야 합니다: "
                      ".convert(\"RGB\")로 여세요")
            ensure(isinstance(got.get("pixels"), torch.Tensor), en=f"dataset[{i}]: the transform received no pixels",
                   ko=f"dataset[{i}]: transform이 픽셀을 받지 못했습니다")
            received.append(got["pixels"])
        # which image arrives at which index is the other item's business: compare as collections
        key = lambda t: (tuple(t.shape), t.flatten().tolist())  # noqa: E731
        want = sorted((pixels for _, pixels in expected), key=key)
        received.sort(key=key)
        ensure([tuple(t.shape) for t in received] == [tuple(t.shape) for t in want],
               en=f"the transform received images of shapes {[tuple(t.shape) for t in received]}, expected "
                  f"{[tuple(t.shape) for t in want]} ([C, H, W]): give it each image of the folder, in RGB",
               ko=f"transform이 받은 이미지 모양은 {[tuple(t.shape) for t in received]}인데 "
                  f"{[tuple(t.shape) for t in want]} ([C, H, W])이어야 합니다: 폴더의 이미지를 RGB로 하나씩 넘기세요")
        for got, exp in zip(received, want):
            expect_tensor(got, exp, "pixels of an image the transform received")


# -- make_loaders ---------------------------------------------------------------------------------

def _case(gen, n, fraction, batch_size, seed):
    ids = torch.randperm(1000, generator=gen)[:n]
    return TensorDataset(ids), ids, n, int(n * fraction), fraction, batch_size, seed


def fixed_splits():
    """n_val = int(n * fraction) is not round(n * fraction) in the first two; the last training batch
    is smaller in the first two, full in the last; one fraction gives a single validation sample."""
    gen = fixed_generator(530)
    return [_case(gen, 23, 0.3, 5, 7), _case(gen, 10, 0.25, 3, 2024), _case(gen, 31, 0.5, 4, 0),
            _case(gen, 12, 0.1, 4, 99)]


def random_split_case(rng):
    """A val_fraction whose int() and round() differ, a batch size, a seed."""
    n = _size(rng, 20, 41)
    n_val = _size(rng, n // 4, n // 2)
    fraction = (n_val + 0.6) / n  # int(n * fraction) == n_val, round(...) would give n_val + 1
    batch_size = _size(rng, 3, 8)
    while (n - n_val) % batch_size == 0:  # the last training batch is a smaller one
        batch_size += 1
    return _case(rng, n, fraction, batch_size, _size(rng, 0, 10_000))


def expected_split(case):
    """The ids of random_split(dataset, [n - n_val, n_val], generator=manual_seed(seed)), computed here."""
    _, ids, n, n_val, _, _, seed = case
    train, val = torch.utils.data.random_split(range(n), [n - n_val, n_val],
                                               generator=torch.Generator().manual_seed(seed))
    return [int(ids[i]) for i in train], [int(ids[i]) for i in val]


def batch_ids(loader, name):
    """The ids of every batch of a loader over a TensorDataset of ids (one epoch)."""
    out = []
    for batch in loader.materialize():
        ids = batch[0] if isinstance(batch, (list, tuple)) and len(batch) == 1 else batch
        ensure(isinstance(ids, torch.Tensor),
               en=f"{name}: each batch of a TensorDataset should be a list holding one tensor, got {type(batch).__name__}",
               ko=f"{name}: TensorDataset의 배치는 텐서 하나가 든 리스트여야 하는데 {type(batch).__name__}입니다")
        out.append([int(v) for v in ids.reshape(-1)])
    return out


def loaders(module, case, name):
    ds, _, _, _, fraction, batch_size, seed = case
    got = module.make_loaders(ds, fraction, batch_size, seed)
    expect_sequence(got, 2, name)
    for loader, which in zip(got, ("train_loader", "val_loader")):
        kind = getattr(loader, "type_name", type(loader).__name__)
        ensure(getattr(loader, "isinstance_of", lambda _: False)(DATALOADER),
               en=f"{name}: {which} must be a torch.utils.data.DataLoader, got {kind}",
               ko=f"{name}: {which}은(는) torch.utils.data.DataLoader여야 하는데 {kind}입니다")
    return got


def _name(case):
    _, _, n, _, fraction, batch_size, seed = case
    return f"make_loaders(dataset of {n}, val_fraction={fraction:.4g}, batch_size={batch_size}, seed={seed})"


def _sizes(count, batch_size):
    return [batch_size] * (count // batch_size) + ([count % batch_size] if count % batch_size else [])


@pytest.mark.points(3, item="make_loaders")
def test_make_loaders(student, rng):
    for case in cases(rng, fixed=fixed_splits(), random=random_split_case, count=1):
        _, _, n, n_val, _, batch_size, _ = case
        name = _name(case)
        train, val = loaders(student, case, name)
        train_b, val_b = batch_ids(train, "train_loader"), batch_ids(val, "val_loader")
        train_ids = [v for b in train_b for v in b]
        val_ids = [v for b in val_b for v in b]
        shared = set(train_ids) & set(val_ids)
        ensure(not shared,
               en=f"{name}: train and validation share {len(shared)} sample(s). Split once with random_split: its two "
                  "parts never overlap, so the model is never validated on what it trained on",
               ko=f"{name}: 학습용과 검증용이 샘플 {len(shared)}개를 공유합니다. random_split으로 한 번만 나누세요. 두 "
                  "부분은 겹치지 않으므로 학습한 데이터로 검증하는 일이 없습니다")
        ensure(len(val_ids) == n_val and len(train_ids) == n - n_val,
               en=f"{name}: expected {n - n_val} training and {n_val} validation samples (n_val = int(len(dataset) * "
                  f"val_fraction) = {n_val}), got {len(train_ids)} and {len(val_ids)}",
               ko=f"{name}: 학습용 {n - n_val}개, 검증용 {n_val}개여야 하는데 (n_val = int(len(dataset) * val_fraction) "
                  f"= {n_val}) {len(train_ids)}개와 {len(val_ids)}개입니다")
        want_train, want_val = expected_split(case)
        ensure(sorted(val_ids) == sorted(want_val) and sorted(train_ids) == sorted(want_train),
               en=f"{name}: not the split of random_split(dataset, [len(dataset) - n_val, n_val], "
                  "generator=torch.Generator().manual_seed(seed)): the same seed must give the same split",
               ko=f"{name}: random_split(dataset, [len(dataset) - n_val, n_val], "
                  "generator=torch.Generator().manual_seed(seed))의 분할과 다릅니다: 같은 seed는 같은 분할을 만들어야 "
                  "합니다")
        for got_b, count, which in ((train_b, n - n_val, "train_loader"), (val_b, n_val, "val_loader")):
            sizes, expected = [len(b) for b in got_b], _sizes(count, batch_size)
            ensure(sizes == expected,
                   en=f"{name}: {which} batch sizes should be {expected} (batch_size={batch_size}, last batch smaller), "
                      f"got {sizes}",
                   ko=f"{name}: {which}의 배치 크기가 {expected}이어야 하는데 (batch_size={batch_size}, 마지막 배치는 더 "
                      f"작음) {sizes}입니다")


@pytest.mark.points(1, item="make_loaders.shuffle")
def test_make_loaders_shuffle(student, rng):
    for k, case in enumerate(cases(rng, fixed=fixed_splits(), random=random_split_case, count=1)):
        name = _name(case)
        train, val = loaders(student, case, name)
        want_train, want_val = expected_split(case)
        student.call(kit.seed_worker, 1000 + k)  # the shuffles below depend only on the code
        epochs = [[v for b in batch_ids(train, "train_loader") for v in b] for _ in range(2)]
        got_val = [v for b in batch_ids(val, "val_loader") for v in b]
        if sorted(epochs[0]) != sorted(want_train) or sorted(got_val) != sorted(want_val):
            continue  # a different split: the make_loaders item says so
        ensure(epochs[0] != epochs[1],
               en=f"{name}: train_loader gave the training samples in the same order in two epochs ({epochs[0]}): "
                  "give it shuffle=True so every epoch sees them in a new order",
               ko=f"{name}: train_loader가 두 epoch 동안 학습 샘플을 같은 순서({epochs[0]})로 냈습니다. shuffle=True를 "
                  "주어 매 epoch 순서가 바뀌게 하세요")
        ensure(got_val == want_val,
               en=f"{name}: val_loader should give the validation samples in the order of the random_split subset "
                  f"(no shuffling; shuffle=False): expected ids {want_val}, got {got_val}",
               ko=f"{name}: val_loader는 random_split이 만든 순서 그대로(섞지 않고, shuffle=False) 검증 샘플을 내야 "
                  f"합니다: 기대 {want_val}, 받은 값 {got_val}")
