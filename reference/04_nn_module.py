"""04_nn_module (신경망 모듈) — reference solution. Instructors only."""

import torch
from torch import nn


class MLP(nn.Module):
    def __init__(self, in_features: int = 784, hidden: int = 128, out_features: int = 10):
        super().__init__()  # first: nn.Module sets up the registries of layers and parameters
        self.fc1 = nn.Linear(in_features, hidden)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden, out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1)  # [B, 1, 28, 28] or [B, 784] -> [B, 784]; keeps B == 1
        return self.fc2(self.relu(self.fc1(x)))  # logits: no softmax


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
