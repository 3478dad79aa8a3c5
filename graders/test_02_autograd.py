"""Hidden grader of 02_autograd.

Every item is a battery: fixed corner cases (the same on every seed: 0-dim and not, float64,
B == 1, ...) and random cases (seeded per run). The student's answers are compared in the scorer
with the reference's, computed on the same inputs in the reference's own worker. Trusted helpers
that must run in the student's worker come from `torchdojo.coursekit.probes` (generic) and
`torchdojo.coursekit.m02_autograd`.

What is outcome-proof and what is a rule (README "How grading works"):
- `quadratic_grads`, `intermediate_grad`, `accumulated_grads`: values, outcome-proof. The rule
  "via backward()" of `quadratic_grads` is checked on the student's source (static, in the scorer:
  the function or a helper it calls must call `.backward(` or `torch.autograd.grad`): a deterrent;
- `quadratic_grads.inputs`: the inputs' values fetched after the call (outcome); the worker's
  description (`requires_grad`) only takes points away;
- `detached`: outcome-proof. Same storage: the input is changed in place after the call by a value
  drawn here and the kept result must show it; no graph: gradients of (result * factor).sum()
  with respect to x's leaf and to the result itself, fetched through a probe, must not exist.
  The worker's description only takes points away. `x.data` also scores full: it shares the storage
  and carries no graph, so every outcome is that of `x.detach()` (it is the older spelling);
- `predict`: values against the reference's eval-mode output of a model with Dropout and
  BatchNorm (outcome). `predict.no_grad`: gradients of the kept output with respect to the
  model's parameters must not exist (outcome); a graph built and then detached leaves no outcome,
  so a probe layer's private records of grad mode and a static check (`no_grad`,
  `inference_mode` or `set_grad_enabled` in the source) take points away: a deterrent;
- `freeze_except_last`: outcome: after the student's call one gradient step runs in the worker and
  the parameters' new values are compared here with those of the same step on a correctly frozen
  copy. "The same model object" is a rule judged by the worker's object identity (the handle).
"""

import copy
import secrets
from contextlib import contextmanager

import pytest
import torch
from torch import nn

from torchdojo.coursekit import m02_autograd as kit
from torchdojo.coursekit import probes
from torchdojo.grading import (
    expect_tensor_named,
    with_korean_name,
    GradeFailure,
    RemoteObject,
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
from torchdojo.grading import random_float as _uniform
from torchdojo.grading import random_int as _size
from torchdojo.grading import with_hint as _hint


def _randn(gen, shape, dtype=torch.float32, scale=3.0, shift=0.0):
    return (torch.randn(shape, generator=gen, dtype=torch.float64) * scale + shift).to(dtype)


def _random_shape(rng):
    return tuple(_size(rng, 1, 6) for _ in range(_size(rng, 0, 3)))  # 0-dim, 1-D or 2-D


def _random_dtype(rng):
    return torch.float64 if _size(rng, 0, 3) == 0 else torch.float32


def _close(a, b):
    return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=1e-4,
                                                                                  atol=1e-5)


_named = with_korean_name  # the Korean message names the value in Korean
_expect = expect_tensor_named


def _tensor(got, en, ko):
    if not isinstance(got, torch.Tensor):
        fail(en=f"{en}: expected a torch.Tensor, got {describe_type(got)}",
             ko=f"{ko}: torch.Tensor가 와야 하는데 {describe_type(got)}이(가) 왔습니다")


def _shape_ko(shape):
    return f"모양이 {list(shape)}인"


@contextmanager
def _explain_scalar_backward(name, name_ko):
    """backward() of a loss that is not one number: say that the loss needs .sum()."""
    try:
        yield
    except StudentError as err:
        if err.is_a("RuntimeError") and "only for scalar outputs" in err.raw_message:
            line = err.where[-1]["line"] if err.where else None
            fail(en=f"{name}: backward() was called on a tensor with more than one value"
                 + (f" (line {line})" if line else "") + ". The loss must be a single number: add .sum() before "
                    ".backward()",
                 ko=f"{name_ko}: 값이 여러 개인 텐서에서 backward()를 호출했습니다" + (f" ({line}번째 줄)" if line else "")
                 + ". 손실은 숫자 하나여야 합니다: .backward() 전에 .sum()을 붙이세요")
        raise


# -- quadratic_grads ------------------------------------------------------------------------

def _quadratic_fixed():
    g = fixed_generator(21)
    return [
        (torch.tensor(4.0), torch.tensor(3.0)),           # the example of the exercise: 72 and 24
        (_randn(g, ()), _randn(g, ())),                   # 0-dim, other values
        (_randn(g, (3,)), _randn(g, (3,))),
        (_randn(g, (2, 3), torch.float64), _randn(g, (2, 3), torch.float64)),
        (_randn(g, (1,)), _randn(g, (1,))),
    ]


def _quadratic_case(rng):
    shape, dtype = _random_shape(rng), _random_dtype(rng)
    return _randn(rng, shape, dtype), _randn(rng, shape, dtype)


GRAD_CALLS = ("backward", "grad")


@pytest.mark.points(2)
def test_quadratic_grads(student, reference, source, rng):
    hint_en = ("l = ((3w)^2 + (2x)^2).sum(), so dl/dw = 18w and dl/dx = 8x for the given inputs: let backward() "
               "compute them (the grader uses random inputs, not only w=4, x=3)")
    hint_ko = ("l = ((3w)^2 + (2x)^2).sum()이므로 주어진 입력에서 dl/dw = 18w, dl/dx = 8x입니다. backward()로 "
               "계산하세요 (채점은 w=4, x=3만이 아니라 무작위 입력으로도 합니다)")
    for w, x in cases(rng, fixed=_quadratic_fixed(), random=_quadratic_case):
        shape, dtype = list(w.shape), str(w.dtype).removeprefix("torch.")
        label = f"quadratic_grads(w, x) for w and x of shape {shape} ({dtype})"
        label_ko = f"{_shape_ko(shape)} w, x ({dtype})에 대한 quadratic_grads(w, x)"
        with _explain_scalar_backward(label, label_ko):
            got = student.quadratic_grads(w, x)
        expected = reference.quadratic_grads(w, x)
        with _named(en=label, ko=label_ko):
            expect_sequence(got, 2, label)
        if _close(got[0], expected[1]) and _close(got[1], expected[0]) and not _close(got[0], expected[0]):
            fail(en=f"{label}: the two gradients are swapped; return (dl_dw, dl_dx) in that order",
                 ko=f"{label_ko}: 두 기울기의 순서가 바뀌었습니다. (dl_dw, dl_dx) 순서로 돌려주세요")
        with _hint(en=hint_en, ko=hint_ko):
            _expect(got[0], expected[0], en=f"{label}: dl_dw", ko=f"{label_ko}: dl_dw")
            _expect(got[1], expected[1], en=f"{label}: dl_dx", ko=f"{label_ko}: dl_dx")
    ensure(source.ok, en="quadratic_grads: the grader could not read your file to check the rule \"via backward()\"",
           ko="quadratic_grads: \"backward()로 계산\" 규칙을 확인하려고 했지만 파일을 읽지 못했습니다")
    if not source.calls("quadratic_grads", GRAD_CALLS):
        fail(en="quadratic_grads: the values are right, but your code never calls backward(): the gradients were "
                "typed in by hand (e.g. 18 * w). The exercise is to let autograd compute them: make leaf copies that "
                "require grad, build l and call l.backward()",
             ko="quadratic_grads: 값은 맞지만 코드가 backward()를 호출하지 않습니다: 기울기를 손으로 계산해 넣었습니다 "
                "(예: 18 * w). 이 문제는 자동 미분으로 구하는 것입니다: 기울기를 추적하는 잎 텐서 복사본을 만들고 l을 "
                "계산한 뒤 l.backward()를 호출하세요")


@pytest.mark.points(1, item="quadratic_grads.inputs")
def test_quadratic_grads_leaves_inputs(student, rng):
    g = fixed_generator(22)
    fixed = [(_randn(g, ()), _randn(g, ())), (_randn(g, (3,)), _randn(g, (3,))),
             (_randn(g, (2, 2), torch.float64), _randn(g, (2, 2), torch.float64))]
    for w, x in cases(rng, fixed=fixed, random=_quadratic_case, count=2):
        shape = list(w.shape)
        w_remote, x_remote = student.put(w), student.put(x)
        with _explain_scalar_backward(f"quadratic_grads(w, x) for w and x of shape {shape}",
                                      f"{_shape_ko(shape)} w, x에 대한 quadratic_grads(w, x)"):
            student.quadratic_grads(w_remote, x_remote)
        afters = student.call(probes.values, w_remote, x_remote, _what="reading w and x after quadratic_grads")
        for name, after, before in (("w", afters[0], w), ("x", afters[1], x)):
            _expect(after, before, en=f"the input {name} of shape {shape} after quadratic_grads(w, x) (it must not change)",
                    ko=f"quadratic_grads(w, x) 뒤의 입력 {name} (모양 {shape}, 바뀌면 안 됩니다)")
            meta = meta_of(after)
            ensure(meta is None or not meta.requires_grad,
                   en=f"quadratic_grads changed its input {name}: it now requires grad. Do not call "
                      f"{name}.requires_grad_() on the input; work on a copy: {name}.detach().clone().requires_grad_(True)",
                   ko=f"quadratic_grads가 입력 {name}을(를) 바꿨습니다: 이제 requires_grad가 켜져 있습니다. 입력에 "
                      f"{name}.requires_grad_()를 호출하지 말고 복사본을 쓰세요: {name}.detach().clone().requires_grad_(True)")


# -- intermediate_grad ----------------------------------------------------------------------

def _intermediate_case(rng):
    shape, dtype = _random_shape(rng), _random_dtype(rng)
    return _randn(rng, shape, dtype, 2.0), _randn(rng, shape, dtype, 2.0, 0.5)


@pytest.mark.points(2)
def test_intermediate_grad(student, reference, rng):
    g = fixed_generator(23)
    fixed = [(torch.tensor(1.5), torch.tensor(-2.0)),  # 0-dim: dloss/dc = 2ab = -6, dloss/da = 2ab^2 = 12
             (_randn(g, (3,), scale=2.0), _randn(g, (3,), scale=2.0, shift=0.5)),
             (_randn(g, (2, 3), scale=2.0), _randn(g, (2, 3), scale=2.0, shift=0.5)),
             (_randn(g, (2, 2), torch.float64, 2.0), _randn(g, (2, 2), torch.float64, 2.0, 0.5))]
    for a, b in cases(rng, fixed=fixed, random=_intermediate_case):
        shape = list(a.shape)
        label = f"intermediate_grad(a, b) for a and b of shape {shape}"
        label_ko = f"{_shape_ko(shape)} a, b에 대한 intermediate_grad(a, b)"
        got = student.intermediate_grad(a, b)
        expected = reference.intermediate_grad(a, b)
        if got is None:
            fail(en=f"{label} returned None: c is not a leaf, so c.grad stays None unless you call "
                    "c.retain_grad() before loss.backward()",
                 ko=f"{label_ko}가 None을 돌려주었습니다: c는 잎(leaf) 텐서가 아니라서 loss.backward() 전에 "
                    "c.retain_grad()를 호출하지 않으면 c.grad가 None으로 남습니다")
        if (_close(got, 2 * a * b * b) or _close(got, 2 * a * a * b)) and not _close(got, expected):
            fail(en=f"{label} returned dloss/da (or dloss/db), the gradient of a leaf; return dloss/dc, "
                    "c.grad after c.retain_grad()",
                 ko=f"{label_ko}가 잎 텐서의 기울기 dloss/da(또는 dloss/db)를 돌려주었습니다. "
                    "c.retain_grad() 후의 c.grad, 즉 dloss/dc를 돌려주세요")
        _expect(got, expected, en=f"{label} (dloss/dc)", ko=f"{label_ko} (dloss/dc)")


# -- accumulated_grads ----------------------------------------------------------------------

def _accumulated_case(rng):
    return _randn(rng, _random_shape(rng), _random_dtype(rng), 2.0), _size(rng, 2, 7)


@pytest.mark.points(2)
def test_accumulated_grads(student, reference, rng):
    g = fixed_generator(24)
    fixed = [(torch.tensor(1.5), 2), (_randn(g, (3,), scale=2.0), 3), (_randn(g, (2, 3), scale=2.0), 5),
             (_randn(g, (2, 2), torch.float64, 2.0), 4)]
    for x, times in cases(rng, fixed=fixed, random=_accumulated_case):
        label = f"accumulated_grads(x, {times}) for x of shape {list(x.shape)}"
        label_ko = f"{_shape_ko(x.shape)} x에 대한 accumulated_grads(x, {times})"
        got = student.accumulated_grads(x, times)
        expected = reference.accumulated_grads(x, times)
        with _named(en=label, ko=label_ko):
            expect_sequence(got, 2, label)
        accumulated, after_zero = got
        if _close(accumulated, 2 * x) and _close(after_zero, 2 * x):
            fail(en=f"{label}: the first result is 2x, not 2x * {times}. Call backward() {times} times without "
                    "zeroing in between, then take a copy (x.grad.clone()): x.grad is one tensor that later backward() "
                    "calls and zero_() change in place",
                 ko=f"{label_ko}: 첫 번째 결과가 2x * {times}가 아니라 2x입니다. 초기화 없이 backward()를 {times}번 "
                    "호출한 뒤 복사본(x.grad.clone())을 만드세요. x.grad는 이후의 backward()와 zero_()가 제자리에서 바꾸는 "
                    "같은 텐서입니다")
        with _hint(en=f"backward() adds to x.grad: after {times} calls without zeroing it holds 2x * {times}",
                   ko=f"backward()는 x.grad에 더합니다: 초기화 없이 {times}번 호출하면 2x * {times}가 됩니다"):
            _expect(accumulated, expected[0], en=f"{label}: accumulated (x.grad after {times} backward() calls)",
                    ko=f"{label_ko}: 누적된 기울기 accumulated (backward() {times}번 뒤의 x.grad)")
        with _hint(en="zero the gradient (x.grad.zero_() or x.grad = None) before the last backward(): gradients "
                      "accumulate",
                   ko="마지막 backward() 전에 기울기를 초기화하세요 (x.grad.zero_() 또는 x.grad = None): 기울기는 누적됩니다"):
            _expect(after_zero, expected[1], en=f"{label}: after_zero (x.grad after zeroing and one more backward())",
                    ko=f"{label_ko}: 초기화 뒤의 기울기 after_zero (초기화하고 backward()를 한 번 더 한 뒤의 x.grad)")


# -- detached -------------------------------------------------------------------------------

def _delta(rng, shape, dtype):
    """A change drawn here, after the student's function returned: never zero anywhere."""
    size = torch.rand(shape, generator=rng, dtype=torch.float64) + 0.5
    sign = torch.randint(0, 2, shape, generator=rng) * 2 - 1
    return (size * sign).to(dtype)


def _detached_case(rng):
    return _randn(rng, _random_shape(rng), _random_dtype(rng)), ("leaf", "non_leaf")[_size(rng, 0, 2)]


@pytest.mark.points(2)
def test_detached(student, rng):
    g = fixed_generator(25)
    fixed = [(_randn(g, ()), "leaf"), (_randn(g, (3, 4)), "leaf"), (_randn(g, (2, 3)), "non_leaf"),
             (_randn(g, (4,), torch.float64), "non_leaf")]
    for x, kind in cases(rng, fixed=fixed, random=_detached_case, count=2):
        shape = list(x.shape)
        if kind == "leaf":
            label = f"detached(x) for x of shape {shape}, a leaf that requires grad"
            label_ko = f"detached(x) (x: 모양이 {shape}이고 requires_grad가 켜진 잎 텐서)"
        else:
            label = f"detached(x) for x of shape {shape}, a non-leaf tensor with a grad_fn"
            label_ko = f"detached(x) (x: 모양이 {shape}이고 grad_fn이 있는 중간 텐서)"
        leaf_remote = student.call(probes.leaf, x, _keep=True, _what="preparing the input x")
        x_remote = leaf_remote if kind == "leaf" else student.call(probes.scaled, leaf_remote, 1.0, _keep=True,
                                                                   _what="preparing the input x")
        kept = student.call("detached", x_remote, _keep=True, _what="calling detached")
        first = kept.fetch()
        _tensor(first, label, label_ko)
        _expect(first, x, en=label, ko=label_ko)
        # no graph: no gradient reaches x's leaf, and the result is no leaf that requires grad
        factor = _uniform(rng, 0.5, 2.0)
        to_leaf, to_result = student.call(probes.grads_of, kept, factor, [leaf_remote, kept],
                                          _what="computing gradients through your result")
        meta = meta_of(first)
        if to_leaf is not None:
            fail(en=f"{label}: the result is still part of x's graph: a backward() through it reached x. "
                    "x.detach() cuts the result off the graph; clone() keeps it in",
                 ko=f"{label_ko}: 결과가 아직 x의 계산 그래프에 붙어 있습니다: 결과에서 backward()를 하면 x까지 "
                    "기울기가 흐릅니다. x.detach()는 그래프에서 분리하지만 clone()은 그렇지 않습니다")
        if to_result is not None or (meta is not None and (meta.requires_grad or meta.grad_fn is not None)):
            fail(en=f"{label}: the result still requires grad; return x.detach(), which does not",
                 ko=f"{label_ko}: 결과가 아직 requires_grad입니다. requires_grad가 꺼진 x.detach()를 돌려주세요")
        # same storage: x changes in place by a value drawn only now; the kept result must show it
        delta = _delta(rng, x.shape, x.dtype)
        try:
            got, x_after = student.call(probes.add_in_place, x_remote, delta, [kept, x_remote],
                                        _what="changing x in place after detached returned")
        except StudentError as err:
            if err.kind != "exception":
                raise
            fail(en=f"{label}: after your function returned, the grader could not change x in place ({err.type_name}): "
                    "your function changed x itself (its shape or its memory). Leave x as it is: x.detach() returns "
                    "a new tensor that shares x's memory",
                 ko=f"{label_ko}: 함수가 끝난 뒤 채점기가 x를 제자리에서 바꾸지 못했습니다 ({err.type_name}): 함수가 x 자체"
                    "(모양이나 메모리)를 바꿨습니다. x는 그대로 두세요: x.detach()는 x의 메모리를 공유하는 새 텐서를 돌려줍니다")
        if _close(got, x):
            fail(en=f"{label}: the result does not share memory with x: after the call the grader changed x in "
                    "place and the result stayed as it was. x.detach() shares the storage; clone() and "
                    "torch.tensor(x) copy it",
                 ko=f"{label_ko}: 결과가 x와 메모리를 공유하지 않습니다: 함수가 끝난 뒤 채점기가 x를 제자리에서 바꿨는데 "
                    "결과는 그대로였습니다. x.detach()는 저장 공간을 공유하고, clone()과 torch.tensor(x)는 복사합니다")
        _expect(got, x + delta, en=f"{label}: the result after x was changed in place (it must follow x)",
                ko=f"{label_ko}: x를 제자리에서 바꾼 뒤의 결과 (x를 따라 바뀌어야 합니다)")
        after = meta_of(x_after)
        ensure(after is None or after.requires_grad,
               en=f"{label}: detached(x) changed x itself: x no longer requires grad. Do not call "
                  "x.requires_grad_(False) or x.detach_(); x.detach() returns a new tensor and leaves x as it was",
               ko=f"{label_ko}: detached(x)가 x 자체를 바꿨습니다: x의 requires_grad가 꺼졌습니다. "
                  "x.requires_grad_(False)나 x.detach_()를 쓰지 마세요. x.detach()는 x를 그대로 두고 새 텐서를 돌려줍니다")


# -- predict --------------------------------------------------------------------------------

def _predict_model(gen, d, h, o, batch, norm):
    """Linear -> [BatchNorm1d] -> ReLU -> Dropout(0.5) -> probe -> Linear, in training mode."""
    token = secrets.token_hex(8)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        layers = [nn.Linear(d, h)]
        if norm:
            bn = nn.BatchNorm1d(h)
            with torch.no_grad():  # eval uses these, training mode uses the batch's own statistics
                bn.running_mean.copy_(torch.randn(h, generator=gen) * 0.5)
                bn.running_var.copy_(torch.rand(h, generator=gen) + 0.5)
            layers.append(bn)
        layers += [nn.ReLU(), nn.Dropout(p=0.5), kit.GradModeProbe(token), nn.Linear(h, o)]
        model = nn.Sequential(*layers)
    model.train()
    return model, torch.randn(batch, d, generator=gen), token


def _predict_fixed(min_batch):
    g = fixed_generator(26)
    return [_predict_model(g, 4, 32, 3, max(3, min_batch), False),
            _predict_model(g, 5, 24, 2, max(1, min_batch), True),   # B == 1 (predict), BatchNorm
            _predict_model(g, 3, 40, 4, max(6, min_batch), True)]


def _predict_case(min_batch):
    def make(rng):
        return _predict_model(rng, _size(rng, 3, 7), _size(rng, 24, 40), _size(rng, 2, 5),
                              _size(rng, max(2, min_batch), 7), _size(rng, 0, 2) == 1)
    return make


def _records(student, token, label, label_ko):
    calls = student.call(kit.grad_mode_records, token, _what="reading the grader's probe layer")
    ensure(len(calls) > 0, en=f"{label} never called model(x)", ko=f"{label_ko}가 model(x)를 호출하지 않았습니다")
    return calls


@contextmanager
def _explain_training_mode(label, label_ko):
    try:
        yield
    except StudentError as err:
        if err.is_a("ValueError") and "Expected more than 1 value per channel when training" in err.raw_message:
            fail(en=f"{label}: the model ran in training mode, where BatchNorm needs more than one sample; call "
                    "model.eval() before model(x)",
                 ko=f"{label_ko}: 모델이 학습 모드로 실행되어 BatchNorm에 샘플이 하나뿐이라 실패했습니다. model(x) 전에 "
                    "model.eval()을 호출하세요")
        raise


@pytest.mark.points(2)
def test_predict(student, reference, rng):
    for model, x, token in cases(rng, fixed=_predict_fixed(1), random=_predict_case(1), count=2):
        layers = ", ".join(type(layer).__name__ for layer in model if not isinstance(layer, kit.GradModeProbe))
        label = f"predict(model, x) for Sequential({layers}) and a batch of {len(x)}"
        label_ko = f"Sequential({layers})와 샘플 {len(x)}개인 x에 대한 predict(model, x)"
        expected = reference.predict(model, x)
        model_remote = student.put(model)
        with _explain_training_mode(label, label_ko):
            got = student.predict(model_remote, x)
        _tensor(got, label, label_ko)
        if any(training for _, training in _records(student, token, label, label_ko)) and not _close(got, expected):
            fail(en=f"{label}: the model ran in training mode, so Dropout was still on (the output is random) and "
                    "BatchNorm used the batch's statistics; call model.eval() before model(x)",
                 ko=f"{label_ko}: 모델이 학습 모드로 실행되어 Dropout이 켜져 있고(결과가 무작위) BatchNorm이 배치의 통계를 "
                    "썼습니다. model(x) 전에 model.eval()을 호출하세요")
        with _hint(en="inference runs the model in evaluation mode (model.eval(): Dropout off, BatchNorm with its "
                      "running statistics)",
                   ko="추론은 평가 모드로 합니다 (model.eval(): Dropout 꺼짐, BatchNorm은 저장된 통계 사용)"):
            _expect(got, expected, en=label, ko=label_ko, rtol=1e-4, atol=1e-5)


NO_GRAD_NAMES = ("no_grad", "inference_mode", "set_grad_enabled")


@pytest.mark.points(1, item="predict.no_grad")
def test_predict_no_grad(student, source, rng):
    for model, x, token in cases(rng, fixed=_predict_fixed(2), random=_predict_case(2), count=2):
        label = f"predict(model, x) for a batch of {len(x)}"
        label_ko = f"샘플 {len(x)}개인 x에 대한 predict(model, x)"
        model_remote = student.put(model)
        kept = student.call("predict", model_remote, x, _keep=True, _what="calling predict")
        out = kept.fetch()
        _tensor(out, label, label_ko)
        factor = _uniform(rng, 0.5, 2.0)
        grads = student.call(probes.grads_of, kept, factor, model_remote,
                             _what="computing gradients through your output")
        if any(gr is not None for gr in grads):
            fail(en=f"{label}: a graph was built: a backward() through the output reaches the model's parameters. "
                    "Compute the output inside `with torch.no_grad():`",
                 ko=f"{label_ko}: 계산 그래프가 만들어졌습니다: 결과에서 backward()를 하면 모델의 파라미터까지 기울기가 "
                    "흐릅니다. `with torch.no_grad():` 안에서 계산하세요")
        meta = meta_of(out)
        ensure(meta is None or (meta.grad_fn is None and not meta.requires_grad),
               en=f"{label}: the output has grad_fn={getattr(meta, 'grad_fn', None)}: a graph was built. Compute it "
                  "inside `with torch.no_grad():`",
               ko=f"{label_ko}: 결과에 grad_fn={getattr(meta, 'grad_fn', None)}이(가) 있습니다: 계산 그래프가 "
                  "만들어졌습니다. `with torch.no_grad():` 안에서 계산하세요")
        records, flags = student.call(kit.records_and_flags, token, model_remote,
                                      _what="reading the grader's probe layer")
        ensure(len(records) > 0, en=f"{label} never called model(x)", ko=f"{label_ko}가 model(x)를 호출하지 않았습니다")
        ensure(not any(enabled for enabled, _ in records),
               en=f"{label}: model(x) ran with gradient tracking on (detaching the output afterwards does not save the "
                  "graph's memory and time); call the model inside `with torch.no_grad():`",
               ko=f"{label_ko}: model(x)가 기울기 추적이 켜진 채 실행되었습니다 (결과를 나중에 detach해도 그래프를 "
                  "만드는 메모리와 시간은 그대로 듭니다). `with torch.no_grad():` 안에서 모델을 호출하세요")
        frozen = [name for name, on in flags if not on]
        ensure(not frozen,
               en=f"{label}: predict changed the model: its parameters {frozen} no longer require grad. Leave them as "
                  "they are and use `with torch.no_grad():` instead",
               ko=f"{label_ko}: predict가 모델을 바꿨습니다: 파라미터 {frozen}의 requires_grad가 꺼졌습니다. 그대로 두고 "
                  "`with torch.no_grad():`를 쓰세요")
    ensure(source.ok, en="predict: the grader could not read your file to check the rule \"torch.no_grad()\"",
           ko="predict: \"torch.no_grad()\" 규칙을 확인하려고 했지만 파일을 읽지 못했습니다")
    ensure(bool(source.mentions(NO_GRAD_NAMES, where="predict")),
           en="predict: your code never turns gradient tracking off: call the model inside `with torch.no_grad():` "
              "(or torch.inference_mode())",
           ko="predict: 코드가 기울기 추적을 끄지 않습니다: `with torch.no_grad():`(또는 torch.inference_mode()) 안에서 "
              "모델을 호출하세요")


# -- freeze_except_last ---------------------------------------------------------------------

_ACTIVATIONS = (nn.ReLU, nn.Tanh, nn.Sigmoid)


def _freeze_model(gen, widths, activations, kind):
    """Linear layers of `widths` with activations between; kind: linear_last, activation_last, with_norm."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        layers = []
        for i, (a, b) in enumerate(zip(widths, widths[1:])):
            layers.append(nn.Linear(a, b))
            if kind == "with_norm" and i == 0:
                layers.append(nn.LayerNorm(b))
            if i < len(widths) - 2:
                layers.append(_ACTIVATIONS[activations[i % len(activations)]]())
        if kind == "activation_last":
            layers.append(_ACTIVATIONS[activations[-1]]())
        if kind == "with_norm":
            layers.append(nn.LayerNorm(widths[-1]))
        model = nn.Sequential(*layers)
    x = torch.randn(4, widths[0], generator=gen)
    return model, x, kind


def _freeze_fixed():
    g = fixed_generator(27)
    return [_freeze_model(g, [4, 5, 3], [0], "linear_last"),
            _freeze_model(g, [3, 6, 4, 2], [1, 0, 2], "activation_last"),
            _freeze_model(g, [5, 4, 4, 3], [0, 1], "with_norm"),
            _freeze_model(g, [3, 2], [0], "linear_last"),          # one Linear: nothing to freeze
            _freeze_model(g, [2, 3, 2], [2], "with_norm")]


def _freeze_case(rng):
    widths = [_size(rng, 2, 7) for _ in range(_size(rng, 3, 6))]
    activations = [_size(rng, 0, len(_ACTIVATIONS)) for _ in widths]
    kind = ("linear_last", "activation_last", "with_norm")[_size(rng, 0, 3)]
    return _freeze_model(rng, widths, activations, kind)


def _expected_step(model, x, factor, lr):
    """The same gradient step, here in the scorer, on a correctly frozen copy."""
    ref = copy.deepcopy(model)
    last = max(i for i, layer in enumerate(ref) if isinstance(layer, nn.Linear))
    for name, p in ref.named_parameters():
        p.requires_grad_(name.split(".")[0] == str(last))
    return probes.gd_step(ref, x, factor, lr), {n for n, p in ref.named_parameters() if p.requires_grad}


@pytest.mark.points(2)
def test_freeze_except_last(student, rng):
    for model, x, kind in cases(rng, fixed=_freeze_fixed(), random=_freeze_case, count=2):
        layers = ", ".join(type(layer).__name__ for layer in model)
        label = f"freeze_except_last(model) for Sequential({layers})"
        label_ko = f"Sequential({layers})에 대한 freeze_except_last(model)"
        model_remote = student.put(model)
        got = student.freeze_except_last(model_remote)
        ensure(isinstance(got, RemoteObject) and got.same_object(model_remote),
               en=f"{label}: return the model you were given (the same object, changed in place), got "
                  f"{describe_type(got)}" + (" (a different object)" if isinstance(got, RemoteObject) else ""),
               ko=f"{label_ko}: 받은 모델을 (제자리에서 바꾼) 같은 객체로 돌려주세요. "
                  f"{describe_type(got)}이(가) 왔습니다" + (" (다른 객체)" if isinstance(got, RemoteObject) else ""))
        factor, lr = _uniform(rng, 0.5, 2.0), 0.1
        flag_list, stepped = student.call(kit.flags_and_step, model_remote, x, factor, lr,
                                          _what="taking one gradient step with your model")
        expected, trainable = _expected_step(model, x, factor, lr)
        before = dict(model.named_parameters())
        wrong_on, wrong_off, other = [], [], []
        for name, value in expected.items():
            now = stepped.get(name) if isinstance(stepped, dict) else None
            if _close(now, value):
                continue
            if name in trainable:
                (wrong_off if _close(now, before[name].detach()) else other).append(name)
            else:
                wrong_on.append(name)
        flags = dict(flag_list)
        wrong_on += [n for n in before if n not in trainable and flags.get(n) and n not in wrong_on]
        wrong_off += [n for n in trainable if not flags.get(n) and n not in wrong_off]
        if not wrong_on and not wrong_off and not other:
            continue
        hint_en, hint_ko = [], []
        if wrong_off and not isinstance(model[-1], nn.Linear):
            hint_en.append("the last module here is not a Linear: find the last nn.Linear with isinstance")
            hint_ko.append("여기서는 마지막 모듈이 Linear가 아닙니다: isinstance로 마지막 nn.Linear를 찾으세요")
        if any(not isinstance(model[int(name.split(".")[0])], nn.Linear) for name in wrong_on):
            hint_en.append("freeze every other parameter, not only those of the other Linear layers")
            hint_ko.append("다른 Linear 층만이 아니라 나머지 모든 파라미터를 고정하세요")
        fail(en=f"{label}: only the parameters of the last nn.Linear may keep requires_grad=True (the grader took one "
                f"gradient step). Changed by the step but should be frozen: {wrong_on or 'none'}; frozen but should "
                f"train: {wrong_off or 'none'}" + (f"; changed differently than expected: {other}" if other else "")
             + "".join(f". {h}" for h in hint_en),
             ko=f"{label_ko}: 마지막 nn.Linear의 파라미터만 requires_grad=True로 남아야 합니다 (채점기가 경사 하강을 한 번 "
                f"했습니다). 고정해야 하는데 바뀐 것: {wrong_on or '없음'}; 학습되어야 하는데 고정된 것: "
                f"{wrong_off or '없음'}" + (f"; 기대와 다르게 바뀐 것: {other}" if other else "")
             + "".join(f". {h}" for h in hint_ko))
