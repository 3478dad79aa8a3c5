"""09_fashion_mnist (FashionMNIST 분류, 종합) — reference solution. Instructors only."""

import importlib

import torch
from torch import nn
from torchvision import datasets, transforms

MEAN, STD = 0.2860, 0.3530  # FashionMNIST's own pixel mean and standard deviation


def build_transform():
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])


def load_fashion_mnist(root, train, download=False):
    return datasets.FashionMNIST(root, train=train, transform=build_transform(), download=download)


class FashionClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10))

    def forward(self, x):
        return self.net(x)


def train_classifier(root, epochs, device):
    data = importlib.import_module("05_data")
    training = importlib.import_module("06_training")
    train_loader, val_loader = data.make_loaders(load_fashion_mnist(root, train=True), val_fraction=0.1,
                                                 batch_size=64, seed=0)
    model = FashionClassifier().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                           loss_fn=nn.CrossEntropyLoss(), device=device)
    return model, history
