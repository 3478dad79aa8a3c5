"""Hidden grader of 08_image_restoration.

Pictures (`make_image`) are broken by the course's `weird_function`; the student's `restore`
and the reference's run on the same broken image with the same corrupting function, steps, lr
and seed. Every item runs a battery (fixed corner cases, the same on every seed, then a few
random ones), and its points rest on VALUES compared here, in the scorer:
- restore, restore.steps, restore.seed: the restored tensor against the reference's result. A
  run of the same algorithm in float32 is accepted here too (within float32's rounding; it is
  restore.dtype's mistake, and only restore.dtype loses for it).
- restore.dtype: the result's dtype (float32 and float64 images) and its values.
- restore.detached: the restored image must be close to the original (which never enters the
  worker), and `backward()` through the kept result with a factor drawn here must find no graph.
- restore.no_grad: the corrupting function is a probe (`new_graph_probe`) that shifts its output
  when a candidate's graph reaches back to the previous step's candidate (an update outside
  torch.no_grad()); the restored image must still be close to the original.
The recorders (losses for the picture, the probe's record) only ever improve a message.
"""

from contextlib import contextmanager

import pytest
import torch

from torchdojo.coursekit.m08_image_restoration import (
    RecordingCorrupt,
    graph_probe_report,
    make_image,
    new_graph_probe,
    restore_probe,
    restore_runs,
    weird_function,
)
from torchdojo.grading import GradeFailure, StudentError, cases, ensure, expect_tensor, fail, meta_of
from torchdojo.grading import random_int as _size

RECIPE_EN = ("start from x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), "
             "dtype=broken.dtype); then, exactly `steps` times: x.requires_grad_(True), "
             "loss = torch.dist(corrupt(x), broken), loss.backward(), and under torch.no_grad(): "
             "x = x - lr * x.grad")
RECIPE_KO = ("x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)"
             "에서 시작해 정확히 `steps`번: x.requires_grad_(True), loss = torch.dist(corrupt(x), broken), "
             "loss.backward(), 그리고 torch.no_grad() 안에서 x = x - lr * x.grad")


class Case:
    """One picture, broken, and the arguments `restore` gets."""

    def __init__(self, h, w, image_seed, *, dtype=torch.float64, **kwargs):
        self.shape = (h, w)
        self.image = make_image(h, w, seed=image_seed, dtype=dtype)
        self.broken = weird_function(self.image)
        self.kwargs = kwargs  # steps, seed and (sometimes) lr

    @property
    def lr(self):
        return self.kwargs.get("lr", 0.8)

    @property
    def name(self):
        args = ", ".join(f"{k}={v}" for k, v in self.kwargs.items())
        dtype = str(self.broken.dtype).removeprefix("torch.")
        return f"restore(broken, corrupt, {args}) for a {self.shape[0]}x{self.shape[1]} {dtype} image"


def _random_case(rng, steps_low=60, steps_high=101):
    return Case(_size(rng, 8, 13), _size(rng, 8, 13), _size(rng, 1, 10**6),
                steps=_size(rng, steps_low, steps_high), seed=_size(rng, 1, 10**6))


@contextmanager
def _explain_autograd(name):
    """The usual ways a missing torch.no_grad() / requires_grad_() shows up, in words."""
    try:
        yield
    except StudentError as err:
        msg = err.raw_message
        if err.is_a("TypeError") and "NoneType" in msg or "can only change requires_grad flags" in msg:
            fail(en=f"{name}: {err.text.en}. x.grad was None: after `x = x - lr * x.grad` outside torch.no_grad(), the "
                    "new x is an intermediate node of the graph (not a leaf), and backward() does not keep .grad "
                    "for it. Do the update inside `with torch.no_grad():` and call x.requires_grad_(True) at the "
                    "start of every step",
                 ko=f"{name}: {err.text.ko}. x.grad가 None이었습니다: torch.no_grad() 밖에서 `x = x - lr * x.grad`를 하면 "
                    "새 x는 그래프의 중간 노드(잎 텐서가 아님)가 되어 backward()가 .grad를 남기지 않습니다. "
                    "업데이트는 `with torch.no_grad():` 안에서 하고, 매 단계 시작에 x.requires_grad_(True)를 "
                    "호출하세요")
        if "leaf Variable that requires grad" in msg and "in-place" in msg:
            fail(en=f"{name}: {err.text.en}. An in-place update (x -= lr * x.grad) of a tensor that requires grad must "
                    "happen inside `with torch.no_grad():`, so that autograd does not record it",
                 ko=f"{name}: {err.text.ko}. 기울기를 추적하는 텐서의 제자리 업데이트(x -= lr * x.grad)는 "
                    "`with torch.no_grad():` 안에서 해야 autograd가 기록하지 않습니다")
        if "does not require grad and does not have a grad_fn" in msg:
            fail(en=f"{name}: {err.text.en}. x did not require grad when the loss was computed: call "
                    "x.requires_grad_(True) at the start of every step (the x made by the update under "
                    "torch.no_grad() is a new tensor that does not track gradients)",
                 ko=f"{name}: {err.text.ko}. 손실을 계산할 때 x가 기울기를 추적하지 않았습니다: 매 단계 시작에 "
                    "x.requires_grad_(True)를 호출하세요 (torch.no_grad() 안의 업데이트로 만든 x는 기울기를 "
                    "추적하지 않는 새 텐서입니다)")
        raise


def _student_runs(student, battery, corrupt=weird_function):
    corrupts = corrupt if isinstance(corrupt, list) else [corrupt] * len(battery)
    runs = [{"broken": c.broken, "corrupt": f, "kwargs": c.kwargs} for c, f in zip(battery, corrupts)]
    with _explain_autograd(battery[0].name if len(battery) == 1 else "restore"):
        return student.call(restore_runs, student.attr("restore"), runs, _what="calling restore")


def _reference_runs(reference, battery):
    # one call per case by name: the reference worker keeps its answers (the same fixed cases for every student)
    return [reference.restore(c.broken, weird_function, **c.kwargs) for c in battery]


def _float32_runs(reference, battery):
    """The same descent from torch.randn's float32 start (COURSE.md's formula without dtype=),
    in broken's dtype: what a float32 candidate reaches, up to float32's rounding."""
    starts = [torch.randn(c.broken.shape, generator=torch.Generator().manual_seed(c.kwargs["seed"]))
              .to(c.broken.dtype) for c in battery]
    return [reference.call("_descend", start, c.broken, weird_function, c.lr, c.kwargs["steps"],
                           _what="calling restore")
            for start, c in zip(starts, battery)]


def _expect_tensor_shape(got, case, name):
    expect_tensor(got, case.broken, name, rtol=float("inf"), atol=float("inf"), check_dtype=False)


def _tolerances(dtype):
    return (1e-4, 1e-5) if dtype == torch.float32 else (1e-7, 1e-8)


def _expect_values(student, reference, battery, hint_en="", hint_ko="", got_all=None, expected_all=None):
    """Each result must be the reference's (any float dtype: restore.dtype judges the dtype)."""
    got_all = _student_runs(student, battery) if got_all is None else got_all
    expected_all = _reference_runs(reference, battery) if expected_all is None else expected_all
    alternatives = None
    for index, (case, got, expected) in enumerate(zip(battery, got_all, expected_all)):
        name = case.name
        _expect_tensor_shape(got, case, name)
        rtol, atol = _tolerances(case.broken.dtype)
        try:
            expect_tensor(got.to(expected.dtype), expected, name, rtol=rtol, atol=atol)
            continue
        except GradeFailure as failure:
            first = failure
        if case.broken.dtype == torch.float64:
            if alternatives is None:
                alternatives = _float32_runs(reference, battery)
            other = alternatives[index]
            if bool(torch.allclose(got.double(), other.double(), rtol=1e-3, atol=1e-3)):
                continue  # a float32 candidate (converted or not): the same algorithm
        extra_en = f" {hint_en}" if hint_en else ""
        extra_ko = f" {hint_ko}" if hint_ko else ""
        raise GradeFailure(en=f"{first.text.en}.{extra_en} Follow the recipe: {RECIPE_EN}",
                           ko=f"{first.text.ko}.{extra_ko} 이 순서를 따르세요: {RECIPE_KO}") from None
    return got_all, expected_all


def _rms(a, b):
    return float(((a.double() - b.double()) ** 2).mean().sqrt())


def _expect_restores_image(got, case, reference_result, name, *, strict=True):
    """The restored image is about as close to the original (which never entered the worker) as the
    reference's result after the same steps. Not `strict` (items about something else: detached,
    no_grad): clearly restored, at most half as far from the original as a blank image, so a run of
    fewer steps costs only restore.steps, while zeros or an unrestored image still fail."""
    _expect_tensor_shape(got, case, name)
    got_rms, ref_rms = _rms(got, case.image), _rms(reference_result, case.image)
    steps = case.kwargs["steps"]
    bound = 1.5 * ref_rms + 0.02 if strict else max(1.5 * ref_rms + 0.02, 0.5 * _rms(case.image * 0, case.image))
    ensure(got_rms == got_rms and got_rms <= bound,
           en=f"{name}: the restored image is far from the original: RMS error per pixel {got_rms:.4g}, but "
              f"{steps} steps of gradient descent get to {ref_rms:.4g}. Does your loop run `steps` times, with "
              f"lr = 0.8 by default? If you update x in place, clear x.grad every step (gradients accumulate). "
              f"{RECIPE_EN}",
           ko=f"{name}: 복원한 이미지가 원본과 많이 다릅니다: 픽셀당 RMS 오차 {got_rms:.4g}, 경사 하강법 {steps}번이면 "
              f"{ref_rms:.4g}까지 갑니다. 반복문이 `steps`번 돌고, 기본 lr이 0.8인가요? x를 제자리에서 업데이트한다면 "
              f"매 단계 x.grad를 지우세요 (기울기는 누적됩니다). {RECIPE_KO}")


# -- restore ------------------------------------------------------------------------------------

def _restore_fixed():
    return [Case(9, 13, 5, steps=150, seed=1234), Case(10, 10, 7, steps=6, seed=77),
            Case(12, 8, 11, steps=60, seed=2024)]


@pytest.mark.points(4)
def test_restore(student, reference, rng, artifacts):
    battery = list(cases(rng, fixed=_restore_fixed(), random=_random_case, count=2))
    first = battery[0]
    recorder = student.put(RecordingCorrupt(first.broken))  # weird_function that records losses: picture only
    got_all = _student_runs(student, battery, corrupt=[recorder] + [weird_function] * (len(battery) - 1))
    expected_all = _reference_runs(reference, battery)
    shown = got_all[0]
    if isinstance(shown, torch.Tensor) and shown.numel() == first.image.numel():
        artifacts.save("restoration", original=first.image, corrupted=first.broken, restored=shown,
                       shape=list(first.shape), losses=recorder.losses)
    for case, got, expected in zip(battery, got_all, expected_all):
        if case.kwargs["steps"] >= 50:  # the plain question first: is it restored at all?
            _expect_restores_image(got, case, expected, case.name)
    _expect_values(student, reference, battery, got_all=got_all, expected_all=expected_all)


# -- restore.steps --------------------------------------------------------------------------

def _steps_fixed():
    return [Case(9, 11, 21, lr=0.65, steps=1, seed=5), Case(11, 9, 22, lr=0.9, steps=4, seed=6),
            Case(8, 12, 23, lr=0.1, steps=260, seed=7)]  # small lr: still far from the end after 200 steps


def _steps_random(rng):
    u = float(torch.rand(1, generator=rng))
    lr = round(0.6 + 0.3 * u if u < 0.5 else 0.7 + 0.3 * u, 3)  # in [0.6, 0.75) or [0.85, 1.0), never 0.8
    return Case(_size(rng, 8, 13), _size(rng, 8, 13), _size(rng, 1, 10**6), lr=lr, steps=_size(rng, 2, 81),
                seed=_size(rng, 1, 10**6))


@pytest.mark.points(2, item="restore.steps")
def test_restore_honours_steps(student, reference, rng):
    battery = list(cases(rng, fixed=_steps_fixed(), random=_steps_random, count=1))
    _expect_values(student, reference, battery,
                   hint_en="After exactly `steps` steps with the given lr the result must be the expected one: use "
                           "the `steps` and `lr` you are given (no fixed count, no cap).",
                   hint_ko="주어진 lr로 정확히 `steps`번 업데이트한 결과여야 합니다: 주어진 `steps`와 `lr`을 "
                           "그대로 쓰세요 (고정된 횟수나 상한 없이).")


# -- restore.seed ---------------------------------------------------------------------------

def _seed_fixed():
    return [Case(10, 9, 31, steps=2, seed=1), Case(10, 9, 31, steps=2, seed=987654)]


def _seed_random(rng):
    return Case(_size(rng, 8, 13), _size(rng, 8, 13), _size(rng, 1, 10**6), steps=2, seed=_size(rng, 2, 10**6))


@pytest.mark.points(1, item="restore.seed")
def test_restore_honours_seed(student, reference, rng):
    battery = list(cases(rng, fixed=_seed_fixed(), random=_seed_random, count=1))
    _expect_values(student, reference, battery,
                   hint_en="The starting point must come from the given seed: "
                           "torch.randn(..., generator=torch.Generator().manual_seed(seed), ...).",
                   hint_ko="출발점은 주어진 seed로 만들어야 합니다: "
                           "torch.randn(..., generator=torch.Generator().manual_seed(seed), ...).")


# -- restore.dtype --------------------------------------------------------------------------

def _dtype_fixed():
    return [Case(9, 10, 41, dtype=torch.float32, steps=4, seed=11), Case(10, 9, 42, dtype=torch.float64, steps=3,
                                                                          seed=12)]


def _dtype_random(rng):
    return Case(_size(rng, 8, 13), _size(rng, 8, 13), _size(rng, 1, 10**6), dtype=torch.float32,
                steps=_size(rng, 2, 5), seed=_size(rng, 1, 10**6))


@pytest.mark.points(1, item="restore.dtype")
def test_restore_follows_dtype(student, reference, rng):
    battery = list(cases(rng, fixed=_dtype_fixed(), random=_dtype_random, count=1))
    got_all = _student_runs(student, battery)
    expected_all = _reference_runs(reference, battery)
    for case, got, expected in zip(battery, got_all, expected_all):
        name = case.name
        _expect_tensor_shape(got, case, name)
        if got.dtype != expected.dtype:
            e, g = str(expected.dtype).removeprefix("torch."), str(got.dtype).removeprefix("torch.")
            fail(en=f"{name}: expected dtype {e} (the dtype of broken), got {g}. The candidate follows broken's dtype: "
                    "torch.randn(broken.shape, generator=..., dtype=broken.dtype), not a fixed dtype (torch.randn "
                    "without dtype= makes float32)",
                 ko=f"{name}: dtype이 broken과 같은 {e}이어야 하는데 {g}입니다. 후보의 dtype은 broken을 따릅니다: "
                    "고정된 dtype이 아니라 torch.randn(broken.shape, generator=..., dtype=broken.dtype) "
                    "(dtype= 없이 torch.randn을 쓰면 float32가 됩니다)")
    _expect_values(student, reference, battery, got_all=got_all, expected_all=expected_all)


# -- restore.detached -----------------------------------------------------------------------

def _long_fixed(tag):
    return [Case(9, 12, 50 + tag, steps=60, seed=100 + tag), Case(12, 9, 60 + tag, steps=80, seed=200 + tag)]


@pytest.mark.points(1, item="restore.detached")
def test_restore_returns_detached(student, reference, rng):
    battery = list(cases(rng, fixed=_long_fixed(1), random=_random_case, count=1))
    expected_all = _reference_runs(reference, battery)
    for case, expected in zip(battery, expected_all):
        name = case.name
        factor = 1 + torch.rand(case.broken.shape, dtype=case.broken.dtype, generator=rng)  # drawn here
        with _explain_autograd(name):
            probe = student.call(restore_probe, student.attr("restore"), case.broken, weird_function, case.kwargs,
                                 factor, _what="calling restore")
        got = probe["result"] if isinstance(probe, dict) else probe
        _expect_restores_image(got, case, expected, name, strict=False)
        grad = probe.get("grad")
        tracked = bool(probe.get("tracked")) or (isinstance(grad, torch.Tensor) and grad.shape == factor.shape
                                                  and bool(torch.allclose(grad.double(), factor.double())))
        meta = meta_of(got)
        ensure(not tracked and not (meta is not None and (meta.requires_grad or meta.grad_fn)),
               en=f"{name}: the returned tensor still requires grad: backward() through it reached your candidate. "
                  "Return x.detach(), the restored image cut off from the autograd graph",
               ko=f"{name}: 돌려준 텐서가 아직 기울기를 추적합니다: 그것을 거쳐 backward()가 후보까지 닿았습니다. "
                  "그래프에서 떼어 낸 x.detach()를 돌려주세요")


# -- restore.no_grad ------------------------------------------------------------------------

@pytest.mark.points(2, item="restore.no_grad")
def test_restore_updates_under_no_grad(student, reference, rng):
    battery = list(cases(rng, fixed=_long_fixed(2), random=_random_case, count=1))
    expected_all = _reference_runs(reference, battery)
    for case, expected in zip(battery, expected_all):
        name = case.name
        probe = student.call(new_graph_probe, _keep=True, _what="preparing the corrupting function")
        with _explain_autograd(name):
            got = student.call(restore_runs, student.attr("restore"),
                               [{"broken": case.broken, "corrupt": probe, "kwargs": case.kwargs}],
                               _what="calling restore")[0]
        try:
            _expect_restores_image(got, case, expected, name, strict=False)
        except GradeFailure as failure:
            report = student.call(graph_probe_report, probe, _what="reading the corrupting function's record")
            chained = report.get("first_chained") if isinstance(report, dict) else None
            if isinstance(chained, int):
                fail(en=f"{name}: at call {chained} of corrupt, x was computed from the previous x while autograd was "
                        "recording (an update outside torch.no_grad()), so every step's graph hangs on to all the "
                        "earlier ones (the corrupting function of this check then answers differently, and the "
                        "image is not restored). Update x inside `with torch.no_grad():`",
                     ko=f"{name}: corrupt의 {chained}번째 호출에서 x가 autograd가 기록하는 중에 이전 x로부터 계산되어 "
                        "있었습니다(torch.no_grad() 밖의 업데이트). 그러면 매 단계의 그래프가 앞의 모든 그래프에 "
                        "매달립니다 (이 검사의 망가뜨리는 함수는 그때 다른 값을 내므로 이미지가 복원되지 않습니다). "
                        "x는 `with torch.no_grad():` 안에서 업데이트하세요")
            raise failure
