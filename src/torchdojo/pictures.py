"""Pictures of what the student's own code produced: image restoration (08), training curves (06/09).

Titles follow the reader's language. Korean titles need a font with Hangul glyphs: the
NanumGothic font that ships inside the `koreanize-matplotlib` package (a Python dependency of
torchdojo, so no system font is needed) is registered with matplotlib at run time, without
changing matplotlib's global defaults. Without it (an install that lacks the package), titles
fall back to English rather than showing boxes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from .i18n import texts

# which grader item keeps which picture (a module whose item did not get that far makes none)
PICTURES = {"06_training": ("training", "fit"), "08_image_restoration": ("restoration", "restore"),
            "09_fashion_mnist": ("training", "train_classifier")}

TITLES = texts({
    "original": {"ko": "원본", "en": "original"},
    "corrupted": {"ko": "손상된 이미지", "en": "corrupted"},
    "restored": {"ko": "복원 (여러분의 코드)", "en": "restored (your code)"},
    "loss": {"ko": "손실", "en": "loss"},
    "step": {"ko": "단계", "en": "step"},
    "epoch": {"ko": "에포크", "en": "epoch"},
    "accuracy": {"ko": "정확도", "en": "accuracy"},
    "your_code": {"ko": "여러분의 코드", "en": "your code"},
    "loss_axis": {"ko": "손실 = torch.dist(corrupt(x), broken)", "en": "loss = torch.dist(corrupt(x), broken)"},
    "train_loss": {"ko": "학습 손실", "en": "train_loss"},
    "val_loss": {"ko": "검증 손실", "en": "val_loss"},
    "val_acc": {"ko": "검증 정확도", "en": "val_acc"},
})


def korean_font() -> str | None:
    """Register the packaged Hangul font with matplotlib; its family name, or None when absent."""
    import importlib.util

    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    from matplotlib import font_manager

    folder = Path(list(spec.submodule_search_locations)[0]) / "fonts"
    path = folder / "NanumGothic.ttf"
    if not path.is_file():
        return None
    try:
        font_manager.fontManager.addfont(str(path))
        return font_manager.FontProperties(fname=str(path)).get_name()
    except (OSError, RuntimeError, ValueError):
        return None


def _setup(lang: str) -> tuple[Any, dict[str, str], dict]:
    """pyplot, the titles in the language matplotlib can draw, and the rc settings for them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rc: dict = {}
    if lang == "ko":
        family = korean_font()
        if family is None:
            lang = "en"
        else:
            # DejaVu Sans first (digits, the minus of log-scale ticks), the Hangul glyphs from NanumGothic
            rc = {"font.family": ["DejaVu Sans", family]}
    return plt, {key: text.pick(lang) for key, text in TITLES.items()}, rc  # type: ignore[arg-type]


def _as_image(values: Any, shape: tuple[int, ...] | None) -> Any:
    import numpy as np

    array = np.asarray(values.detach().cpu().numpy() if hasattr(values, "detach") else values, dtype=float)
    if shape:
        return array.reshape(shape)
    side = int(math.isqrt(array.size))
    return array.reshape(side, -1) if side * side == array.size else array.reshape(1, -1)


def restoration_png(data: dict[str, Any], path: Path, lang: str = "en") -> Path:
    plt, t, rc = _setup(lang)
    shape = tuple(data.get("shape") or ()) or None
    panels = [(t["original"], data.get("original")), (t["corrupted"], data.get("corrupted")),
              (t["restored"], data.get("restored"))]
    panels = [(title, img) for title, img in panels if img is not None]
    losses = data.get("losses") or []
    with plt.rc_context(rc):
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
            ax.set_xlabel(t["step"])
            ax.set_ylabel(t["loss_axis"])
            ax.set_title(t["loss"])
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
    return path


def training_png(history: dict[str, Any], path: Path, title: str, lang: str = "en") -> Path:
    plt, t, rc = _setup(lang)
    from matplotlib.ticker import MaxNLocator

    with plt.rc_context(rc):
        fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
        for key in ("train_loss", "val_loss"):
            values = history.get(key) or []
            if values:
                loss_ax.plot(range(1, len(values) + 1), [float(v) for v in values], marker="o", label=t[key])
        loss_ax.set_xlabel(t["epoch"])
        loss_ax.set_title(t["loss"])
        if loss_ax.get_legend_handles_labels()[0]:
            loss_ax.legend()
        acc = history.get("val_acc") or []
        if acc:
            acc_ax.plot(range(1, len(acc) + 1), [float(v) for v in acc], marker="o", color="green", label=t["val_acc"])
            acc_ax.set_ylim(0, 1.05)
            acc_ax.legend()
        acc_ax.set_xlabel(t["epoch"])
        acc_ax.set_title(t["accuracy"])
        for ax in (loss_ax, acc_ax):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        fig.suptitle(f"{title} ({t['your_code']})")
        fig.tight_layout()
        fig.savefig(path, dpi=90)
        plt.close(fig)
    return path


def render(artifacts: dict[str, dict[str, Any]], out_dir: Path, lang: str = "en") -> list[Path]:
    """Write one PNG per kept artifact; returns their paths (nothing for an empty dict)."""
    out_dir = Path(out_dir)
    written = []
    for key, data in sorted(artifacts.items()):
        module, kind = key.split("/", 1)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{module}-{kind}.png"
        if kind == "restoration":
            written.append(restoration_png(data, path, lang))
        elif kind == "training":
            written.append(training_png(data.get("history", data), path, module, lang))
    return written


def missing_pictures(report: Any, lang: str = "en") -> list[str]:
    """One line per graded module that makes pictures but made none this time, saying why."""
    from .grading.report import clean_text, safe_label

    lines = []
    for module in report.modules:
        known = PICTURES.get(module.name)
        if known is None or f"{module.name}/{known[0]}" in report.artifacts:
            continue
        kind, item_name = known
        item = next((i for i in module.items if i.name == item_name), None)
        reason = ""
        if item is not None and item.status != "passed":
            first = clean_text(item.text.pick(lang)).strip().splitlines()  # type: ignore[arg-type]
            reason = first[0] if first else item.status
            if len(reason) > 160:
                reason = reason[:157] + "…"
        if lang == "ko":
            why = (f"{safe_label(item_name)}의 결과가 그림을 그릴 수 있는 모양이 아니었습니다"
                   if not reason else f"{safe_label(item_name)}이(가) 통과하지 못했습니다: {reason}")
            lines.append(f"그림 없음: {safe_label(module.name)} — {why}")
        else:
            why = (f"what {safe_label(item_name)} returned could not be drawn"
                   if not reason else f"{safe_label(item_name)} did not pass: {reason}")
            lines.append(f"no picture for {safe_label(module.name)}: {why}")
    return lines
