"""Worker-side helpers of the 05_data grader: transforms that show what they were given.

The grader hands these to the student's datasets; they run in the worker and return plain
data (tensors, strings, tuples) so the grader can see what the dataset did. Nothing here is
secret.
"""

from __future__ import annotations

from typing import Any

import torch


class AddConstant:
    """A transform for feature tensors: `x + value` (so a transformed label would show)."""

    def __init__(self, value: float):
        self.value = float(value)

    def __call__(self, x: Any) -> Any:
        return x + self.value

    def __repr__(self) -> str:
        return f"AddConstant({self.value:g})"


class DescribeImage:
    """A transform for images: returns what it received instead of transforming it.

    A dict with `kind` ('PIL' for a PIL image, else the type's qualified name), and for a PIL
    image its `mode`, `size` (width, height) and `pixels` (uint8 tensor [C, H, W], as
    torchvision's `pil_to_tensor` gives).
    """

    def __call__(self, img: Any) -> dict:
        try:
            from PIL import Image
        except ImportError:  # pragma: no cover - Pillow comes with torchvision
            Image = None
        if Image is not None and isinstance(img, Image.Image):
            channels = len(img.getbands())
            pixels = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8) if img.mode in ("L", "RGB", "RGBA") \
                else torch.zeros(0, dtype=torch.uint8)
            if pixels.numel():
                pixels = pixels.reshape(img.size[1], img.size[0], channels).permute(2, 0, 1).contiguous()
            return {"kind": "PIL", "mode": img.mode, "size": tuple(int(v) for v in img.size), "pixels": pixels}
        tp = type(img)
        return {"kind": f"{tp.__module__}.{tp.__qualname__}", "mode": None, "size": None, "pixels": None}

    def __repr__(self) -> str:
        return "DescribeImage()"


def seed_worker(seed: int) -> None:
    """Seed torch's global generator in the worker, so that a shuffling loader's order depends only
    on the code (the scorer compares two epochs: a shuffling loader gives two different orders)."""
    torch.manual_seed(int(seed))
