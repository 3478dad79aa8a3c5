"""Helpers the 09_fashion_mnist grader uses (nothing here is secret).

The scorer's side (no torchvision, run in the grader's own process):

- `prototypes(gen)`: ten class patterns of 28x28 (blocky masks far apart from each other);
- `images_of(protos, labels, gen)`: FashionMNIST-like uint8 images of those classes (the
  pattern, shifted by up to one pixel, a brightness of its own, plus noise);
- `derangement(gen)`: a permutation of the ten classes that moves every class (the labels
  the test split carries on disk: a decoy, so a model trained on `train=False` learns the
  wrong names);
- `write_fashion_mnist(root, train_images, train_labels, test_images, test_labels)`: the
  files in FashionMNIST's own IDX format, as `torchvision.datasets.FashionMNIST` reads them
  (`ROOT/FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte`, uncompressed: with
  `download=False` torchvision reads only those, never the `.gz` archives).

The held-out images that decide `train_classifier` are drawn by the scorer only after the
student's training returned; their labels never leave the scorer.

The worker's side: `empty_root()` / `tried_download(root)`: a root without data, and
whether a loader started downloading into it (workers have no network);
`apply_transform(transform, pixels)` runs a transform on a PIL 'L' image;
`logits_of(model, transform, images, device)` turns uint8 images into PIL images, runs the
student's transform and model (eval mode, no grad) and returns the logits, nothing else.

No torchvision import at module level: the grader imports this file too.
"""

from __future__ import annotations

import os
import struct

import numpy as np

CLASSES = 10
SIDE = 28
CELL = 4  # a pattern is 7x7 cells of 4x4 pixels
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


# -- the scorer's side -----------------------------------------------------------------------

def prototypes(gen):  # type: ignore[no-untyped-def]
    """10 distinct blocky masks of 28x28 (bool tensor [10, 28, 28]): every 4x4 cell is lit in
    exactly half of the classes (so no pixel tells the classes apart on its own, and no class
    is brighter than another), and any two classes differ in at least 16 of the 49 cells."""
    import torch

    cells_per_side = SIDE // CELL
    while True:
        order = torch.rand((cells_per_side * cells_per_side, CLASSES), generator=gen).argsort(dim=1)
        flat = (order < CLASSES // 2).T.int()  # [10, 49]
        distance = (flat[:, None, :] != flat[None, :, :]).sum(-1) + torch.eye(CLASSES, dtype=torch.int32) * 99
        if int(distance.min()) >= 16:
            cells = flat.bool().reshape(CLASSES, cells_per_side, cells_per_side)
            return cells.repeat_interleave(CELL, 1).repeat_interleave(CELL, 2)


def images_of(protos, labels, gen):  # type: ignore[no-untyped-def]
    """uint8 images [N, 28, 28] of the classes `labels` (an int tensor [N])."""
    import torch

    n = int(labels.shape[0])
    shifted = torch.stack([torch.roll(protos, (dy, dx), dims=(1, 2)) for dy in (-1, 0, 1) for dx in (-1, 0, 1)], 1)
    shift = torch.randint(0, 9, (n,), generator=gen)
    base = shifted.to(torch.int16)[labels.long(), shift]  # [N, 28, 28]: the pattern, moved by up to one pixel
    brightness = torch.randint(200, 241, (n, 1, 1), generator=gen, dtype=torch.int16)
    noise = torch.randint(0, 48, (n, SIDE, SIDE), generator=gen, dtype=torch.int16)
    return (base * brightness + noise).clamp_(0, 255).to(torch.uint8)


def balanced_labels(n: int, gen):  # type: ignore[no-untyped-def]
    """n labels, every class as often as possible, in a shuffled order."""
    import torch

    labels = torch.arange(n) % CLASSES
    return labels[torch.randperm(n, generator=gen)]


def derangement(gen):  # type: ignore[no-untyped-def]
    """A permutation of range(10) with no fixed point."""
    import torch

    while True:
        perm = torch.randperm(CLASSES, generator=gen)
        if bool((perm != torch.arange(CLASSES)).all()):
            return perm


def _idx_bytes(array: np.ndarray) -> bytes:
    magic = 0x0800 | array.ndim  # 0x08: unsigned byte
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * array.ndim, *array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_fashion_mnist(root, train_images, train_labels, test_images, test_labels) -> str:  # type: ignore[no-untyped-def]
    """Write the four IDX files under ROOT/FashionMNIST/raw (uncompressed, as torchvision reads them
    after its download has unpacked the .gz files); returns ROOT."""
    root = os.path.abspath(str(root))
    raw = os.path.join(root, "FashionMNIST", "raw")
    os.makedirs(raw, exist_ok=True)
    for name, array in zip(RAW_FILES, (train_images, train_labels, test_images, test_labels)):
        data = _idx_bytes(np.asarray(array, dtype=np.uint8))
        with open(os.path.join(raw, name), "wb") as fh:
            fh.write(data)
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for filename in filenames:
            os.chmod(os.path.join(dirpath, filename), 0o644)
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


def logits_of(model, transform, images, device: str, batch: int = 256):  # type: ignore[no-untyped-def]
    """The model's logits [N, 10] (CPU, float32) for uint8 images [N, 28, 28], each turned into a
    PIL 'L' image and passed through `transform` first, as FashionMNIST's samples are."""
    import torch
    from PIL import Image

    pixels = np.asarray(images, dtype=np.uint8)
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(pixels), batch):
            x = torch.stack([_plain(transform(Image.fromarray(p, mode="L"))) for p in pixels[start:start + batch]])
            logits = _plain(model(x.to(device)))
            if not isinstance(logits, torch.Tensor):
                return logits  # the scorer says what came back
            out.append(logits.detach().float().cpu())
    return torch.cat(out)


def apply_transforms(transform, images):  # type: ignore[no-untyped-def]
    """[transform(PIL 'L' image) for each uint8 image [28, 28]], as FashionMNIST's __getitem__ calls it."""
    return [apply_transform(transform, pixels) for pixels in images]


def seed_torch(seed: int) -> None:
    """Seed the worker's generators, so that a submission trains the same way on every run."""
    import random

    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def probe_06_training():  # type: ignore[no-untyped-def]
    """One epoch of the student's own 06 `train_one_epoch` on a tiny set-up: the parameters
    before and after (the scorer compares them; used only to name the cause of a failure)."""
    import importlib

    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    training = importlib.import_module("06_training")
    gen = torch.Generator().manual_seed(6)
    model = nn.Linear(4, 3)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen))
    before = [p.detach().clone() for p in model.parameters()]
    x, y = torch.randn(16, 4, generator=gen), torch.randint(0, 3, (16,), generator=gen)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)
    training.train_one_epoch(model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.5), "cpu")
    return before, [p.detach().clone() for p in model.parameters()]
