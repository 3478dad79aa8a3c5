"""Hidden grader of 03_gradient_descent: batteries of fixed corner cases plus random ones.

Every verdict rests on values compared here, in the scorer:
- `fit_line`: w and b after a few (unconverged) steps, compared with the reference's on the same
  data, lr and steps (no zeroing, a wrong start, a missing bias, a sum instead of a mean, steps or
  lr ignored, a closed-form fit instead of descent: each moves the values on a fixed case), and
  once with the default arguments.
- `fit_line.leaf`: the returned tensors stay in the worker; a trusted probe runs backward through
  each with a factor drawn after `fit_line` returned, and the gradient that lands on it comes back
  as a value (a leaf gets exactly the factor; a tensor still in the training graph gets none).
- `fit_line.no_optim`: no outcome tells `torch.optim.SGD` from a hand-written update (other
  optimizers change the trajectory, which `fit_line` judges), so this is a rule: a static check of
  the student's file (read here, never run: any mention of torch.optim or an optimizer's name) plus
  a watch on torch.optim in the worker, which can only take the point away; the returned values
  must also have left the start (w = b = 0), so that a function that does nothing earns nothing.
- `gd_step`: the parameters are built in the worker with their `.grad` set; after the call the
  ORIGINAL tensor objects' values and grads are fetched and compared with p - lr * grad and zero.
What must run in the student's worker comes from `torchdojo.coursekit.m03_gradient_descent`."""

from contextlib import contextmanager

import pytest
import torch

from torchdojo.coursekit import m03_gradient_descent as kit
from torchdojo.grading import (
    GradeFailure,
    StudentError,
    cases,
    describe_type,
    ensure,
    expect_sequence,
    expect_tensor,
    fail,
    fixed_generator,
    meta_of,
)
from torchdojo.grading import random_int as _size

OPTIM_NAMES = {"optim", "torch.optim", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
               "NAdam", "RAdam", "ASGD", "LBFGS", "Rprop", "SparseAdam", "Optimizer", "lr_scheduler"}


def _uniform(rng, low, high):
    return round(low + (high - low) * float(torch.rand((), generator=rng)), 4)


def _line(gen, n, slope, intercept):
    x = torch.randn(n, generator=gen)
    return x, slope * x + intercept + 0.1 * torch.randn(n, generator=gen)


# Fixed cases, the same on every seed. Every known mistake moves w or b on at least one of them:
# no zeroing (steps >= 2), a wrong start or missing bias (intercept far from 0), sum instead of
# mean (n >= 2), steps ignored or off by one (steps 1 and 3: far from converged), lr ignored
# (lr != 0.1), a closed-form least-squares fit (few steps: not converged yet).
def _fixed_lines():
    return [
        (*_line(fixed_generator(301), 7, 2.0, -1.5), 0.1, 3),
        (*_line(fixed_generator(302), 12, -1.25, 0.75), 0.05, 1),
        (*_line(fixed_generator(303), 5, 0.8, 2.0), 0.2, 8),
        (*_line(fixed_generator(304), 9, -2.5, -1.0), 0.03, 15),
    ]


def _random_line(rng):
    n = _size(rng, 6, 17)
    x = torch.randn(n, generator=rng)
    sign = 1 if _size(rng, 0, 2) else -1  # slope and intercept well away from 0: every mistake shows
    slope, intercept = sign * _uniform(rng, 0.5, 3), -sign * _uniform(rng, 0.5, 2)
    y = slope * x + intercept + 0.1 * torch.randn(n, generator=rng)
    return x, y, _uniform(rng, 0.02, 0.2), _size(rng, 3, 16)


@contextmanager
def _explain_update_errors(name):
    """The usual crashes of a hand-written update, explained."""
    try:
        yield
    except StudentError as err:
        msg = err.raw_message
        if err.is_a("RuntimeError") and "leaf Variable that requires grad" in msg:
            fail(en=f"{name}: an in-place update of a tensor that requires grad was recorded by autograd ({err.text.en}). "
                    "Do the update inside `with torch.no_grad():`",
                 ko=f"{name}: requires_grad가 켜진 텐서를 제자리에서 갱신하는 연산이 autograd에 기록되었습니다 ({err.text.ko}). "
                    "갱신은 `with torch.no_grad():` 안에서 하세요")
        if err.is_a("TypeError") and "NoneType" in msg:
            fail(en=f"{name}: a .grad was None ({err.text.en}). After `w = w - lr * w.grad` the name w is a new tensor "
                    "that is not a leaf requiring grad, so backward() fills no w.grad. Update in place under "
                    "torch.no_grad() (w -= lr * w.grad) or rebind a new leaf: "
                    "w = (w - lr * w.grad).detach().requires_grad_()",
                 ko=f"{name}: .grad가 None이었습니다 ({err.text.ko}). `w = w - lr * w.grad` 뒤의 w는 기울기를 추적하는 잎 텐서가 "
                    "아닌 새 텐서라서 backward()가 w.grad를 채우지 않습니다. torch.no_grad() 안에서 제자리 갱신"
                    "(w -= lr * w.grad)을 하거나 새 잎 텐서로 다시 묶으세요: w = (w - lr * w.grad).detach().requires_grad_()")
        raise


def _expect_pair_shape(got, name):
    expect_sequence(got, 2, name)
    for label, g in zip(("w", "b"), got):
        if isinstance(g, torch.Tensor) and g.dim() != 0:
            fail(en=f"{name}: {label} must be a 0-dim tensor (shape []), got shape {list(g.shape)}; start from "
                    "torch.zeros(()) or use .squeeze()/.reshape(()) before returning",
                 ko=f"{name}: {label}은(는) 0차원 텐서(모양 [])여야 하는데 모양이 {list(g.shape)}입니다. "
                    "torch.zeros(())로 시작하거나 돌려주기 전에 .squeeze()/.reshape(())를 쓰세요")


# -- fit_line -------------------------------------------------------------------------------

def _compare_fit(got, expected, name, steps):
    hint_en = ("the trajectory differs from plain gradient descent on the MSE loss: start at w = b = 0, take exactly "
               f"{steps} step(s) of w -= lr * w.grad (and b), and zero the gradients every step (they accumulate)")
    hint_ko = ("평균 제곱 오차(MSE)에 대한 경사 하강법과 경로가 다릅니다: w = b = 0에서 시작해 w -= lr * w.grad(b도)를 "
               f"정확히 {steps}번 하고, 매 반복 기울기를 초기화하세요 (기울기는 누적됩니다)")
    _expect_pair_shape(got, name)
    for label, g, e in zip(("w", "b"), got, expected):
        try:
            expect_tensor(g, e, f"{name}: {label}", rtol=1e-4, atol=1e-5, check_device=False)
        except GradeFailure as failure:
            if isinstance(g, torch.Tensor) and g.dtype == e.dtype:  # the values differ
                raise GradeFailure(en=f"{failure.text.en}. {hint_en}", ko=f"{failure.text.ko}. {hint_ko}") from None
            raise


@pytest.mark.points(3)
def test_fit_line(student, reference, rng):
    for x, y, lr, steps in cases(rng, fixed=_fixed_lines(), random=_random_line, count=2):
        name = f"fit_line(x of {len(x)} values, y, lr={lr}, steps={steps})"
        with _explain_update_errors(name):
            got = student.fit_line(x, y, lr=lr, steps=steps)
        _compare_fit(got, reference.fit_line(x, y, lr=lr, steps=steps), name, steps)
    # the defaults, lr=0.1 and steps=500, by their outcome (converged on this line)
    x, y = _line(fixed_generator(305), 8, 1.5, -0.5)
    name = "fit_line(x, y) with the default lr and steps"
    with _explain_update_errors(name):
        got = student.fit_line(x, y)
    try:
        _compare_fit(got, reference.fit_line(x, y), name, 500)
    except GradeFailure as failure:
        defaults = student.call(kit.parameter_defaults, student.attr("fit_line"))
        if defaults.get("lr") != 0.1 or defaults.get("steps") != 500:
            fail(en=f"fit_line: keep the signature fit_line(x, y, lr=0.1, steps=500); your defaults are lr="
                    f"{defaults.get('lr', 'none')}, steps={defaults.get('steps', 'none')}",
                 ko=f"fit_line: 시그니처 fit_line(x, y, lr=0.1, steps=500)을 지키세요. 지금 기본값은 lr="
                    f"{defaults.get('lr', '없음')}, steps={defaults.get('steps', '없음')}입니다")
        raise failure


def _moved(got, name):
    """w and b must be tensors that left the start (w = b = 0): the function did some work.
    Their shape is `fit_line`'s business, their values too."""
    expect_sequence(got, 2, name)
    for label, g in zip(("w", "b"), got):
        if not isinstance(g, torch.Tensor) or g.numel() != 1:
            fail(en=f"{name}: {label} must be a 0-dim torch.Tensor, got {describe_type(g)}"
                 + (f" of shape {list(g.shape)}" if isinstance(g, torch.Tensor) else ""),
                 ko=f"{name}: {label}은(는) 0차원 torch.Tensor여야 하는데 {describe_type(g)}입니다"
                 + (f" (모양 {list(g.shape)})" if isinstance(g, torch.Tensor) else ""))
    ensure(any(bool(g.detach().double().ne(0).any()) for g in got),
           en=f"{name}: w and b are still 0, where they started: fit the line by gradient descent",
           ko=f"{name}: w와 b가 시작값 0에서 움직이지 않았습니다: 경사 하강법으로 직선을 맞추세요")


def _leaf_cases():
    gen = fixed_generator(310)
    return [(*_line(fixed_generator(311), 7, 2.0, -1.5), 0.05, 3, (2.5, -0.75)),
            (*_line(fixed_generator(312), 10, -1.0, 1.0), 0.1, 2,
             tuple(round(float(v), 4) for v in 0.5 + torch.rand(2, generator=gen)))]


def _random_leaf_case(rng):
    x, y, lr, steps = _random_line(rng)
    return x, y, lr, steps, (_uniform(rng, 0.5, 3), -_uniform(rng, 0.5, 3))


@pytest.mark.points(1, item="fit_line.leaf")
def test_fit_line_returns_leaves(student, rng):
    for x, y, lr, steps, factors in cases(rng, fixed=_leaf_cases(), random=_random_leaf_case, count=1):
        name = f"fit_line(x, y, lr={lr}, steps={steps})"
        with _explain_update_errors(name):
            kept = student.call("fit_line", x, y, lr=lr, steps=steps, _keep=True)
        got = kept.fetch()
        _moved(got, name)
        probes = student.call(kit.leaf_probe, kept, list(factors))
        for label, g, probe, factor in zip(("w", "b"), got, probes, factors):
            meta = meta_of(g)
            why_en = (f"{name}: {label} is not a leaf tensor: it was computed from other tensors with gradient "
                      f"tracking on, so it still hangs on the training graph. Return the parameter itself or "
                      f"{label}.detach(); update in place under torch.no_grad(), or rebind with "
                      ".detach().requires_grad_()")
            why_ko = (f"{name}: {label}이(가) 잎(leaf) 텐서가 아닙니다: 기울기 추적이 켜진 채 다른 텐서로 계산되어 아직 "
                      f"학습 그래프에 매달려 있습니다. 파라미터 자체나 {label}.detach()를 돌려주세요. torch.no_grad() "
                      "안에서 제자리 갱신하거나 .detach().requires_grad_()로 다시 묶으세요")
            if probe.get("error"):
                fail(en=f"{why_en} (backward through it failed: {probe['error']})",
                     ko=f"{why_ko} (이 텐서를 통한 backward가 실패했습니다: {probe['error']})")
            grad = probe.get("grad")
            ensure(isinstance(grad, torch.Tensor) and grad.shape == g.shape
                   and torch.allclose(grad.double(), torch.full(g.shape, float(factor), dtype=torch.double)),
                   en=why_en, ko=why_ko)
            if meta is not None and not meta.is_leaf:  # the worker's own description may only take away
                fail(en=f"{why_en} (grad_fn={meta.grad_fn})", ko=f"{why_ko} (grad_fn={meta.grad_fn})")


@pytest.mark.points(1, item="fit_line.no_optim")
def test_fit_line_without_torch_optim(student, source, rng):
    # the whole file: an import of torch.optim at the top is used by fit_line under any name
    found = source.mentions(OPTIM_NAMES) if source.ok else []
    if found:
        lines = ", ".join(f"line {line}: {what}" for line, what in found[:3])
        lines_ko = ", ".join(f"{line}번째 줄: {what}" for line, what in found[:3])
        fail(en=f"fit_line uses torch.optim ({lines}); this exercise is gradient descent by hand: update w and b "
                "yourself inside torch.no_grad() and zero their .grad",
             ko=f"fit_line이 torch.optim을 씁니다 ({lines_ko}). 이 과제는 경사 하강법을 직접 구현하는 것입니다: "
                "torch.no_grad() 안에서 w와 b를 직접 갱신하고 .grad를 초기화하세요")
    student.call(kit.watch_optimizers)
    fixed = [_line(fixed_generator(320), 6, 1.75, -1.25)]
    for x, y in cases(rng, fixed=fixed, random=lambda r: _random_line(r)[:2], count=1):
        name = "fit_line(x, y, lr=0.1, steps=3)"
        with _explain_update_errors(name):
            got = student.fit_line(x, y, lr=0.1, steps=3)
        _moved(got, name)
    used = student.call(kit.optimizers_used)  # the worker's record: it may only take the point away
    ensure(not used,
           en=f"fit_line used torch.optim ({', '.join(sorted(set(map(str, used))))}); this exercise is gradient "
              "descent by hand: update w and b yourself inside torch.no_grad() and zero their .grad",
           ko=f"fit_line이 torch.optim({', '.join(sorted(set(map(str, used))))})을 썼습니다. 이 과제는 경사 하강법을 "
              "직접 구현하는 것입니다: torch.no_grad() 안에서 w와 b를 직접 갱신하고 .grad를 초기화하세요")


# -- gd_step --------------------------------------------------------------------------------

def _fixed_steps():
    gen = fixed_generator(330)
    shapes = [(), (3,), (2, 3)]
    several = ([torch.randn(s, generator=gen) for s in shapes], [torch.randn(s, generator=gen) for s in shapes], 0.25)
    return [
        ([torch.tensor(1.5)], [torch.tensor(0.75)], 0.5),  # one 0-dim parameter
        several,  # several parameters, one of them 0-dim
        ([torch.randn(4, 1, generator=gen), torch.randn(1, generator=gen)],
         [torch.randn(4, 1, generator=gen), torch.randn(1, generator=gen)], 0.03),
    ]


def _random_step(rng):
    shapes = [(), (_size(rng, 2, 5),), (_size(rng, 2, 4), _size(rng, 2, 4))]
    return ([torch.randn(s, generator=rng) for s in shapes], [torch.randn(s, generator=rng) for s in shapes],
            _uniform(rng, 0.05, 0.5))


def _check_gd_step(student, values, grads, lr, kind):
    bundle = student.call(kit.make_bundle, values, grads, kind, _keep=True)
    params = student.call(kit.bundle_params, bundle, _keep=True)
    count = f"{len(values)} parameter{'s' if len(values) > 1 else ''}"
    what = (f"gd_step(model.parameters(), lr={lr}) with {count}" if kind == "generator"
            else f"gd_step(params, lr={lr}) with {count}")
    with _explain_update_errors(what):
        # already on the run's device; moving would rebuild the list the student must work on
        student.gd_step(params, lr, _to_device=False)
    state = student.call(kit.bundle_state, bundle)  # the ORIGINAL tensor objects, after the call
    for i, (v, g, st) in enumerate(zip(values, grads, state)):
        name = f"parameter {i} (shape {list(v.shape)})"
        name_ko = f"파라미터 {i} (모양 {list(v.shape)})"
        value = st["value"]
        ensure(isinstance(value, torch.Tensor) and value.shape == v.shape, en=f"{what}: {name} lost its shape",
               ko=f"{what}: {name_ko}의 모양이 바뀌었습니다")
        if torch.allclose(value, v) and not torch.allclose(v, v - lr * g):
            fail(en=f"{what}: {name} did not change. `p = p - lr * p.grad` only rebinds a local name; update the "
                    "caller's tensor in place: p -= lr * p.grad (or p.sub_(lr * p.grad)) inside torch.no_grad()",
                 ko=f"{what}: {name_ko}이(가) 바뀌지 않았습니다. `p = p - lr * p.grad`는 지역 변수 이름만 바꿉니다. "
                    "호출한 쪽의 텐서를 제자리에서 갱신하세요: torch.no_grad() 안에서 p -= lr * p.grad (또는 p.sub_(lr * p.grad))")
        if torch.allclose(value, v + lr * g):
            fail(en=f"{what}: {name} moved along its gradient (p + lr * p.grad); gradient descent goes against it: "
                    "p -= lr * p.grad",
                 ko=f"{what}: {name_ko}이(가) 기울기 방향(p + lr * p.grad)으로 움직였습니다. 경사 하강법은 반대 방향입니다: "
                    "p -= lr * p.grad")
        expect_tensor(value, v - lr * g, f"{what}: {name} after the step (p - lr * p.grad)", check_device=False)
        grad = st["grad"]
        ensure(grad is None or (isinstance(grad, torch.Tensor) and not bool(grad.any())),
               en=f"{what}: the gradient of {name} was not cleared after the update; set p.grad.zero_() "
                  "(or p.grad = None), or it will accumulate into the next step",
               ko=f"{what}: 갱신 후 {name_ko}의 기울기를 초기화하지 않았습니다. p.grad.zero_()(또는 p.grad = None)를 "
                  "하지 않으면 다음 단계에 누적됩니다")
        # what the worker says about the objects may only take points away
        ensure(st["same_in_list"],
               en=f"{what}: {name} was replaced in the list by a new tensor; the model still holds the old one. "
                  "Update each tensor in place (p -= lr * p.grad under torch.no_grad())",
               ko=f"{what}: {name_ko}이(가) 리스트 안에서 새 텐서로 바뀌었습니다. 모델은 여전히 예전 텐서를 갖고 있습니다. "
                  "각 텐서를 제자리에서 갱신하세요 (torch.no_grad() 안에서 p -= lr * p.grad)")
        ensure(st["is_leaf"] and st["requires_grad"] and (st["is_parameter"] or kind == "tensors"),
               en=f"{what}: {name} is no longer a leaf {'nn.Parameter' if kind != 'tensors' else 'tensor'} that "
                  "requires grad; update its values in place and leave requires_grad alone",
               ko=f"{what}: {name_ko}이(가) 더 이상 기울기를 추적하는 잎 텐서가 아닙니다. 값만 제자리에서 갱신하고 "
                  "requires_grad는 건드리지 마세요")


@pytest.mark.points(3)
@pytest.mark.parametrize("kind", ["tensors", "parameters"])
def test_gd_step(student, rng, kind):
    for values, grads, lr in cases(rng, fixed=_fixed_steps(), random=_random_step, count=2):
        _check_gd_step(student, values, grads, lr, kind)


@pytest.mark.points(1, item="gd_step.generator")
def test_gd_step_on_a_generator(student, rng):
    for values, grads, lr in cases(rng, fixed=_fixed_steps(), random=_random_step, count=1):
        _check_gd_step(student, values, grads, lr, "generator")
