"""08_image_restoration (경사 하강법으로 깨진 이미지 복원하기) — reference solution. Instructors only."""

import torch


def _descend(x: torch.Tensor, broken: torch.Tensor, corrupt, lr: float, steps: int) -> torch.Tensor:
    """Gradient descent on the candidate `x` (the loop of `restore`); the grader also calls
    it with other starting points, to accept a start made in float32 and then converted."""
    for _ in range(steps):
        x.requires_grad_(True)
        hypothesis = corrupt(x)
        loss = torch.dist(hypothesis, broken)
        loss.backward()
        with torch.no_grad():
            x = x - lr * x.grad
    return x.detach()


def restore(broken: torch.Tensor, corrupt, lr: float = 0.8, steps: int = 20000, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(broken.shape, generator=generator, dtype=broken.dtype).to(broken.device)
    return _descend(x, broken, corrupt, lr, steps)
