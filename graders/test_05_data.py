"""Hidden grader of 05_data. Datasets are built in the worker from random tensors, from a
folder of small random PNG images written into the run's data folder (`data_dir`, which the
workers can read), and from a TensorDataset of distinct ids (so a split and its loaders can
be checked sample by sample); the student's answers are compared with the reference's on the
same inputs."""

import string

import pytest
import torch
from torch.utils.data import TensorDataset

from torchdojo.coursekit import m05_data as kit
from torchdojo.grading import ensure, expect_sequence, expect_student_raises, expect_tensor, fail
from torchdojo.grading import random_int as _size

DATASET = "torch.utils.data.dataset.Dataset"
DATALOADER = "torch.utils.data.dataloader.DataLoader"
SHUFFLING = ("torch.utils.data.sampler.RandomSampler", "torch.utils.data.sampler.SubsetRandomSampler")


def _word(rng, letters, low=3, high=7):
    return "".join(letters[int(k)] for k in torch.randint(0, len(letters), (_size(rng, low, high),), generator=rng))


def _is_dataset(obj, label):
    ensure(getattr(obj, "isinstance_of", lambda _: False)(DATASET),
           f"{label} must be a torch.utils.data.Dataset: write class ...(Dataset) and implement __len__ and "
           "__getitem__",
           f"{label}은(는) torch.utils.data.Dataset이어야 합니다: Dataset을 상속받고 __len__과 __getitem__을 "
           "구현하세요")


# -- PairDataset -------------------------------------------------------------------------------

def _pairs(rng):
    n, d = _size(rng, 5, 12), _size(rng, 2, 5)
    return torch.randn(n, d, generator=rng), torch.randint(0, 10, (n,), generator=rng)


def check_pair_label(got, expected, name):
    """labels[i] as it is (a 0-dim tensor here); a Python int of the same value is fine too."""
    if isinstance(got, int) and not isinstance(got, bool):
        ensure(got == int(expected), f"{name}: expected {int(expected)}, got {got}",
               f"{name}: {int(expected)}이어야 하는데 {got}입니다")
        return
    expect_tensor(got, expected, name)


@pytest.mark.points(2, item="PairDataset")
def test_pair_dataset(student, reference, rng):
    features, labels = _pairs(rng)
    n = len(features)
    ds = student.PairDataset(features, labels)
    ref = reference.PairDataset(features, labels)
    _is_dataset(ds, "PairDataset(features, labels)")
    got = len(ds)
    ensure(got == n,
           f"len(PairDataset(...)) with {n} samples: expected {n}, got {got}. __len__ returns the number of "
           "samples, len(self.features), with nothing added or subtracted",
           f"샘플 {n}개인 PairDataset의 len(): {n}이어야 하는데 {got}입니다. __len__은 샘플 개수 "
           "len(self.features)를 더하거나 빼지 않고 그대로 돌려줘야 합니다")
    for i in range(n):
        item = ds[i]
        expect_sequence(item, 2, f"dataset[{i}]")
        expected = ref[i]
        expect_tensor(item[0], expected[0], f"dataset[{i}][0] (features[{i}])")
        check_pair_label(item[1], expected[1], f"dataset[{i}][1] (labels[{i}])")


@pytest.mark.points(1, item="PairDataset.transform")
def test_pair_dataset_transform(student, reference, rng):
    features, labels = _pairs(rng)
    value = float(torch.randint(1, 9, (1,), generator=rng)) + 0.5
    transform = kit.AddConstant(value)
    ds = student.PairDataset(features, labels, transform=transform)
    ref = reference.PairDataset(features, labels, transform=transform)
    for i in range(len(features)):
        item = ds[i]
        expect_sequence(item, 2, f"dataset[{i}] with transform={transform!r}")
        expected = ref[i]
        expect_tensor(item[0], expected[0], f"dataset[{i}][0] with transform={transform!r}: transform(features[{i}])")
        label = item[1]
        if isinstance(label, torch.Tensor) and label.shape == expected[1].shape and label.is_floating_point() \
                and torch.allclose(label.double(), expected[1].double() + value):
            fail(f"dataset[{i}][1]: the transform was applied to the label too (labels[{i}] = "
                 f"{int(expected[1])} became {float(label):g}). Apply the transform to the features only: "
                 "x = self.transform(x); the label stays as it is",
                 f"dataset[{i}][1]: transform이 정답(label)에도 적용되었습니다 (labels[{i}] = {int(expected[1])}이 "
                 f"{float(label):g}이(가) 됨). transform은 특징(features)에만 적용하세요: x = self.transform(x). "
                 "정답은 그대로 둡니다")
        check_pair_label(label, expected[1], f"dataset[{i}][1] with a transform: labels[{i}], unchanged")


@pytest.mark.points(1, item="PairDataset.index_error")
def test_pair_dataset_index_error(student, rng):
    features, labels = _pairs(rng)
    n = len(features)
    ds = student.PairDataset(features, labels)
    for i in (n, n + _size(rng, 1, 5)):
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


def write_image_folder(root, rng):
    """A few tiny random PNGs in root/<class>/, grayscale and colour, plus files that are not images."""
    from PIL import Image

    classes = _distinct_words(rng, _size(rng, 2, 5), string.ascii_lowercase)  # generation order, not sorted
    modes = ["L", "RGB", "RGBA"]
    count = 0
    for k, name in enumerate(classes):
        folder = root / name
        folder.mkdir()
        count_here = _size(rng, 2 if k == 0 else 1, 4)  # one class at least has two: their order shows
        files = [w + ".png" for w in _distinct_words(rng, count_here, string.ascii_lowercase + string.digits)]
        for f in files:
            w, h = _size(rng, 3, 9), _size(rng, 3, 9)
            mode = modes[count % 2] if count < 2 else modes[_size(rng, 0, 3)]  # at least one L and one RGB
            channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
            pixels = torch.randint(0, 256, (h, w, channels), generator=rng, dtype=torch.uint8).numpy()
            Image.fromarray(pixels[:, :, 0] if mode == "L" else pixels).save(folder / f)  # mode from the shape
            count += 1
        if k == 0:
            (folder / "notes.txt").write_text("not an image\n", encoding="utf-8")
    (root / "README.txt").write_text("classes are the folders\n", encoding="utf-8")
    return sorted(classes)


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
           f"{name}: the label must be an int (the class's position in the sorted classes), got {got!r}",
           f"{name}: 정답은 int여야 합니다 (정렬된 classes에서 클래스의 위치). 받은 값: {got!r}")
    ensure(value == expected,
           f"{name}: expected label {expected}, got {value}. Samples go class by class in the sorted order of "
           "the class names, and within a class by sorted file name",
           f"{name}: 정답이 {expected}이어야 하는데 {value}입니다. 샘플은 클래스 이름의 정렬 순서대로, 클래스 "
           "안에서는 파일 이름 순서대로 나열됩니다")


def _check_classes_and_len(ds, ref, classes, label):
    _is_dataset(ds, label)
    got = ds.classes
    got_list = list(got) if isinstance(got, (list, tuple)) else got
    if got_list != classes:
        if isinstance(got_list, list) and sorted(map(str, got_list)) == classes:
            fail(f"{label}.classes: expected {classes}, got {got_list}: sort the class names, so that labels "
                 "do not depend on the order the file system lists the folders",
                 f"{label}.classes: {classes}이어야 하는데 {got_list}입니다. 클래스 이름을 정렬하세요. 그래야 "
                 "정답 번호가 파일 시스템이 폴더를 나열하는 순서에 따라 바뀌지 않습니다")
        fail(f"{label}.classes: expected the sorted folder names {classes}, got {got!r}",
             f"{label}.classes: 정렬된 폴더 이름 {classes}이어야 하는데 {got!r}입니다")
    n, expected = len(ds), len(ref)
    ensure(n == expected,
           f"len({label}): expected {expected} images, got {n}"
           + (". Only *.png files are images: skip other files such as notes.txt" if n > expected else ""),
           f"len({label}): 이미지가 {expected}개여야 하는데 {n}개입니다"
           + (". *.png 파일만 이미지입니다: notes.txt 같은 다른 파일은 건너뛰세요" if n > expected else ""))
    return n


@pytest.mark.points(3, item="ImageFolderDataset")
def test_image_folder(student, reference, rng, data_dir):
    classes = write_image_folder(data_dir, rng)
    root = str(data_dir)
    ds = student.ImageFolderDataset(root)
    ref = reference.ImageFolderDataset(root)
    n = _check_classes_and_len(ds, ref, classes, "ImageFolderDataset(root)")
    references = [ref[i] for i in range(n)]
    for i in range(n):
        item = ds[i]
        expect_sequence(item, 2, f"dataset[{i}]")
        expected = references[i]
        image = item[0]
        if isinstance(image, torch.Tensor) and any(
                k != i and image.shape == e[0].shape and torch.equal(image, e[0]) for k, e in enumerate(references)):
            fail(f"dataset[{i}][0] is another sample's image: samples go class by class in the sorted order of the "
                 "class names, and within a class by sorted file name",
                 f"dataset[{i}][0]은(는) 다른 샘플의 이미지입니다: 샘플은 클래스 이름의 정렬 순서대로, 클래스 안에서는 "
                 "파일 이름 순서대로 나열됩니다")
        if getattr(image, "type_name", "").startswith("PIL."):
            fail(f"dataset[{i}][0]: without a transform the image must be a tensor, got a PIL image: return "
                 "transforms.ToTensor()(image) when transform is None",
                 f"dataset[{i}][0]: transform이 없으면 이미지는 텐서여야 하는데 PIL 이미지가 왔습니다: transform이 "
                 "None이면 transforms.ToTensor()(image)를 돌려주세요")
        _check_label(item[1], expected[1], f"dataset[{i}][1]")
        if isinstance(image, torch.Tensor) and image.dim() == 3 and image.shape[0] in (1, 4) \
                and list(image.shape[1:]) == list(expected[0].shape[1:]):
            fail(f"dataset[{i}][0]: expected shape {list(expected[0].shape)}, got {list(image.shape)}: open every "
                 "image with .convert(\"RGB\") so grayscale and RGBA images get 3 channels too",
                 f"dataset[{i}][0]: 모양이 {list(expected[0].shape)}이어야 하는데 {list(image.shape)}입니다. 흑백이나 "
                 "RGBA 이미지도 채널이 3개가 되도록 .convert(\"RGB\")로 여세요")
        expect_tensor(image, expected[0], f"dataset[{i}][0] (ToTensor() of image {i}: float [3, H, W] in [0, 1])")


@pytest.mark.points(1, item="ImageFolderDataset.transform")
def test_image_folder_transform(student, reference, rng, data_dir):
    write_image_folder(data_dir, rng)
    root = str(data_dir)
    transform = kit.DescribeImage()
    ds = student.ImageFolderDataset(root, transform=transform)
    ref = reference.ImageFolderDataset(root, transform=transform)
    n = len(ref)
    got_n = len(ds)
    ensure(got_n == n,
           f"len(ImageFolderDataset(root, transform)): expected {n} images, got {got_n}"
           + (". Only *.png files are images: skip other files such as notes.txt" if got_n > n else ""),
           f"len(ImageFolderDataset(root, transform)): 이미지가 {n}개여야 하는데 {got_n}개입니다"
           + (". *.png 파일만 이미지입니다: notes.txt 같은 다른 파일은 건너뛰세요" if got_n > n else ""))
    received = []
    for i in range(n):
        item = ds[i]
        expect_sequence(item, 2, f"dataset[{i}] with a transform")
        got = item[0]
        ensure(isinstance(got, dict) and "kind" in got,
               f"dataset[{i}][0]: expected what the transform returned, got {type(got).__name__}: return "
               "(transform(image), label)",
               f"dataset[{i}][0]: transform이 돌려준 값이어야 하는데 {type(got).__name__}이(가) 왔습니다: "
               "(transform(image), label)을 돌려주세요")
        ensure(got["kind"] == "PIL",
               f"dataset[{i}]: the transform received a {got['kind']}, not a PIL image. Pass the transform the PIL "
               "image itself (Image.open(path).convert(\"RGB\")); use ToTensor() only when there is no transform",
               f"dataset[{i}]: transform이 PIL 이미지가 아니라 {got['kind']}을(를) 받았습니다. transform에는 PIL "
               "이미지(Image.open(path).convert(\"RGB\"))를 그대로 넘기고, ToTensor()는 transform이 없을 때만 쓰세요")
        ensure(got["mode"] == "RGB",
               f"dataset[{i}]: the transform received a PIL image of mode {got['mode']!r}, expected 'RGB': "
               "open images with .convert(\"RGB\")",
               f"dataset[{i}]: transform이 받은 PIL 이미지의 모드가 {got['mode']!r}입니다. 'RGB'여야 합니다: "
               ".convert(\"RGB\")로 여세요")
        received.append(got)
    # which image arrives at which index is the other item's business: compare as collections
    key = lambda d: (tuple(d["size"]), d["pixels"].flatten().tolist())  # noqa: E731
    expected = sorted((ref[i][0] for i in range(n)), key=key)
    received.sort(key=key)
    for k, (got, exp) in enumerate(zip(received, expected)):
        ensure(tuple(got["size"]) == tuple(exp["size"]),
               f"the transform received images of sizes {[tuple(d['size']) for d in received]}, expected "
               f"{[tuple(d['size']) for d in expected]} (width, height): give it each image of the folder",
               f"transform이 받은 이미지 크기는 {[tuple(d['size']) for d in received]}인데 "
               f"{[tuple(d['size']) for d in expected]} (너비, 높이)이어야 합니다: 폴더의 이미지를 하나씩 넘기세요")
        expect_tensor(got["pixels"], exp["pixels"], "pixels of an image the transform received")


# -- make_loaders ---------------------------------------------------------------------------------

def split_case(rng):
    """A TensorDataset of distinct ids, a val_fraction whose int() and round() differ, a batch size, a seed."""
    n = _size(rng, 20, 41)
    ids = torch.randperm(1000, generator=rng)[:n]
    n_val = _size(rng, n // 4, n // 2)  # at least 5: another split never has the same validation set
    fraction = (n_val + 0.6) / n  # int(n * fraction) == n_val, round(...) would give n_val + 1
    batch_size = _size(rng, 3, 8)
    while (n - n_val) % batch_size == 0:  # the last training batch is always a smaller one
        batch_size += 1
    return TensorDataset(ids), n, n_val, fraction, batch_size, _size(rng, 0, 10_000)


def batch_ids(loader, name):
    """The ids of every batch of a loader over a TensorDataset of ids."""
    out = []
    for batch in loader.materialize():
        ids = batch[0] if isinstance(batch, (list, tuple)) and len(batch) == 1 else batch
        ensure(isinstance(ids, torch.Tensor),
               f"{name}: each batch of a TensorDataset should be a list holding one tensor, got {type(batch).__name__}",
               f"{name}: TensorDataset의 배치는 텐서 하나가 든 리스트여야 하는데 {type(batch).__name__}입니다")
        out.append([int(v) for v in ids.reshape(-1)])
    return out


def loaders(module, case, name):
    ds, n, n_val, fraction, batch_size, seed = case
    got = module.make_loaders(ds, fraction, batch_size, seed)
    expect_sequence(got, 2, name)
    for loader, which in zip(got, ("train_loader", "val_loader")):
        kind = getattr(loader, "type_name", type(loader).__name__)
        ensure(getattr(loader, "isinstance_of", lambda _: False)(DATALOADER),
               f"{name}: {which} must be a torch.utils.data.DataLoader, got {kind}",
               f"{name}: {which}은(는) torch.utils.data.DataLoader여야 하는데 {kind}입니다")
    return got


@pytest.mark.points(3, item="make_loaders")
def test_make_loaders(student, reference, rng):
    case = split_case(rng)
    _, n, n_val, fraction, batch_size, seed = case
    name = f"make_loaders(dataset of {n}, val_fraction={fraction:.4f}, batch_size={batch_size}, seed={seed})"
    train, val = loaders(student, case, name)
    ref_train, ref_val = loaders(reference, case, name)
    train_b, val_b = batch_ids(train, "train_loader"), batch_ids(val, "val_loader")
    train_ids = [v for b in train_b for v in b]
    val_ids = [v for b in val_b for v in b]
    shared = set(train_ids) & set(val_ids)
    ensure(not shared,
           f"{name}: train and validation share {len(shared)} sample(s). Split once with random_split: its two "
           "parts never overlap, so the model is never validated on what it trained on",
           f"{name}: 학습용과 검증용이 샘플 {len(shared)}개를 공유합니다. random_split으로 한 번만 나누세요. 두 부분은 "
           "겹치지 않으므로 학습한 데이터로 검증하는 일이 없습니다")
    ensure(len(val_ids) == n_val and len(train_ids) == n - n_val,
           f"{name}: expected {n - n_val} training and {n_val} validation samples (n_val = int(len(dataset) * "
           f"val_fraction) = {n_val}), got {len(train_ids)} and {len(val_ids)}",
           f"{name}: 학습용 {n - n_val}개, 검증용 {n_val}개여야 하는데 (n_val = int(len(dataset) * val_fraction) = "
           f"{n_val}) {len(train_ids)}개와 {len(val_ids)}개입니다")
    ref_train_b, ref_val_b = batch_ids(ref_train, "train_loader"), batch_ids(ref_val, "val_loader")
    expected_val = sorted(v for b in ref_val_b for v in b)
    ensure(sorted(val_ids) == expected_val and sorted(train_ids) == sorted(v for b in ref_train_b for v in b),
           f"{name}: not the split of random_split(dataset, [len(dataset) - n_val, n_val], "
           "generator=torch.Generator().manual_seed(seed)): the same seed must give the same split",
           f"{name}: random_split(dataset, [len(dataset) - n_val, n_val], "
           "generator=torch.Generator().manual_seed(seed))의 분할과 다릅니다: 같은 seed는 같은 분할을 만들어야 합니다")
    for got_b, ref_b, which in ((train_b, ref_train_b, "train_loader"), (val_b, ref_val_b, "val_loader")):
        sizes, expected = [len(b) for b in got_b], [len(b) for b in ref_b]
        ensure(sizes == expected,
               f"{name}: {which} batch sizes should be {expected} (batch_size={batch_size}, last batch smaller), "
               f"got {sizes}",
               f"{name}: {which}의 배치 크기가 {expected}이어야 하는데 (batch_size={batch_size}, 마지막 배치는 더 작음) "
               f"{sizes}입니다")


@pytest.mark.points(1, item="make_loaders.shuffle")
def test_make_loaders_shuffle(student, reference, rng):
    case = split_case(rng)
    _, n, _, fraction, batch_size, seed = case
    name = f"make_loaders(dataset of {n}, val_fraction={fraction:.4f}, batch_size={batch_size}, seed={seed})"
    train, val = loaders(student, case, name)
    _, ref_val = loaders(reference, case, name)
    sampler = train.sampler.type_name
    ensure(sampler in SHUFFLING,
           f"{name}: train_loader does not shuffle (its sampler is {sampler.rsplit('.', 1)[-1]}): give it "
           "shuffle=True so every epoch sees the training samples in a new order",
           f"{name}: train_loader가 섞지 않습니다 (sampler: {sampler.rsplit('.', 1)[-1]}). shuffle=True를 주어 매 "
           "epoch 학습 샘플의 순서가 바뀌게 하세요")
    sampler = val.sampler.type_name
    ensure(sampler not in SHUFFLING,
           f"{name}: val_loader shuffles (its sampler is {sampler.rsplit('.', 1)[-1]}): validation needs no "
           "shuffling; use shuffle=False so the order is the same every time",
           f"{name}: val_loader가 섞습니다 (sampler: {sampler.rsplit('.', 1)[-1]}). 검증에는 섞기가 필요 없습니다. "
           "shuffle=False로 매번 같은 순서가 되게 하세요")
    got = [v for b in batch_ids(val, "val_loader") for v in b]
    expected = [v for b in batch_ids(ref_val, "val_loader") for v in b]
    if sorted(got) != sorted(expected):
        return  # a different split: the make_loaders item says so
    ensure(got == expected,
           f"{name}: val_loader should give the validation samples in the order of the random_split subset "
           f"(no shuffling): expected ids {expected}, got {got}",
           f"{name}: val_loader는 random_split이 만든 순서 그대로(섞지 않고) 검증 샘플을 내야 합니다: 기대 {expected}, "
           f"받은 값 {got}")
