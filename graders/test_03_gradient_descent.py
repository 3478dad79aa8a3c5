"""Hidden grader of 03_gradient_descent. Inputs are random (seeded per run). `fit_line` is
compared with the reference over a short, unconverged trajectory (few steps), so forgetting to
zero the gradients shows. What must run in the student's worker (an optimizer watch, parameters
with `.grad` set, a reader of the original tensors) comes from
`torchdojo.coursekit.m03_gradient_descent`."""

from contextlib import contextmanager

import pytest
import torch

from torchdojo.coursekit import m03_gradient_descent as kit
from torchdojo.grading import (
    GradeFailure,
    StudentError,
    describe_type,
    ensure,
    expect_sequence,
    expect_tensor,
    fail,
    meta_of,
)
from torchdojo.grading import random_int as _size


def _uniform(rng, low, high):
    return round(low + (high - low) * float(torch.rand((), generator=rng)), 4)


def _line_data(rng):
    n = _size(rng, 6, 17)
    x = torch.randn(n, generator=rng)
    sign = 1 if _size(rng, 0, 2) else -1  # slope and intercept well away from 0: every mistake shows
    slope, intercept = sign * _uniform(rng, 0.5, 3), -sign * _uniform(rng, 0.5, 2)
    y = slope * x + intercept + 0.1 * torch.randn(n, generator=rng)
    return x, y


@contextmanager
def _explain_update_errors(name):
    """The usual crashes of a hand-written update, explained."""
    try:
        yield
    except StudentError as err:
        msg = err.raw_message
        if err.is_a("RuntimeError") and "leaf Variable that requires grad" in msg:
            fail(f"{name}: an in-place update of a tensor that requires grad was recorded by autograd ({err.en}). "
                 "Do the update inside `with torch.no_grad():`",
                 f"{name}: requires_grad가 켜진 텐서를 제자리에서 갱신하는 연산이 autograd에 기록되었습니다 ({err.ko}). "
                 "갱신은 `with torch.no_grad():` 안에서 하세요")
        if err.is_a("TypeError") and "NoneType" in msg:
            fail(f"{name}: a .grad was None ({err.en}). After `w = w - lr * w.grad` the name w is a new tensor "
                 "that is not a leaf requiring grad, so backward() fills no w.grad. Update in place under "
                 "torch.no_grad() (w -= lr * w.grad) or rebind a new leaf: "
                 "w = (w - lr * w.grad).detach().requires_grad_()",
                 f"{name}: .grad가 None이었습니다 ({err.ko}). `w = w - lr * w.grad` 뒤의 w는 기울기를 추적하는 잎 텐서가 "
                 "아닌 새 텐서라서 backward()가 w.grad를 채우지 않습니다. torch.no_grad() 안에서 제자리 갱신"
                 "(w -= lr * w.grad)을 하거나 새 잎 텐서로 다시 묶으세요: w = (w - lr * w.grad).detach().requires_grad_()")
        raise


# -- fit_line -------------------------------------------------------------------------------

@pytest.mark.points(3)
def test_fit_line(student, reference, rng):
    x, y = _line_data(rng)
    lr, steps = _uniform(rng, 0.02, 0.2), _size(rng, 3, 16)
    with _explain_update_errors(f"fit_line(x, y, lr={lr}, steps={steps})"):
        got = student.fit_line(x, y, lr=lr, steps=steps)
    expected = reference.fit_line(x, y, lr=lr, steps=steps)
    expect_sequence(got, 2, "fit_line(x, y, lr, steps)")
    hint_en = ("the trajectory differs from plain gradient descent on the MSE loss: start at w = b = 0, take exactly "
               f"{steps} steps of w -= lr * w.grad, and zero the gradients every step (they accumulate)")
    hint_ko = ("평균 제곱 오차(MSE)에 대한 경사 하강법과 경로가 다릅니다: w = b = 0에서 시작해 w -= lr * w.grad를 정확히 "
               f"{steps}번 하고, 매 반복 기울기를 초기화하세요 (기울기는 누적됩니다)")
    for name, g, e in zip(("w", "b"), got, expected):
        if isinstance(g, torch.Tensor) and g.shape != e.shape:
            fail(f"fit_line: {name} must be a 0-dim tensor (shape []), got shape {list(g.shape)}; start from "
                 "torch.zeros(()) or use .squeeze()/.reshape(()) before returning",
                 f"fit_line: {name}은(는) 0차원 텐서(모양 [])여야 하는데 모양이 {list(g.shape)}입니다. "
                 "torch.zeros(())로 시작하거나 돌려주기 전에 .squeeze()/.reshape(())를 쓰세요")
        try:
            expect_tensor(g, e, f"{name} after {steps} steps with lr={lr}", rtol=1e-4, atol=1e-5, check_device=False)
        except GradeFailure as failure:
            if isinstance(g, torch.Tensor) and g.dtype == e.dtype:  # the values differ
                raise GradeFailure(f"{failure.en}. {hint_en}", f"{failure.ko}. {hint_ko}") from None
            raise
    defaults = student.call(kit.parameter_defaults, student.attr("fit_line"))
    ensure(defaults.get("lr") == 0.1 and defaults.get("steps") == 500,
           f"fit_line: keep the signature fit_line(x, y, lr=0.1, steps=500); your defaults are lr="
           f"{defaults.get('lr', 'none')}, steps={defaults.get('steps', 'none')}",
           f"fit_line: 시그니처 fit_line(x, y, lr=0.1, steps=500)을 지키세요. 지금 기본값은 lr="
           f"{defaults.get('lr', '없음')}, steps={defaults.get('steps', '없음')}입니다")


@pytest.mark.points(1, item="fit_line.leaf")
def test_fit_line_returns_leaves(student, rng):
    x, y = _line_data(rng)
    with _explain_update_errors("fit_line(x, y, lr=0.1, steps=3)"):
        got = student.fit_line(x, y, lr=0.1, steps=3)
    expect_sequence(got, 2, "fit_line(x, y, lr, steps)")
    for name, g in zip(("w", "b"), got):
        meta = meta_of(g)
        ensure(meta is not None, f"fit_line: {name} must be a torch.Tensor, got {describe_type(g)}",
               f"fit_line: {name}은(는) torch.Tensor여야 하는데 {describe_type(g)}입니다")
        ensure(meta.is_leaf,
               f"fit_line: {name} is not a leaf tensor (grad_fn={meta.grad_fn}): it was computed from other tensors "
               f"with gradient tracking on. Return the parameter itself or {name}.detach(); update in place under "
               "torch.no_grad(), or rebind with .detach().requires_grad_()",
               f"fit_line: {name}이(가) 잎(leaf) 텐서가 아닙니다 (grad_fn={meta.grad_fn}): 기울기 추적이 켜진 채 다른 텐서로 "
               f"계산되었습니다. 파라미터 자체나 {name}.detach()를 돌려주세요. torch.no_grad() 안에서 제자리 갱신하거나 "
               ".detach().requires_grad_()로 다시 묶으세요")


@pytest.mark.points(1, item="fit_line.no_optim")
def test_fit_line_without_torch_optim(student, rng):
    x, y = _line_data(rng)
    student.call(kit.watch_optimizers)
    with _explain_update_errors("fit_line(x, y, lr=0.1, steps=3)"):
        student.fit_line(x, y, lr=0.1, steps=3)
    used = student.call(kit.optimizers_used)
    ensure(not used,
           f"fit_line used torch.optim ({', '.join(sorted(set(used)))}); this exercise is gradient descent by hand: "
           "update w and b yourself inside torch.no_grad() and zero their .grad",
           f"fit_line이 torch.optim({', '.join(sorted(set(used)))})을 썼습니다. 이 과제는 경사 하강법을 직접 구현하는 "
           "것입니다: torch.no_grad() 안에서 w와 b를 직접 갱신하고 .grad를 초기화하세요")


# -- gd_step --------------------------------------------------------------------------------

def _check_gd_step(student, rng, kind):
    shapes = [(), (_size(rng, 2, 5),), (_size(rng, 2, 4), _size(rng, 2, 4))]
    values = [torch.randn(s, generator=rng) for s in shapes]
    grads = [torch.randn(s, generator=rng) for s in shapes]
    lr = _uniform(rng, 0.05, 0.5)
    bundle = student.call(kit.make_bundle, values, grads, kind, _keep=True)
    params = student.call(kit.bundle_params, bundle, _keep=True)
    what = "gd_step(model.parameters(), lr)" if kind == "generator" else "gd_step(params, lr)"
    with _explain_update_errors(what):
        # already on the run's device; moving would rebuild the list the student must work on
        student.gd_step(params, lr, _to_device=False)
    state = student.call(kit.bundle_state, bundle)
    for i, (v, g, st) in enumerate(zip(values, grads, state)):
        name = f"parameter {i} (shape {list(v.shape)})"
        name_ko = f"파라미터 {i} (모양 {list(v.shape)})"
        ensure(st["same_in_list"],
               f"{what}: {name} was replaced in the list by a new tensor; the model still holds the old one. "
               "Update each tensor in place (p -= lr * p.grad under torch.no_grad())",
               f"{what}: {name_ko}이(가) 리스트 안에서 새 텐서로 바뀌었습니다. 모델은 여전히 예전 텐서를 갖고 있습니다. "
               "각 텐서를 제자리에서 갱신하세요 (torch.no_grad() 안에서 p -= lr * p.grad)")
        value = st["value"]
        if torch.allclose(value, v) and not torch.allclose(v, v - lr * g):
            fail(f"{what}: {name} did not change. `p = p - lr * p.grad` only rebinds a local name; update the "
                 "caller's tensor in place: p -= lr * p.grad (or p.sub_(lr * p.grad)) inside torch.no_grad()",
                 f"{what}: {name_ko}이(가) 바뀌지 않았습니다. `p = p - lr * p.grad`는 지역 변수 이름만 바꿉니다. "
                 "호출한 쪽의 텐서를 제자리에서 갱신하세요: torch.no_grad() 안에서 p -= lr * p.grad (또는 p.sub_(lr * p.grad))")
        if torch.allclose(value, v + lr * g):
            fail(f"{what}: {name} moved along its gradient (p + lr * p.grad); gradient descent goes against it: "
                 "p -= lr * p.grad",
                 f"{what}: {name_ko}이(가) 기울기 방향(p + lr * p.grad)으로 움직였습니다. 경사 하강법은 반대 방향입니다: "
                 "p -= lr * p.grad")
        expect_tensor(value, v - lr * g, f"{what}: {name} after the step (p - lr * p.grad)", check_device=False)
        ensure(st["is_leaf"] and st["requires_grad"] and (st["is_parameter"] or kind == "tensors"),
               f"{what}: {name} is no longer a leaf {'nn.Parameter' if kind != 'tensors' else 'tensor'} that "
               "requires grad; update its values in place and leave requires_grad alone",
               f"{what}: {name_ko}이(가) 더 이상 기울기를 추적하는 잎 텐서가 아닙니다. 값만 제자리에서 갱신하고 "
               "requires_grad는 건드리지 마세요")
        grad = st["grad"]
        ensure(grad is None or not bool(grad.any()),
               f"{what}: the gradient of {name} was not cleared after the update; set p.grad.zero_() "
               "(or p.grad = None), or it will accumulate into the next step",
               f"{what}: 갱신 후 {name_ko}의 기울기를 초기화하지 않았습니다. p.grad.zero_()(또는 p.grad = None)를 "
               "하지 않으면 다음 단계에 누적됩니다")


@pytest.mark.points(3)
@pytest.mark.parametrize("kind", ["tensors", "parameters"])
def test_gd_step(student, rng, kind):
    _check_gd_step(student, rng, kind)


@pytest.mark.points(1, item="gd_step.generator")
def test_gd_step_on_a_generator(student, rng):
    _check_gd_step(student, rng, "generator")
