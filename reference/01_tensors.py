"""01_tensors (텐서 다루기) — reference solution. Instructors only."""

import numpy as np
import torch


def row_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return x.sum(dim=1), x.mean(dim=1), x.std(dim=1)


def flatten_images(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1)


def split_and_stack(x: torch.Tensor, n: int) -> torch.Tensor:
    if n <= 0 or len(x) % n != 0:
        raise ValueError(f"len(x) = {len(x)} cannot be split into {n} equal chunks")
    return torch.stack(torch.split(x, len(x) // n, dim=0))


def pairwise_sum(col: torch.Tensor, row: torch.Tensor) -> torch.Tensor:
    return col[:, None] + row[None, :]


def matmul_and_elementwise(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return a @ b, a * b


def numpy_view(arr: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(arr)
