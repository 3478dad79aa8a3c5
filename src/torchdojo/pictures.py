"""Pictures of what the student's own code produced: image restoration (08), training curves (06/09).

Titles are English: matplotlib's default font has no Hangul glyphs (they would show as boxes).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any


def _as_image(values: Any, shape: tuple[int, ...] | None) -> Any:
    import numpy as np

    array = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values, dtype=float)
    if shape:
        return array.reshape(shape)
    side = int(math.isqrt(array.size))
    return array.reshape(side, -1) if side * side == array.size else array.reshape(1, -1)


def restoration_png(data: dict[str, Any], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shape = tuple(data.get("shape") or ()) or None
    panels = [("original", data.get("original")), ("corrupted", data.get("corrupted")),
              ("restored (your code)", data.get("restored"))]
    panels = [(title, img) for title, img in panels if img is not None]
    losses = data.get("losses") or []
    fig, axes = plt.subplots(1, len(panels) + (1 if losses else 0), figsize=(4 * (len(panels) + 1), 4))
    axes = list(axes) if hasattr(axes, "__len__") else [axes]
    for ax, (title, img) in zip(axes, panels):
        ax.imshow(_as_image(img, shape), cmap="gray")
        ax.set_title(title)
        ax.axis("off")
    if losses:
        ax = axes[-1]
        ax.plot(range(1, len(losses) + 1), [float(v) for v in losses])
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("loss = torch.dist(corrupt(x), broken)")
        ax.set_title("loss")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def training_png(history: dict[str, Any], path: Path, title: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    for key in ("train_loss", "val_loss"):
        values = history.get(key) or []
        if values:
            loss_ax.plot(range(1, len(values) + 1), [float(v) for v in values], marker="o", label=key)
    loss_ax.set_xlabel("epoch")
    loss_ax.set_title("loss")
    loss_ax.legend()
    acc = history.get("val_acc") or []
    if acc:
        acc_ax.plot(range(1, len(acc) + 1), [float(v) for v in acc], marker="o", color="green", label="val_acc")
        acc_ax.set_ylim(0, 1.05)
        acc_ax.legend()
    acc_ax.set_xlabel("epoch")
    acc_ax.set_title("accuracy")
    from matplotlib.ticker import MaxNLocator

    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def render(artifacts: dict[str, dict[str, Any]], out_dir: Path) -> list[Path]:
    """Write one PNG per kept artifact; returns their paths (nothing for an empty dict)."""
    out_dir = Path(out_dir)
    written = []
    for key, data in sorted(artifacts.items()):
        module, kind = key.split("/", 1)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{module}-{kind}.png"
        if kind == "restoration":
            written.append(restoration_png(data, path))
        elif kind == "training":
            written.append(training_png(data.get("history", data), path, f"{module} (your code)"))
    return written
