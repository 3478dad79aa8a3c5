"""08_image_restoration: the picture, the corrupting function, and tools to look at them.

스터디 노트(seed 003)의 실습처럼, 평평하게 편(flatten) 이미지를 알려진 함수로 망가뜨린 뒤
경사 하강법으로 되살립니다. 이미지는 내려받지 않고 여기서 직접 그립니다.
As in the study notes (seed 003), a flattened image is broken by a known function and
restored by gradient descent. The picture is drawn here; nothing is downloaded.

Try it / 직접 해 보기::

    from torchdojo.coursekit.m08_image_restoration import make_image, weird_function, ascii_art
    image = make_image(12, 12)             # 12x12 그림을 길이 144의 벡터로 / a 144-vector
    broken = weird_function(image)         # 망가진 이미지 / the broken image
    print(ascii_art(broken, 12))           # 알아볼 수 없음 / unrecognisable
    # restored = restore(broken, weird_function, steps=300)   # 여러분의 함수 / your function
    # print(ascii_art(restored, 12))

Nothing here is secret: graders also run these functions inside the student's worker.
`RecordingCorrupt` records the losses of the descent, for the picture only. `new_graph_probe()`
makes a corrupting function that is `weird_function` as long as every call gets a candidate
whose graph does not reach back to the previous call's candidate (what an update under
`torch.no_grad()` gives); when it does, its output shifts, so the restored image the grader
compares with the original is wrong. Its records (for the message) live in this module, not
on the object the student's code receives. `restore_runs` and `restore_probe` run the student's
`restore` on several cases in one round trip, the second one also trying `backward()` through
the kept result with a factor the grader chose.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import torch

# 5x7 bitmaps of the letters of TORCH: one string per row, '#' is ink.
_LETTERS = {
    "T": ["#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."],
    "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    "R": ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
    "C": [".####", "#....", "#....", "#....", "#....", "#....", ".####"],
    "H": ["#...#", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"],
}

# the corrupting function's fixed numbers / 망가뜨리는 함수의 고정된 숫자들
_SCALE = 0.4
_MIX = (0.6, 0.3, -0.2)  # h[i] -> 0.6*h[i] + 0.3*h[i-1] - 0.2*h[i+1]  (circular)
_WIGGLE = 0.3  # h -> h + 0.3*sin(h): smooth and strictly increasing, so invertible


def make_image(height: int = 100, width: int = 100, seed: int = 0,
               dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """작은 그림 하나를 그려 길이 `height*width`인 1차원 텐서로 돌려줍니다 (값은 0~1).
    배경은 부드러운 그러데이션, 그 위에 원 하나와 TORCH 중 한 글자가 있습니다. `seed`가
    같으면 언제나 같은 그림입니다. 기본 100x100은 스터디 노트처럼 원소 10000개입니다.

    Draw a small picture and return it flattened: a 1-D tensor of `height*width` values in
    [0, 1]: a smooth gradient background, a disc, and one letter of TORCH. The same `seed`
    always gives the same picture; the default 100x100 has 10000 elements, like the notes.
    """
    if height < 2 or width < 2:
        raise ValueError("make_image: height and width must be at least 2")
    g = torch.Generator().manual_seed(int(seed))
    u = torch.rand(8, generator=g, dtype=torch.float64)
    yy, xx = torch.meshgrid(torch.linspace(0.0, 1.0, height, dtype=torch.float64),
                            torch.linspace(0.0, 1.0, width, dtype=torch.float64), indexing="ij")
    angle = 2 * math.pi * float(u[0])
    ramp = (math.cos(angle) * (xx - 0.5) + math.sin(angle) * (yy - 0.5)) / math.sqrt(0.5)  # in [-1, 1]
    image = 0.25 + 0.12 * ramp
    cx, cy, r = 0.25 + 0.5 * float(u[1]), 0.25 + 0.5 * float(u[2]), 0.18 + 0.12 * float(u[3])
    disc = ((xx - cx) ** 2 + (yy - cy) ** 2) <= r * r
    image = torch.where(disc, image + 0.35, image)
    letter = _LETTERS["TORCH"[int(u[4] * 5) % 5]]
    box_h = max(3, round(height * 0.7))
    box_w = max(3, round(width * 0.45))
    top = int(float(u[5]) * (height - box_h + 1))
    left = int(float(u[6]) * (width - box_w + 1))
    for y in range(box_h):
        for x in range(box_w):
            if letter[y * 7 // box_h][x * 5 // box_w] == "#":
                image[top + y, left + x] = 0.95
    return image.clamp(0.0, 1.0).reshape(-1).to(dtype)


@lru_cache(maxsize=32)
def _scramble(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed permutation of n positions (i -> (m*i + n//3) mod n) and a fixed ±1 pattern."""
    i = torch.arange(n)
    m = max(1, int(n * 0.618))
    while math.gcd(m, n) != 1:
        m += 1
    perm = (m * i + n // 3) % n
    signs = torch.where((i * i + 3 * i) % 5 < 2, -1.0, 1.0).to(torch.float64)
    return perm, signs


def weird_function(x: torch.Tensor) -> torch.Tensor:
    """이미지를 망가뜨리는 함수 (스터디 노트의 `weird_function`처럼). 마지막 차원을 따라
    (1) 이웃한 값을 섞고 (`torch.roll`로 원형으로: 0.6·h[i] + 0.3·h[i-1] − 0.2·h[i+1]),
    (2) 위치를 정해진 순서로 뒤섞고 일부 부호를 뒤집은 뒤, (3) 부드러운 비선형 함수
    h + 0.3·sin(h)를 적용하고 0.4배 합니다. 모두 미분 가능한 텐서 연산이라 autograd가
    기울기를 계산할 수 있고, 각 단계가 되돌릴 수 있어서 원본은 하나로 정해집니다.
    dtype과 device는 입력을 따릅니다.

    The corrupting function (like the notes' `weird_function`). Along the last dimension it
    (1) mixes neighbours (circularly with `torch.roll`: 0.6·h[i] + 0.3·h[i-1] − 0.2·h[i+1]),
    (2) shuffles the positions in a fixed order and flips some signs, then (3) applies the
    smooth h + 0.3·sin(h) and scales by 0.4. Every step is a differentiable tensor operation,
    so autograd can compute gradients, and every step can be undone, so the original is the
    only answer. The output has the input's dtype and device.
    """
    n = x.shape[-1]
    perm, signs = _scramble(int(n))
    a, b, c = _MIX
    h = a * x + b * torch.roll(x, 1, dims=-1) + c * torch.roll(x, -1, dims=-1)
    h = h[..., perm.to(x.device)] * signs.to(device=x.device, dtype=x.dtype)
    h = h + _WIGGLE * torch.sin(h)
    return _SCALE * h


def ascii_art(x: torch.Tensor, width: int) -> str:
    """평평한 이미지를 글자 그림으로 (어두울수록 공백, 밝을수록 '@'). 0~1 밖의 값은 잘립니다.
    A flattened image as text, `width` characters a row (dark ' ' to bright '@'); values
    outside [0, 1] are clipped.
    """
    shades = " .:-=+*#%@"
    values = x.detach().to("cpu", torch.float64).reshape(-1, width).clamp(0.0, 1.0)
    rows = []
    for row in values.tolist():
        rows.append("".join(shades[min(len(shades) - 1, int(v * len(shades)))] for v in row))
    return "\n".join(rows)


class RecordingCorrupt:
    """`weird_function` that also records, for every call, whether its input was a leaf
    tensor and whether it required grad (`calls`), and, when built with the broken image,
    the loss `torch.dist(output, broken)` of that call (`losses`, for a picture of the
    descent). The grader reads them afterwards.
    `weird_function`과 같지만 호출될 때마다 입력이 리프(leaf) 텐서였는지, 기울기를 추적했는지
    (`calls`), 그리고 망가진 이미지를 받았다면 그 호출의 손실 `torch.dist(출력, broken)`
    (`losses`, 그림용)를 기록합니다. 채점기가 나중에 읽습니다.
    """

    def __init__(self, broken: torch.Tensor | None = None) -> None:
        self.calls: list[tuple[bool, bool]] = []
        self.losses: list[float] = []
        self.broken = None if broken is None else broken.detach().clone()

    def __call__(self, x: torch.Tensor) -> Any:
        if isinstance(x, torch.Tensor):
            self.calls.append((bool(x.is_leaf), bool(x.requires_grad)))
        out = weird_function(x)
        if self.broken is not None and isinstance(out, torch.Tensor) and len(self.losses) < 100_000:
            with torch.no_grad():
                target = self.broken.to(device=out.device, dtype=out.dtype)
                self.losses.append(float(torch.dist(out.detach(), target)))
        return out


# -- probes the grader runs in the worker ------------------------------------------------------

_GRAPH_RECORDS: dict[int, dict] = {}  # module-private: the object given to the student holds only a number
_SHIFT = 0.5


def _reaches(x: torch.Tensor, previous: torch.Tensor | None, limit: int = 64) -> bool:
    """Does the autograd graph that produced `x` hold `previous` (the previous call's candidate)?"""
    if previous is None or x.grad_fn is None:
        return False
    target = previous.grad_fn
    seen: set = set()
    todo = [x.grad_fn]
    while todo and len(seen) < limit:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if target is not None and node is target:
            return True
        if getattr(node, "variable", None) is previous:
            return True
        todo.extend(fn for fn, _ in node.next_functions)
    return False


class GraphProbe:
    """`weird_function`, shifted whenever the candidate's graph reaches the previous call's candidate."""

    __slots__ = ("_token",)

    def __init__(self, token: int) -> None:
        self._token = token

    def __call__(self, x: torch.Tensor) -> Any:
        record = _GRAPH_RECORDS.get(self._token)
        out = weird_function(x)
        if record is None or not isinstance(x, torch.Tensor):
            return out
        record["calls"] += 1
        chained = _reaches(x, record["previous"])
        record["previous"] = x
        if chained:
            if record["first_chained"] is None:
                record["first_chained"] = record["calls"]
            return out + _SHIFT
        return out


def new_graph_probe() -> GraphProbe:
    token = len(_GRAPH_RECORDS) + 1
    _GRAPH_RECORDS[token] = {"calls": 0, "previous": None, "first_chained": None}
    return GraphProbe(token)


def graph_probe_report(probe: GraphProbe) -> dict:
    """How often the probe was called, and at which call a candidate first hung on the previous one."""
    record = _GRAPH_RECORDS.get(getattr(probe, "_token", None), {})
    return {"calls": int(record.get("calls", 0)), "first_chained": record.get("first_chained")}


def restore_runs(restore: Any, runs: list[dict]) -> list[Any]:
    """`restore(broken, corrupt, **kwargs)` for every run (`{"broken", "corrupt", "kwargs"}`)."""
    return [restore(run["broken"], run["corrupt"], **run.get("kwargs", {})) for run in runs]


def restore_probe(restore: Any, broken: torch.Tensor, corrupt: Any, kwargs: dict, factor: torch.Tensor) -> dict:
    """The student's result (a detached copy, for its values), and what `backward()` through the
    result itself gives with `factor`: None when it is not part of any graph (as it should be)."""
    result = restore(broken, corrupt, **kwargs)
    if not isinstance(result, torch.Tensor):
        return {"result": result, "grad": None, "tracked": False}
    values = result.detach().clone()
    grad, tracked = None, bool(result.requires_grad)
    if tracked and result.shape == factor.shape:
        try:
            if result.is_leaf:
                result.grad = None
            else:
                result.retain_grad()
            (result * factor.to(result.dtype)).sum().backward()
            grad = result.grad.detach().clone() if result.grad is not None else None
        except RuntimeError:
            grad = None
    return {"result": values, "grad": grad, "tracked": tracked}
