"""What graders assert with: comparisons that explain themselves to a beginner (ko/en).

Every check raises `GradeFailure` with a message that names the value, says what was
expected and what came back (type, shape, dtype, device, first differing index, largest
difference), and never shows grader or reference source.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, NoReturn

from ..i18n import Explained, Text
from ..sandbox.remote import RemoteObject, StudentError, meta_of


class GradeFailure(Explained, AssertionError):
    """A check failed; `text` says why in Korean and English."""

    def __init__(self, text: Text | None = None, *, ko: str = "", en: str = ""):
        super().__init__(text if text is not None else Text(ko=ko, en=en))


def random_int(rng: Any, low: int, high: int) -> int:
    """A random int in [low, high) drawn from the test's seeded generator."""
    import torch

    return int(torch.randint(low, high, (1,), generator=rng))


def random_float(rng: Any, low: float, high: float) -> float:
    """A random float in [low, high) drawn from the test's seeded generator."""
    import torch

    return low + (high - low) * float(torch.rand(1, generator=rng))


@contextmanager
def with_hint(*, ko: str, en: str) -> Iterator[None]:
    """Add a sentence that names the idea to whatever check fails inside the block."""
    try:
        yield
    except GradeFailure as failure:
        raise GradeFailure(failure.text + Text(ko=f". {ko}", en=f". {en}")) from None


@contextmanager
def with_korean_name(*, ko: str, en: str) -> Iterator[None]:
    """Checks inside name a value `en`; their Korean messages get the Korean name `ko` instead."""
    try:
        yield
    except GradeFailure as failure:
        said = failure.text
        raise GradeFailure(Text(ko=ko + said.ko[len(en):] if said.ko.startswith(en) else said.ko, en=said.en)) from None


def expect_tensor_named(got: Any, expected: Any, *, ko: str, en: str, **options: Any) -> None:
    """`expect_tensor` whose Korean message names the value in Korean."""
    with with_korean_name(en=en, ko=ko):
        expect_tensor(got, expected, en, **options)


def fail(text: Text | None = None, *, ko: str = "", en: str = "") -> NoReturn:
    """Fail the check: `fail(ko="...", en="...")` or `fail(text)`."""
    raise GradeFailure(text, ko=ko, en=en)


def ensure(condition: bool, text: Text | None = None, *, ko: str = "", en: str = "") -> None:
    """Fail the check with this message unless `condition` holds."""
    if not condition:
        raise GradeFailure(text, ko=ko, en=en)


def describe_type(value: Any) -> str:
    if isinstance(value, RemoteObject):
        return value.type_name.rsplit(".", 1)[-1]
    return type(value).__name__


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _shape(t: Any) -> list[int]:
    return list(t.shape)


def expect_tensor(
    got: Any,
    expected: Any,
    name: str,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    check_dtype: bool = True,
    check_device: bool = True,
) -> None:
    """`got` must be a tensor like `expected`: type, shape, dtype, device, then values."""
    import torch

    if not isinstance(got, torch.Tensor):
        extra_en = extra_ko = ""
        if isinstance(got, (int, float)):
            extra_en = " (a Python number: keep it a tensor, e.g. do not call .item() or float())"
            extra_ko = " (파이썬 숫자입니다: .item()이나 float()를 쓰지 말고 텐서로 돌려주세요)"
        fail(en=f"{name}: expected a torch.Tensor, got {describe_type(got)}{extra_en}",
             ko=f"{name}: torch.Tensor가 와야 하는데 {describe_type(got)}이(가) 왔습니다{extra_ko}")
    if _shape(got) != _shape(expected):
        fail(en=f"{name}: expected shape {_shape(expected)}, got {_shape(got)}",
             ko=f"{name}: 모양(shape)이 {_shape(expected)}이어야 하는데 {_shape(got)}입니다")
    if check_dtype and got.dtype != expected.dtype:
        e, g = str(expected.dtype).removeprefix("torch."), str(got.dtype).removeprefix("torch.")
        fail(en=f"{name}: expected dtype {e}, got {g}", ko=f"{name}: dtype이 {e}이어야 하는데 {g}입니다")
    if check_device:
        gm, em = meta_of(got), meta_of(expected)
        if gm and em and gm.device.split(":")[0] != em.device.split(":")[0]:
            fail(en=f"{name}: expected a tensor on {em.device}, got one on {gm.device}",
                 ko=f"{name}: 텐서가 {em.device}에 있어야 하는데 {gm.device}에 있습니다")
    _ensure_plain(expected, f"{name} (expected)")
    _ensure_plain(got, name)
    got_c = got.detach().to(expected.dtype) if not check_dtype else got.detach()
    if not _values_close(got_c, expected.detach(), rtol, atol):
        fail(_value_diff(got_c, expected, name))


# Default tolerances of torch.testing.assert_close, by the expected dtype
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


def _ensure_plain(t: Any, name: str) -> None:
    """A tensor whose values are really there: dense, strided, on the CPU (what the wire decodes)."""
    import torch

    if type(t) is not torch.Tensor and type(t) is not torch.nn.Parameter:
        fail(en=f"{name}: expected a torch.Tensor, got {describe_type(t)}",
             ko=f"{name}: torch.Tensor가 와야 하는데 {describe_type(t)}이(가) 왔습니다")
    if t.layout != torch.strided or t.device.type != "cpu" or t.is_quantized or t.is_nested:
        fail(en=f"{name}: a tensor without plain values ({t.layout}, {t.device.type}) cannot be checked",
             ko=f"{name}: 값이 없는 텐서({t.layout}, {t.device.type})는 확인할 수 없습니다")


def _values_close(got: Any, expected: Any, rtol: float | None, atol: float | None) -> bool:
    """Every element equal within |got - expected| <= atol + rtol * |expected|, NaN equal to NaN.

    Computed here, element by element, never through a comparison function a tensor could steer.
    """
    import torch

    if got.numel() != expected.numel():
        return False
    if got.numel() == 0:
        return True
    name = str(expected.dtype).removeprefix("torch.")
    default = _TOLERANCES.get(name, (0.0, 0.0))
    rtol = default[0] if rtol is None else rtol
    atol = default[1] if atol is None else atol
    if not expected.is_floating_point() and not expected.is_complex() and rtol == 0 and atol == 0 \
            and not got.is_floating_point() and not got.is_complex():
        return bool(torch.eq(got.to(torch.int64), expected.to(torch.int64)).all())
    wide = torch.complex128 if (got.is_complex() or expected.is_complex()) else torch.float64
    g = got.to(wide).reshape(-1)
    e = expected.to(wide).reshape(-1)
    both_nan = torch.isnan(g) & torch.isnan(e)
    same = torch.eq(g, e)  # equal infinities too
    diff = torch.abs(g - e)
    near = torch.le(diff, atol + rtol * torch.abs(e)) & torch.isfinite(diff)
    return bool((both_nan | same | near).all())


def _value_diff(got: Any, expected: Any, name: str) -> Text:
    import torch

    g = got.detach().double()
    e = expected.detach().double()
    diff = (g - e).abs()
    diff = torch.where(torch.isnan(g) & torch.isnan(e), torch.zeros_like(diff), diff)
    diff = torch.nan_to_num(diff, nan=float("inf"))
    bad = diff > (1e-5 + 1.3e-6 * e.abs())
    count = int(bad.sum())
    if count == 0:  # within our display threshold but not the check's: report the largest one
        bad = diff == diff.max()
        count = int(bad.sum())
    index = tuple(int(i) for i in bad.nonzero()[0].tolist()) if g.dim() else ()
    gv = float(g[index]) if g.dim() else float(g)
    ev = float(e[index]) if e.dim() else float(e)
    largest = float(diff.max()) if diff.numel() else 0.0
    where = f" at index {list(index)}" if index else ""
    where_ko = f" 인덱스 {list(index)}에서" if index else ""
    en = (f"{name}: values differ ({count} of {g.numel()} elements);{where} expected {_fmt(ev)}, "
          f"got {_fmt(gv)}; largest absolute difference {_fmt(largest)}")
    ko = (f"{name}: 값이 다릅니다 ({g.numel()}개 중 {count}개);{where_ko} 기대값 {_fmt(ev)}, "
          f"받은 값 {_fmt(gv)}; 가장 큰 절대 오차 {_fmt(largest)}")
    return Text(ko=ko, en=en)


def expect_sequence(got: Any, length: int, name: str) -> None:
    """A tuple (or list) of `length` values, e.g. the three results of row_stats."""
    if not isinstance(got, (tuple, list)):
        fail(en=f"{name}: expected a tuple of {length} values, got {describe_type(got)}",
             ko=f"{name}: 값 {length}개의 튜플이 와야 하는데 {describe_type(got)}이(가) 왔습니다")
    if len(got) != length:
        fail(en=f"{name}: expected {length} values, got {len(got)}",
             ko=f"{name}: 값이 {length}개여야 하는데 {len(got)}개입니다")


def expect_equal(got: Any, expected: Any, name: str) -> None:
    if type(got) is not type(expected) and not (isinstance(got, (int, float)) and isinstance(expected, (int, float))
                                                  and not isinstance(got, bool)):
        fail(en=f"{name}: expected {describe_type(expected)} {expected!r}, got {describe_type(got)}",
             ko=f"{name}: {describe_type(expected)} {expected!r}이(가) 와야 하는데 {describe_type(got)}이(가) 왔습니다")
    if got != expected:
        fail(en=f"{name}: expected {expected!r}, got {got!r}", ko=f"{name}: {expected!r}이어야 하는데 {got!r}입니다")


@contextmanager
def expect_student_raises(exception: str, name: str) -> Iterator[dict]:
    """The student's code must raise the builtin `exception` (or a subclass) in this block."""
    seen: dict = {}
    try:
        yield seen
    except StudentError as err:
        if err.kind != "exception" or (err.not_implemented and exception != "NotImplementedError"):
            raise  # the file did not load, or the function is still a stub: not this check's business
        if not err.is_a(exception):
            fail(en=f"{name}: expected {exception}, but your code raised {err.type_name}: {err.raw_message}",
                 ko=f"{name}: {exception}이(가) 발생해야 하는데 {err.type_name}이(가) 발생했습니다: {err.raw_message}")
        seen["message"] = err.raw_message
        seen["error"] = err
        return
    fail(en=f"{name}: expected {exception} to be raised, but nothing was raised",
         ko=f"{name}: {exception}이(가) 발생해야 하는데 아무 예외도 발생하지 않았습니다")
