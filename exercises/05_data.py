"""05_data — Dataset과 DataLoader / Dataset and DataLoader

아무리 좋은 모델도 데이터를 제대로 공급받지 못하면 학습할 수 없습니다. 파이토치는 이 일을
둘로 나눕니다. `Dataset`은 데이터 전체의 길이(`__len__`)와 i번째 샘플을 꺼내는 방법
(`__getitem__`)을 정의하고, `DataLoader`는 그 Dataset을 받아 배치(batch)로 묶고, 섞고
(shuffle), 병렬로 읽어 모델에 공급합니다.
Even the best model cannot learn from data it is not fed properly. PyTorch splits the job in
two: a `Dataset` defines how many samples there are (`__len__`) and how to fetch the i-th
one (`__getitem__`); a `DataLoader` takes a Dataset and groups samples into batches,
shuffles them and loads them in parallel for the model.

각 함수의 `raise NotImplementedError`를 지우고 구현한 뒤 `make check`로 확인하세요.
Replace each `raise NotImplementedError` with your code, then run `make check`.
"""

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, random_split
from torchvision import transforms


class PairDataset(Dataset):
    """특징(features)과 정답(labels)을 한 쌍씩 돌려주는 맵 스타일(map-style) 데이터셋.
    A map-style dataset that returns one (feature, label) pair per index.
    """

    def __init__(self, features, labels, transform=None):
        """TODO: `features`(예: 모양 [N, D] 텐서), `labels`(길이 N), 그리고 선택적인
        `transform`(함수처럼 호출할 수 있는 객체, 또는 None)을 속성으로 저장하세요.
        맵 스타일 Dataset은 `__init__`에서 데이터를 준비하고, 나머지 두 메서드에서 꺼내 줍니다.

        TODO: store `features` (e.g. a tensor of shape [N, D]), `labels` (length N) and the
        optional `transform` (anything callable, or None) as attributes. A map-style Dataset
        prepares its data in `__init__`; the two methods below serve it.
        """
        raise NotImplementedError

    def __len__(self):
        """TODO: 샘플 개수 N을 돌려주세요. `len(dataset)`과 DataLoader가 이 값을 씁니다.
        1을 더하거나 빼지 마세요: 인덱스는 0부터 N-1까지입니다.

        TODO: return the number of samples N; `len(dataset)` and the DataLoader use it. Do not
        add or subtract 1: the indices run from 0 to N-1.
        """
        raise NotImplementedError

    def __getitem__(self, i):
        """TODO: i번째 샘플 `(x, y)`를 돌려주세요. `x = features[i]`이고, `transform`이
        있으면 `x = transform(x)`를 적용합니다. transform은 입력(특징)에만 적용하고, 정답
        `y = labels[i]`는 그대로 두세요. 범위를 벗어난 인덱스(i >= N)에는 `IndexError`를
        발생시키세요. 파이썬은 `for x in dataset`을 IndexError가 날 때까지 반복합니다.

        TODO: return the i-th sample `(x, y)`: `x = features[i]`, then `x = transform(x)` when
        there is a transform. The transform applies to the input (the features) only; the label
        `y = labels[i]` stays as it is. Raise `IndexError` for an index past the end (i >= N):
        Python's `for x in dataset` loops until it gets an IndexError.
        """
        raise NotImplementedError


class ImageFolderDataset(Dataset):
    """`root/<클래스 이름>/*.png` 구조의 폴더를 읽는 이미지 데이터셋 (torchvision의 ImageFolder처럼).
    An image dataset read from folders `root/<class_name>/*.png`, like torchvision's ImageFolder.
    """

    def __init__(self, root, transform=None):
        """TODO: `root` 바로 아래의 폴더 이름이 클래스 이름입니다. 이름순으로 정렬한 목록을
        `self.classes`에 저장하면, 정렬된 순서의 위치가 정답 번호(0..K-1)가 됩니다. 그다음
        클래스마다 그 폴더의 `*.png` 파일을 이름순으로 모아 `(경로, 정답)` 목록을 만드세요.
        `.png`가 아닌 파일(예: notes.txt)은 무시합니다. 정렬하지 않으면 운영체제가 주는
        순서가 그때그때 달라 정답 번호가 뒤바뀔 수 있습니다. 힌트: `Path(root).iterdir()`,
        `entry.is_dir()`, `Path.glob("*.png")`, `sorted(...)`.

        TODO: the folders right under `root` are the classes. Store their names sorted in
        `self.classes`; a name's position in that sorted list is its label (0..K-1). Then,
        class by class, collect the folder's `*.png` files sorted by name into a list of
        `(path, label)`. Ignore every file that is not a `.png` (e.g. notes.txt). Without
        sorting, the order the operating system gives can change and labels get mixed up.
        Hints: `Path(root).iterdir()`, `entry.is_dir()`, `Path.glob("*.png")`, `sorted(...)`.
        """
        raise NotImplementedError

    def __len__(self):
        """TODO: 이미지 개수를 돌려주세요. / TODO: return the number of images."""
        raise NotImplementedError

    def __getitem__(self, i):
        """TODO: i번째 이미지를 `Image.open(path).convert("RGB")`로 읽어(흑백 이미지도 채널
        3개가 되도록) `(image, label)`을 돌려주세요. `transform`이 있으면 PIL 이미지를 그대로
        `transform`에 넘기고, 없으면 `transforms.ToTensor()`로 바꿔 돌려주세요. ToTensor는
        PIL 이미지를 [0, 1] 범위의 float 텐서 `[3, H, W]`로 바꿉니다.

        TODO: open the i-th image with `Image.open(path).convert("RGB")` (so grayscale images
        get 3 channels too) and return `(image, label)`. With a `transform`, pass it the PIL
        image as it is; without one, convert the image with `transforms.ToTensor()`, which
        turns a PIL image into a float tensor `[3, H, W]` with values in [0, 1].
        """
        raise NotImplementedError


def make_loaders(dataset, val_fraction, batch_size, seed):
    """TODO: `dataset`을 학습용과 검증용으로 나눠 `(train_loader, val_loader)`를 돌려주세요.
    검증 샘플 수는 `n_val = int(len(dataset) * val_fraction)`이고, 나누기는
    `random_split(dataset, [len(dataset) - n_val, n_val],
    generator=torch.Generator().manual_seed(seed))`로 한 번만 하세요. 같은 seed면 언제나
    같은 분할이 나오고, 두 부분은 샘플을 공유하지 않습니다. 학습용 DataLoader는 매 epoch
    순서를 섞고(`shuffle=True`), 검증용은 섞지 않습니다(`shuffle=False`): 평가는 순서와
    상관없고, 매번 같은 순서여야 결과를 비교하기 쉽습니다. 둘 다 `batch_size`를 씁니다.

    TODO: split `dataset` into a training and a validation part and return
    `(train_loader, val_loader)`. The validation size is
    `n_val = int(len(dataset) * val_fraction)`; split once with
    `random_split(dataset, [len(dataset) - n_val, n_val],
    generator=torch.Generator().manual_seed(seed))`: the same seed always gives the same
    split, and the two parts share no sample. The training DataLoader shuffles every epoch
    (`shuffle=True`); the validation one does not (`shuffle=False`): evaluation does not
    need it, and a fixed order keeps results comparable. Both use `batch_size`.
    """
    raise NotImplementedError
