"""05_data (Dataset과 DataLoader) — reference solution. Instructors only."""

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset, random_split
from torchvision import transforms


class PairDataset(Dataset):
    def __init__(self, features, labels, transform=None):
        if len(features) != len(labels):
            raise ValueError(f"{len(features)} features but {len(labels)} labels")
        self.features = features
        self.labels = labels
        self.transform = transform

    def __len__(self):
        return len(self.features)

    def __getitem__(self, i):
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} is out of range for a dataset of {len(self)} samples")
        x = self.features[i]
        if self.transform is not None:
            x = self.transform(x)  # the features only: the label stays as it is
        return x, self.labels[i]


class ImageFolderDataset(Dataset):
    def __init__(self, root, transform=None):
        root = Path(root)
        self.transform = transform
        self.classes = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
        self.class_to_idx = {name: label for label, name in enumerate(self.classes)}
        self.samples = [(path, label) for label, name in enumerate(self.classes)
                        for path in sorted((root / name).glob("*.png")) if path.is_file()]
        self.to_tensor = transforms.ToTensor()

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        with Image.open(path) as img:
            image = img.convert("RGB")
        if self.transform is not None:
            return self.transform(image), label
        return self.to_tensor(image), label


def make_loaders(dataset, val_fraction, batch_size, seed):
    n_val = int(len(dataset) * val_fraction)
    train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                      generator=torch.Generator().manual_seed(seed))
    train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=batch_size, shuffle=False)
    return train_loader, val_loader
