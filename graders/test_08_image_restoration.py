"""Hidden grader of 08_image_restoration. A small random picture (`make_image`, its size and
look drawn from the run's seed) is broken by the course's `weird_function`; the student's
`restore` and the reference's run with the same arguments, and the results are compared with
each other and with the original picture. The corrupting function is passed as a coursekit
function (pickled by reference); `RecordingCorrupt` records, inside the student's worker, what
the candidate tensor looked like at every call."""

from contextlib import contextmanager

import pytest
import torch

from torchdojo.coursekit.m08_image_restoration import RecordingCorrupt, make_image, weird_function
from torchdojo.grading import GradeFailure, StudentError, ensure, expect_tensor, fail, meta_of
from torchdojo.grading import random_int as _size

RECIPE_EN = ("start from x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), "
             "dtype=broken.dtype); then, exactly `steps` times: x.requires_grad_(True), "
             "loss = torch.dist(corrupt(x), broken), loss.backward(), and under torch.no_grad(): "
             "x = x - lr * x.grad")
RECIPE_KO = ("x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)"
             "에서 시작해 정확히 `steps`번: x.requires_grad_(True), loss = torch.dist(corrupt(x), broken), "
             "loss.backward(), 그리고 torch.no_grad() 안에서 x = x - lr * x.grad")


def _picture(rng, dtype=torch.float64):
    """(image, broken, (height, width)) for a random picture of 8..12 x 8..12 pixels."""
    h, w = _size(rng, 8, 13), _size(rng, 8, 13)
    image = make_image(h, w, seed=_size(rng, 1, 10**6), dtype=dtype)
    return image, weird_function(image), (h, w)


def _problem(rng, dtype=torch.float64):
    """(image, broken) for a random picture of 8..12 x 8..12 pixels."""
    image, broken, _ = _picture(rng, dtype)
    return image, broken


def _tolerances(dtype):
    return (1e-4, 1e-5) if dtype == torch.float32 else (1e-7, 1e-8)


@contextmanager
def _explain_autograd(name):
    """The usual ways a missing torch.no_grad() / requires_grad_() shows up, in words."""
    try:
        yield
    except StudentError as err:
        msg = err.raw_message
        if err.is_a("TypeError") and "NoneType" in msg or "can only change requires_grad flags" in msg:
            fail(f"{name}: {err.en}. x.grad was None: after `x = x - lr * x.grad` outside torch.no_grad(), the "
                 "new x is an intermediate node of the graph (not a leaf), and backward() does not keep .grad "
                 "for it. Do the update inside `with torch.no_grad():` and call x.requires_grad_(True) at the "
                 "start of every step",
                 f"{name}: {err.ko}. x.grad가 None이었습니다: torch.no_grad() 밖에서 `x = x - lr * x.grad`를 하면 "
                 "새 x는 그래프의 중간 노드(잎 텐서가 아님)가 되어 backward()가 .grad를 남기지 않습니다. "
                 "업데이트는 `with torch.no_grad():` 안에서 하고, 매 단계 시작에 x.requires_grad_(True)를 "
                 "호출하세요")
        if "leaf Variable that requires grad" in msg and "in-place" in msg:
            fail(f"{name}: {err.en}. An in-place update (x -= lr * x.grad) of a tensor that requires grad must "
                 "happen inside `with torch.no_grad():`, so that autograd does not record it",
                 f"{name}: {err.ko}. 기울기를 추적하는 텐서의 제자리 업데이트(x -= lr * x.grad)는 "
                 "`with torch.no_grad():` 안에서 해야 autograd가 기록하지 않습니다")
        if "does not require grad and does not have a grad_fn" in msg:
            fail(f"{name}: {err.en}. x did not require grad when the loss was computed: call "
                 "x.requires_grad_(True) at the start of every step (the x made by the update under "
                 "torch.no_grad() is a new tensor that does not track gradients)",
                 f"{name}: {err.ko}. 손실을 계산할 때 x가 기울기를 추적하지 않았습니다: 매 단계 시작에 "
                 "x.requires_grad_(True)를 호출하세요 (torch.no_grad() 안의 업데이트로 만든 x는 기울기를 "
                 "추적하지 않는 새 텐서입니다)")
        raise


def _restore(student, broken, corrupt, name, **kwargs):
    with _explain_autograd(name):
        return student.restore(broken, corrupt, **kwargs)


def _expect_tensor_like(got, expected, name):
    """Type, shape and dtype, with the dtype rule in words."""
    if isinstance(got, torch.Tensor) and list(got.shape) == list(expected.shape) and got.dtype != expected.dtype:
        e, g = str(expected.dtype).removeprefix("torch."), str(got.dtype).removeprefix("torch.")
        fail(f"{name}: expected dtype {e} (the dtype of broken), got {g}. Make the candidate with "
             "dtype=broken.dtype: torch.randn(broken.shape, generator=..., dtype=broken.dtype)",
             f"{name}: dtype이 broken과 같은 {e}이어야 하는데 {g}입니다. 후보를 dtype=broken.dtype으로 만드세요: "
             "torch.randn(broken.shape, generator=..., dtype=broken.dtype)")
    expect_tensor(got, expected, name, rtol=float("inf"), atol=float("inf"))


def _expect_restored(got, reference, broken, *, lr, steps, seed, name, hint_en="", hint_ko=""):
    """The student's result must be the reference's, up to rounding. A start made in float32 and
    then converted to broken's dtype (COURSE.md's formula plus a cast) is accepted as well."""
    expected = reference.restore(broken, weird_function, lr=lr, steps=steps, seed=seed)
    _expect_tensor_like(got, expected, name)
    rtol, atol = _tolerances(broken.dtype)
    try:
        expect_tensor(got, expected, name, rtol=rtol, atol=atol)
        return
    except GradeFailure as failure:
        first = failure
    if broken.dtype != torch.float32:
        start = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed)).to(broken.dtype)
        other = reference.call("_descend", start, broken, weird_function, lr, steps)
        if torch.allclose(got.double(), other.double(), rtol=rtol, atol=atol):
            return
    extra_en = f" {hint_en}" if hint_en else ""
    extra_ko = f" {hint_ko}" if hint_ko else ""
    raise GradeFailure(f"{first.en}.{extra_en} Follow the recipe: {RECIPE_EN}",
                       f"{first.ko}.{extra_ko} 이 순서를 따르세요: {RECIPE_KO}") from None


def _rms(a, b):
    return float(((a.double() - b.double()) ** 2).mean().sqrt())


@pytest.mark.points(4)
def test_restore(student, reference, rng, artifacts):
    image, broken, shape = _picture(rng)
    steps, seed = _size(rng, 120, 161), _size(rng, 1, 10**6)
    name = f"restore(broken, corrupt, steps={steps}, seed={seed}) for a {broken.numel()}-pixel image"
    recorder = student.put(RecordingCorrupt(broken))  # weird_function that also records the losses
    got = _restore(student, broken, recorder, name, steps=steps, seed=seed)
    if isinstance(got, torch.Tensor) and got.numel() == image.numel():
        artifacts.save("restoration", original=image, corrupted=broken, restored=got, shape=list(shape),
                       losses=recorder.losses)
    expected = reference.restore(broken, weird_function, lr=0.8, steps=steps, seed=seed)  # cached: same call below
    _expect_tensor_like(got, expected, name)
    got_rms, ref_rms = _rms(got, image), _rms(expected, image)
    ensure(got_rms == got_rms and got_rms <= 1.5 * ref_rms + 0.02,
           f"{name}: the restored image is far from the original: RMS error per pixel {got_rms:.4g}, but "
           f"{steps} steps of gradient descent get to {ref_rms:.4g}. Does your loop run `steps` times, with "
           f"lr = 0.8 by default? If you update x in place, clear x.grad every step (gradients accumulate). "
           f"{RECIPE_EN}",
           f"{name}: 복원한 이미지가 원본과 많이 다릅니다: 픽셀당 RMS 오차 {got_rms:.4g}, 경사 하강법 {steps}번이면 "
           f"{ref_rms:.4g}까지 갑니다. 반복문이 `steps`번 돌고, 기본 lr이 0.8인가요? x를 제자리에서 업데이트한다면 "
           f"매 단계 x.grad를 지우세요 (기울기는 누적됩니다). {RECIPE_KO}")
    _expect_restored(got, reference, broken, lr=0.8, steps=steps, seed=seed, name=name)


@pytest.mark.points(2, item="restore.steps")
def test_restore_honours_steps(student, reference, rng):
    image, broken = _problem(rng)
    seed = _size(rng, 1, 10**6)
    u = float(torch.rand(1, generator=rng))
    lr = round(0.6 + 0.3 * u if u < 0.5 else 0.7 + 0.3 * u, 3)  # in [0.6, 0.75) or [0.85, 1.0), never 0.8
    for steps in (_size(rng, 1, 5), _size(rng, 55, 81)):
        name = f"restore(broken, corrupt, lr={lr}, steps={steps}, seed={seed})"
        got = _restore(student, broken, weird_function, name, lr=lr, steps=steps, seed=seed)
        _expect_restored(got, reference, broken, lr=lr, steps=steps, seed=seed, name=name,
                         hint_en=f"After exactly {steps} step(s) with lr={lr} the result must be the expected one: "
                                 "use the `steps` and `lr` you are given (no fixed count, no cap).",
                         hint_ko=f"lr={lr}로 정확히 {steps}번 업데이트한 결과여야 합니다: 주어진 `steps`와 `lr`을 "
                                 "그대로 쓰세요 (고정된 횟수나 상한 없이).")


@pytest.mark.points(1, item="restore.seed")
def test_restore_honours_seed(student, reference, rng):
    _, broken = _problem(rng)
    first = _size(rng, 1, 10**6)
    seeds = (first, first + _size(rng, 1, 1000))
    for seed in seeds:
        name = f"restore(broken, corrupt, steps=2, seed={seed})"
        got = _restore(student, broken, weird_function, name, steps=2, seed=seed)
        _expect_restored(got, reference, broken, lr=0.8, steps=2, seed=seed, name=name,
                         hint_en="The starting point must come from the given seed: "
                                 "torch.randn(..., generator=torch.Generator().manual_seed(seed), ...).",
                         hint_ko="출발점은 주어진 seed로 만들어야 합니다: "
                                 "torch.randn(..., generator=torch.Generator().manual_seed(seed), ...).")


@pytest.mark.points(1, item="restore.dtype")
def test_restore_follows_dtype(student, reference, rng):
    _, broken = _problem(rng, dtype=torch.float32)
    seed, steps = _size(rng, 1, 10**6), _size(rng, 2, 5)
    name = f"restore(broken, corrupt, steps={steps}, seed={seed}) for a float32 broken image"
    got = _restore(student, broken, weird_function, name, steps=steps, seed=seed)
    _expect_restored(got, reference, broken, lr=0.8, steps=steps, seed=seed, name=name,
                     hint_en="The candidate follows broken's dtype (float32 here): dtype=broken.dtype, "
                             "not a fixed torch.float64.",
                     hint_ko="후보의 dtype은 broken을 따릅니다 (여기서는 float32): 고정된 torch.float64가 아니라 "
                             "dtype=broken.dtype.")


@pytest.mark.points(1, item="restore.detached")
def test_restore_returns_detached(student, rng):
    _, broken = _problem(rng)
    steps, seed = _size(rng, 2, 5), _size(rng, 1, 10**6)
    name = f"restore(broken, corrupt, steps={steps}, seed={seed})"
    got = _restore(student, broken, weird_function, name, steps=steps, seed=seed)
    ensure(isinstance(got, torch.Tensor), f"{name}: expected a torch.Tensor",
           f"{name}: torch.Tensor가 와야 합니다")
    meta = meta_of(got)
    ensure(meta is not None and not meta.requires_grad and meta.grad_fn is None,
           f"{name}: the returned tensor still requires grad (requires_grad=True): return x.detach(), the "
           "restored image cut off from the autograd graph",
           f"{name}: 돌려준 텐서가 아직 기울기를 추적합니다 (requires_grad=True): 그래프에서 떼어 낸 "
           "x.detach()를 돌려주세요")


@pytest.mark.points(2, item="restore.no_grad")
def test_restore_updates_under_no_grad(student, rng):
    _, broken = _problem(rng)
    steps, seed = _size(rng, 8, 16), _size(rng, 1, 10**6)
    name = f"restore(broken, corrupt, steps={steps}, seed={seed})"
    recorder = student.put(RecordingCorrupt())
    _restore(student, broken, recorder, name, steps=steps, seed=seed)
    calls = recorder.calls
    ensure(len(calls) >= steps,
           f"{name}: corrupt was called {len(calls)} time(s); each of the {steps} steps computes "
           "hypothesis = corrupt(x)",
           f"{name}: corrupt가 {len(calls)}번 호출되었습니다. {steps}번의 단계마다 hypothesis = corrupt(x)를 "
           "계산해야 합니다")
    for i, (is_leaf, _requires_grad) in enumerate(calls, start=1):
        ensure(is_leaf,
               f"{name}: at call {i} of corrupt, x was not a leaf tensor: it was computed from the previous x "
               "while autograd was recording (an update outside torch.no_grad()), so every step's graph hangs "
               "on to all the earlier ones. Update x inside `with torch.no_grad():`",
               f"{name}: corrupt의 {i}번째 호출에서 x가 잎(leaf) 텐서가 아니었습니다: autograd가 기록하는 중에 "
               "이전 x로부터 계산되어(torch.no_grad() 밖의 업데이트) 매 단계의 그래프가 앞의 모든 그래프에 "
               "매달립니다. x는 `with torch.no_grad():` 안에서 업데이트하세요")
