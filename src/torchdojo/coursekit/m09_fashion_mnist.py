"""Helpers the 09_fashion_mnist grader uses (nothing here is secret).

- `fashion_arrays(seed, n_train, n_test)`: a small, easy stand-in for FashionMNIST, made
  with numpy from a seed (no download): 28x28 uint8 images of 10 classes, each class a
  blocky pattern of its own plus noise and a random shift of one pixel.
- `write_fashion_mnist(seed, n_train, n_test, root=None)`: writes it in FashionMNIST's own
  IDX format (`ROOT/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`, the
  uncompressed files `torchvision.datasets.FashionMNIST` reads) and returns ROOT. Without
  `root` it writes under the current folder: called in the worker, that is its scratch.
- In the worker: `empty_root()` / `tried_download(root)`: a root without data, and whether
  a loader started downloading into it (workers have no network);
  `apply_transform(transform, pixels)` runs a transform on a PIL 'L' image,
  `accuracy_on_test_split(model, root, transform, device)` scores a model on the t10k split.

No torchvision import at module level: the grader imports this file too.
"""

from __future__ import annotations

import os
import struct

import numpy as np

CLASSES = 10
SIDE = 28
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _prototypes(rng: np.random.Generator) -> np.ndarray:
    """10 distinct blocky masks of 28x28 (7x7 cells of 4x4 pixels), far apart from each other."""
    while True:
        cells = rng.random((CLASSES, 7, 7)) < 0.45
        flat = cells.reshape(CLASSES, -1).astype(np.int32)
        distance = (flat[:, None, :] != flat[None, :, :]).sum(-1) + np.eye(CLASSES, dtype=np.int32) * 99
        if distance.min() >= 12:
            return np.kron(cells, np.ones((4, 4), dtype=bool))


def fashion_arrays(seed: int, n_train: int, n_test: int):
    """(train_images, train_labels, test_images, test_labels) as uint8 numpy arrays."""
    rng = np.random.default_rng(seed)
    protos = _prototypes(rng)

    def make(n: int):
        labels = np.arange(n) % CLASSES
        rng.shuffle(labels)
        images = np.empty((n, SIDE, SIDE), dtype=np.uint8)
        for i, c in enumerate(labels):
            shifted = np.roll(protos[c], (int(rng.integers(-1, 2)), int(rng.integers(-1, 2))), axis=(0, 1))
            noise = rng.integers(0, 70, (SIDE, SIDE))
            images[i] = np.clip(shifted * rng.integers(150, 186) + noise, 0, 255).astype(np.uint8)
        return images, labels.astype(np.uint8)

    return (*make(n_train), *make(n_test))


def _write_idx(path: str, array: np.ndarray) -> None:
    magic = 0x0800 | array.ndim  # 0x08: unsigned byte
    with open(path, "wb") as fh:
        fh.write(struct.pack(">I", magic))
        fh.write(struct.pack(">" + "I" * array.ndim, *array.shape))
        fh.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def write_fashion_mnist(seed: int, n_train: int, n_test: int, root: str | None = None) -> str:
    root = os.path.abspath(root or os.path.join(os.getcwd(), f"fashion-data-{seed}"))
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    arrays = fashion_arrays(seed, n_train, n_test)
    for name, array in zip(RAW_FILES, arrays):
        _write_idx(os.path.join(raw, name), array)
    return root


# -- run in the worker ---------------------------------------------------------------------

def empty_root(name: str = "no-data") -> str:
    """A new empty folder under the current one (a root without FashionMNIST files)."""
    root = os.path.abspath(name)
    os.makedirs(root, exist_ok=True)
    return root


def tried_download(root: str) -> bool:
    """FashionMNIST(download=True) creates ROOT/FashionMNIST/raw before it downloads anything."""
    return os.path.isdir(os.path.join(root, "FashionMNIST", "raw"))


def _plain(value):  # type: ignore[no-untyped-def]
    import torch

    if isinstance(value, torch.Tensor) and type(value) is not torch.Tensor:
        return value.as_subclass(torch.Tensor)  # e.g. a torchvision.tv_tensors.Image
    return value


def apply_transform(transform, pixels: np.ndarray):  # type: ignore[no-untyped-def]
    """transform(PIL 'L' image of `pixels`), as FashionMNIST's __getitem__ would call it."""
    from PIL import Image

    return _plain(transform(Image.fromarray(np.asarray(pixels, dtype=np.uint8), mode="L")))


def accuracy_on_test_split(model, root: str, transform, device: str) -> float:  # type: ignore[no-untyped-def]
    """Accuracy of `model` on the t10k split under `root`, inputs made by `transform`."""
    import torch
    from torchvision.datasets import FashionMNIST

    data = FashionMNIST(root, train=False, transform=transform, download=False)
    loader = torch.utils.data.DataLoader(data, batch_size=256, shuffle=False)
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            logits = _plain(model(_plain(x).to(device)))
            correct += int((logits.argmax(dim=1).cpu() == y).sum())
            total += len(y)
    return correct / total
