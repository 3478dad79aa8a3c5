"""05_data: every COURSE.md "Catch" loses its item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "05_data"
IMAGE_ITEMS = ("ImageFolderDataset", "ImageFolderDataset.transform")

MUTANTS = [
    # -- PairDataset ------------------------------------------------------------------------
    Mutant("transform_on_label", M, loses=("PairDataset.transform",), why="transform on the label", code="""
        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features)

            def __getitem__(self, i):
                x, y = self.features[i], self.labels[i]
                if self.transform:
                    x, y = self.transform(x), self.transform(y)
                return x, y
    """),
    Mutant("len_minus_one", M, loses=("PairDataset",), why="off-by-one length", code="""
        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features) - 1

            def __getitem__(self, i):
                x = self.features[i]
                return (self.transform(x) if self.transform else x), self.labels[i]
    """),
    Mutant("len_plus_one", M, loses=("PairDataset",), why="off-by-one length", code="""
        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features) + 1

            def __getitem__(self, i):
                x = self.features[i]
                return (self.transform(x) if self.transform else x), self.labels[i]
    """),
    Mutant("wraps_index", M, loses=("PairDataset.index_error",), why="no IndexError past the end (index wraps)",
           code="""
        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features)

            def __getitem__(self, i):
                i = i % len(self.features)
                x = self.features[i]
                return (self.transform(x) if self.transform else x), self.labels[i]
    """),
    Mutant("transform_always_called", M, loses=("PairDataset",), why="calls transform even when it is None",
           code="""
        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features)

            def __getitem__(self, i):
                return self.transform(self.features[i]), self.labels[i]
    """),
    Mutant("transform_ignored", M, loses=("PairDataset.transform",), why="stores the transform, never applies it",
           code="""
        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features)

            def __getitem__(self, i):
                return self.features[i], self.labels[i]
    """),
    Mutant("pair_not_a_dataset", M, loses=("PairDataset",), why="class PairDataset not derived from Dataset",
           code="""
        class PairDataset:
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features)

            def __getitem__(self, i):
                x = self.features[i]
                return (self.transform(x) if self.transform else x), self.labels[i]
    """),
    Mutant("bounds_check_off_by_one", M, loses=("PairDataset", "PairDataset.transform", "PairDataset.index_error"),
           why="IndexError already at the last index (i >= len - 1)", code="""
        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features, self.labels, self.transform = features, labels, transform

            def __len__(self):
                return len(self.features)

            def __getitem__(self, i):
                if i >= len(self.features) - 1:
                    raise IndexError(i)
                x = self.features[i]
                return (self.transform(x) if self.transform else x), self.labels[i]
    """),
    # -- ImageFolderDataset -----------------------------------------------------------------
    Mutant("classes_unsorted", M, loses=("ImageFolderDataset",), why="classes not sorted by name", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __init__(self, root, transform=None):
                super().__init__(root, transform)
                self.classes = self.classes[::-1]
                self.samples = [(path, label) for label, name in enumerate(self.classes)
                                for path in sorted((Path(root) / name).glob("*.png"))]
    """),
    Mutant("files_unsorted", M, loses=("ImageFolderDataset",), why="samples not in sorted order", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __init__(self, root, transform=None):
                super().__init__(root, transform)
                self.samples = [(path, label) for label, name in enumerate(self.classes)
                                for path in sorted((Path(root) / name).glob("*.png"), reverse=True)]
    """),
    Mutant("non_images_kept", M, loses=IMAGE_ITEMS, why="non-image files not ignored", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __init__(self, root, transform=None):
                super().__init__(root, transform)
                self.samples = [(path, label) for label, name in enumerate(self.classes)
                                for path in sorted((Path(root) / name).iterdir())]
    """),
    Mutant("no_convert_rgb", M, loses=IMAGE_ITEMS, why="no .convert('RGB'): grayscale keeps one channel", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __getitem__(self, i):
                path, label = self.samples[i]
                image = Image.open(path)
                image.load()
                return (self.transform(image) if self.transform else self.to_tensor(image)), label
    """),
    Mutant("transform_gets_tensor", M, loses=("ImageFolderDataset.transform",),
           why="the transform gets a tensor, not the PIL image", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __getitem__(self, i):
                path, label = self.samples[i]
                x = self.to_tensor(Image.open(path).convert("RGB"))
                return (self.transform(x) if self.transform else x), label
    """),
    Mutant("labels_from_one", M, loses=("ImageFolderDataset",), why="labels 1..K instead of 0..K-1", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __getitem__(self, i):
                x, label = super().__getitem__(i)
                return x, label + 1
    """),
    Mutant("no_classes_attribute", M, loses=("ImageFolderDataset",), why="no attribute classes", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __init__(self, root, transform=None):
                super().__init__(root, transform)
                self.names = self.classes
                del self.classes
    """),
    Mutant("pil_image_without_transform", M, loses=("ImageFolderDataset",),
           why="returns the PIL image when there is no transform (no ToTensor)", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __getitem__(self, i):
                path, label = self.samples[i]
                image = Image.open(path).convert("RGB")
                return (self.transform(image) if self.transform else image), label
    """),
    Mutant("classes_sorted_ignoring_case", M, loses=("ImageFolderDataset",),
           why="classes sorted by name (case-insensitive order is another order)", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __init__(self, root, transform=None):
                super().__init__(root, transform)
                self.classes = sorted(self.classes, key=str.lower)
                self.samples = [(path, label) for label, name in enumerate(self.classes)
                                for path in sorted((Path(root) / name).glob("*.png"))]
    """),
    Mutant("rgba_kept", M, loses=IMAGE_ITEMS, why="only grayscale converted: RGBA keeps 4 channels", code="""
        _Base = ImageFolderDataset

        class ImageFolderDataset(_Base):
            def __getitem__(self, i):
                path, label = self.samples[i]
                image = Image.open(path)
                if image.mode == "L":
                    image = image.convert("RGB")
                return (self.transform(image) if self.transform else self.to_tensor(image)), label
    """),
    # -- make_loaders -----------------------------------------------------------------------
    Mutant("overlap", M, loses=("make_loaders",), why="train and val overlap (train on the whole dataset)", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            _, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                      generator=torch.Generator().manual_seed(seed))
            return (DataLoader(dataset, batch_size=batch_size, shuffle=True),
                    DataLoader(val_set, batch_size=batch_size, shuffle=False))
    """),
    Mutant("val_shuffled", M, loses=("make_loaders.shuffle",), why="val shuffled", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return (DataLoader(train_set, batch_size=batch_size, shuffle=True),
                    DataLoader(val_set, batch_size=batch_size, shuffle=True))
    """),
    Mutant("train_not_shuffled", M, loses=("make_loaders.shuffle",), why="train not shuffled", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return DataLoader(train_set, batch_size=batch_size), DataLoader(val_set, batch_size=batch_size)
    """),
    Mutant("no_generator", M, loses=("make_loaders",), why="split ignores the seed (global RNG)", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val])
            return (DataLoader(train_set, batch_size=batch_size, shuffle=True),
                    DataLoader(val_set, batch_size=batch_size, shuffle=False))
    """),
    Mutant("rounded_n_val", M, loses=("make_loaders",), why="round() instead of int() for n_val", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = round(len(dataset) * val_fraction)
            train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return (DataLoader(train_set, batch_size=batch_size, shuffle=True),
                    DataLoader(val_set, batch_size=batch_size, shuffle=False))
    """),
    Mutant("val_first", M, loses=("make_loaders",), why="lengths in the wrong order ([n_val, rest])", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            val_set, train_set = random_split(dataset, [n_val, len(dataset) - n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return (DataLoader(train_set, batch_size=batch_size, shuffle=True),
                    DataLoader(val_set, batch_size=batch_size, shuffle=False))
    """),
    Mutant("batch_size_ignored", M, loses=("make_loaders",), why="batch_size not passed to the loaders", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return DataLoader(train_set, shuffle=True), DataLoader(val_set, shuffle=False)
    """),
    Mutant("drop_last", M, loses=("make_loaders",), why="drops the last training batch", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            n_train = len(dataset) - n_val
            train_set, val_set = random_split(dataset, [n_train, n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return (DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=n_train % batch_size > 0),
                    DataLoader(val_set, batch_size=batch_size, shuffle=False))
    """),
    Mutant("loader_forgery", M, loses=("make_loaders.shuffle",),
           why="forgery: a DataLoader subclass that shuffles once and replays the same batches every epoch", code="""
        class ReplayLoader(DataLoader):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                self.batches = list(super().__iter__())

            def __iter__(self):
                return iter(self.batches)

        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return (ReplayLoader(train_set, batch_size=batch_size, shuffle=True),
                    DataLoader(val_set, batch_size=batch_size, shuffle=False))
    """),
    Mutant("lists_of_batches", M, loses=("make_loaders", "make_loaders.shuffle"),
           why="forgery: lists of batches that pretend to be loaders", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            train_set, val_set = random_split(dataset, [len(dataset) - n_val, n_val],
                                              generator=torch.Generator().manual_seed(seed))
            return (list(DataLoader(train_set, batch_size=batch_size, shuffle=True)),
                    list(DataLoader(val_set, batch_size=batch_size, shuffle=False)))
    """),
    Mutant("split_in_order", M, loses=("make_loaders",), why="first samples for training, the rest for validation",
           code="""
        from torch.utils.data import Subset

        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            n_train = len(dataset) - n_val
            return (DataLoader(Subset(dataset, range(n_train)), batch_size=batch_size, shuffle=True),
                    DataLoader(Subset(dataset, range(n_train, len(dataset))), batch_size=batch_size))
    """),
    # -- correct alternatives ---------------------------------------------------------------
    alternative("explicit_lists", M, why="lists, int labels, os.listdir + sorted, glob paths, manual to_tensor",
                code="""
        import glob
        import os

        import numpy as np
        from torchvision.transforms import functional as TF

        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                super().__init__()
                self.features = features
                self.labels = labels
                self.transform = transform

            def __len__(self):
                return self.features.shape[0]

            def __getitem__(self, i):
                if i >= len(self):
                    raise IndexError("index out of range")
                x = self.features[i]
                if self.transform is not None:
                    x = self.transform(x)
                return x, int(self.labels[i])

        class ImageFolderDataset(Dataset):
            def __init__(self, root, transform=None):
                self.transform = transform
                self.classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
                index = {c: k for k, c in enumerate(self.classes)}
                paths = sorted(glob.glob(os.path.join(root, "*", "*.png")))
                self.items = [(p, index[os.path.basename(os.path.dirname(p))]) for p in paths]

            def __len__(self):
                return len(self.items)

            def __getitem__(self, idx):
                path, label = self.items[idx]
                img = Image.open(path)
                if img.mode != "RGB":
                    img = img.convert("RGB")
                if self.transform:
                    return self.transform(img), label
                return TF.to_tensor(img), label
    """),
    alternative("torchvision_image_folder", M, why="a subclass of torchvision's ImageFolder", code="""
        from torchvision import datasets

        class ImageFolderDataset(datasets.ImageFolder):
            def __init__(self, root, transform=None):
                super().__init__(root, transform=transform if transform is not None else transforms.ToTensor())
    """),
    alternative("split_by_fractions", M, why="random_split with fractions gives the same split", code="""
        def make_loaders(dataset, val_fraction, batch_size, seed):
            g = torch.Generator()
            g.manual_seed(seed)
            train_set, val_set = random_split(dataset, [1 - val_fraction, val_fraction], generator=g)
            train_loader = DataLoader(train_set, batch_size, shuffle=True)
            val_loader = DataLoader(val_set, batch_size)
            return train_loader, val_loader
    """),
    alternative("randperm_and_samplers", M, why="randperm by hand, SubsetRandomSampler for training", code="""
        from torch.utils.data import Subset, SubsetRandomSampler

        def make_loaders(dataset, val_fraction, batch_size, seed):
            n = len(dataset)
            n_val = int(n * val_fraction)
            order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
            train_idx, val_idx = order[: n - n_val], order[n - n_val:]
            train_loader = DataLoader(dataset, batch_size=batch_size, sampler=SubsetRandomSampler(train_idx))
            val_loader = DataLoader(Subset(dataset, val_idx), batch_size=batch_size, shuffle=False)
            return train_loader, val_loader
    """),
    alternative("tutorial_pair_and_subset", M, why="PyTorch data tutorial's __getitem__ (torch.is_tensor(idx)), "
                "no bounds check of its own; random_split of the indices, then torch.utils.data.Subset", code="""
        from torch.utils.data import Subset

        class PairDataset(Dataset):
            def __init__(self, features, labels, transform=None):
                self.features = features
                self.labels = labels
                self.transform = transform

            def __len__(self):
                return len(self.labels)

            def __getitem__(self, idx):
                if torch.is_tensor(idx):
                    idx = idx.tolist()
                sample = self.features[idx]
                if self.transform:
                    sample = self.transform(sample)
                return sample, self.labels[idx]

        def make_loaders(dataset, val_fraction, batch_size, seed):
            n_val = int(len(dataset) * val_fraction)
            generator = torch.Generator().manual_seed(seed)
            train_idx, val_idx = random_split(range(len(dataset)), [len(dataset) - n_val, n_val], generator=generator)
            train_loader = DataLoader(Subset(dataset, list(train_idx)), batch_size=batch_size, shuffle=True)
            val_loader = DataLoader(Subset(dataset, list(val_idx)), batch_size=batch_size, shuffle=False)
            return train_loader, val_loader
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
