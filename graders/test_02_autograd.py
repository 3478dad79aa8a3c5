"""Hidden grader of 02_autograd. Inputs are random (seeded per run); the student's answers are
compared with the reference's, computed on the same inputs in a separate worker. Helpers that
must run in the student's worker (tensors that require grad, a grad-mode probe layer, a
requires_grad reader) come from `torchdojo.coursekit.m02_autograd`."""

from contextlib import contextmanager

import pytest
import torch
from torch import nn

from torchdojo.coursekit import m02_autograd as kit
from torchdojo.grading import (
    RemoteObject,
    StudentError,
    describe_type,
    ensure,
    expect_sequence,
    expect_tensor,
    fail,
    meta_of,
)
from torchdojo.grading import random_int as _size, with_hint as _hint


def _shape(rng):
    return tuple(_size(rng, 2, 6) for _ in range(_size(rng, 1, 3)))


def _close(a, b):
    return isinstance(a, torch.Tensor) and a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=1e-4,
                                                                                  atol=1e-5)


@contextmanager
def _explain_scalar_backward(name):
    """backward() of a loss that is not one number: say that the loss needs .sum()."""
    try:
        yield
    except StudentError as err:
        if err.is_a("RuntimeError") and "only for scalar outputs" in err.raw_message:
            fail(f"{name}: backward() was called on a tensor with more than one value ({err.en}). The loss must be "
                 "a single number: add .sum() before .backward()",
                 f"{name}: 값이 여러 개인 텐서에서 backward()를 호출했습니다 ({err.ko}). 손실은 숫자 하나여야 "
                 "합니다: .backward() 전에 .sum()을 붙이세요")
        raise


# -- quadratic_grads ------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.parametrize("kind", ["scalar", "tensor", "float64"])
def test_quadratic_grads(student, reference, rng, kind):
    shape = () if kind == "scalar" else _shape(rng)
    dtype = torch.float64 if kind == "float64" else torch.float32
    w = (torch.randn(shape, generator=rng) * 3).to(dtype)
    x = (torch.randn(shape, generator=rng) * 3).to(dtype)
    with _explain_scalar_backward("quadratic_grads(w, x)"):
        got = student.quadratic_grads(w, x)
    expected = reference.quadratic_grads(w, x)
    expect_sequence(got, 2, "quadratic_grads(w, x)")
    hint_en = ("l = ((3w)^2 + (2x)^2).sum(), so dl/dw = 18w and dl/dx = 8x for the given inputs: let backward() "
               "compute them (the grader uses random inputs, not w=4, x=3)")
    hint_ko = ("l = ((3w)^2 + (2x)^2).sum()이므로 주어진 입력에서 dl/dw = 18w, dl/dx = 8x입니다. backward()로 "
               "계산하세요 (채점은 w=4, x=3이 아닌 무작위 입력으로 합니다)")
    with _hint(hint_en, hint_ko):
        expect_tensor(got[0], expected[0], f"dl_dw for w of shape {list(shape)}")
        expect_tensor(got[1], expected[1], f"dl_dx for x of shape {list(shape)}")


@pytest.mark.points(1, item="quadratic_grads.inputs")
def test_quadratic_grads_leaves_inputs(student, rng):
    shape = _shape(rng)
    w = torch.randn(shape, generator=rng) * 3
    x = torch.randn(shape, generator=rng) * 3
    w_remote, x_remote = student.put(w), student.put(x)
    with _explain_scalar_backward("quadratic_grads(w, x)"):
        student.quadratic_grads(w_remote, x_remote)
    for name, remote, before in (("w", w_remote, w), ("x", x_remote, x)):
        after = remote.fetch()
        expect_tensor(after, before, f"the input {name} after quadratic_grads(w, x) (it must not change)")
        meta = meta_of(after)
        ensure(meta is not None and not meta.requires_grad,
               f"quadratic_grads changed its input {name}: it now requires grad. Do not call "
               f"{name}.requires_grad_() on the input; work on a copy: {name}.detach().clone().requires_grad_(True)",
               f"quadratic_grads가 입력 {name}을(를) 바꿨습니다: 이제 requires_grad가 켜져 있습니다. 입력에 "
               f"{name}.requires_grad_()를 호출하지 말고 복사본을 쓰세요: {name}.detach().clone().requires_grad_(True)")


# -- intermediate_grad ----------------------------------------------------------------------

@pytest.mark.points(2)
def test_intermediate_grad(student, reference, rng):
    shape = _shape(rng)
    a = torch.randn(shape, generator=rng) * 2
    b = torch.randn(shape, generator=rng) * 2 + 0.5
    got = student.intermediate_grad(a, b)
    expected = reference.intermediate_grad(a, b)
    if got is None:
        fail("intermediate_grad returned None: c is not a leaf, so c.grad stays None unless you call "
             "c.retain_grad() before loss.backward()",
             "intermediate_grad가 None을 돌려주었습니다: c는 잎(leaf) 텐서가 아니라서 loss.backward() 전에 "
             "c.retain_grad()를 호출하지 않으면 c.grad가 None으로 남습니다")
    if _close(got, 2 * a * b * b) or _close(got, 2 * a * a * b):
        fail("intermediate_grad returned dloss/da (or dloss/db), the gradient of a leaf; return dloss/dc, "
             "c.grad after c.retain_grad()",
             "intermediate_grad가 잎 텐서의 기울기 dloss/da(또는 dloss/db)를 돌려주었습니다. "
             "c.retain_grad() 후의 c.grad, 즉 dloss/dc를 돌려주세요")
    expect_tensor(got, expected, "intermediate_grad(a, b) (dloss/dc)")


# -- accumulated_grads ----------------------------------------------------------------------

@pytest.mark.points(2)
def test_accumulated_grads(student, reference, rng):
    x = torch.randn(_shape(rng), generator=rng) * 2
    times = _size(rng, 2, 7)
    got = student.accumulated_grads(x, times)
    expected = reference.accumulated_grads(x, times)
    expect_sequence(got, 2, f"accumulated_grads(x, {times})")
    accumulated, after_zero = got
    if _close(accumulated, 2 * x) and _close(after_zero, 2 * x):
        fail(f"accumulated_grads: the first result is 2x, not 2x * {times}. Call backward() {times} times without "
             "zeroing in between, then take a copy (x.grad.clone()): x.grad is one tensor that later backward() "
             "calls and zero_() change in place",
             f"accumulated_grads: 첫 번째 결과가 2x * {times}가 아니라 2x입니다. 초기화 없이 backward()를 {times}번 "
             "호출한 뒤 복사본(x.grad.clone())을 만드세요. x.grad는 이후의 backward()와 zero_()가 제자리에서 바꾸는 "
             "같은 텐서입니다")
    with _hint(f"backward() adds to x.grad: after {times} calls without zeroing it holds 2x * {times}",
               f"backward()는 x.grad에 더합니다: 초기화 없이 {times}번 호출하면 2x * {times}가 됩니다"):
        expect_tensor(accumulated, expected[0], f"accumulated (x.grad after {times} backward() calls)")
    with _hint("zero the gradient (x.grad.zero_() or x.grad = None) before the last backward(): gradients "
               "accumulate",
               "마지막 backward() 전에 기울기를 초기화하세요 (x.grad.zero_() 또는 x.grad = None): 기울기는 누적됩니다"):
        expect_tensor(after_zero, expected[1], "after_zero (x.grad after zeroing and one more backward())")


# -- detached -------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.parametrize("kind", ["leaf", "non_leaf"])
def test_detached(student, rng, kind):
    x = torch.randn(_shape(rng), generator=rng)
    maker = kit.leaf_requiring_grad if kind == "leaf" else kit.with_graph
    x_remote = student.call(maker, x, _keep=True)
    label = "a leaf that requires grad" if kind == "leaf" else "a non-leaf tensor with a grad_fn"
    label_ko = "requires_grad가 켜진 잎 텐서" if kind == "leaf" else "grad_fn이 있는 중간 텐서"
    got = student.detached(x_remote)
    expect_tensor(got, x, f"detached(x) for x {label}")
    meta = meta_of(got)
    ensure(not meta.requires_grad and meta.grad_fn is None,
           f"detached(x) for x {label}: the result still tracks gradients (requires_grad="
           f"{meta.requires_grad}, grad_fn={meta.grad_fn}); x.detach() cuts it off, clone() does not",
           f"detached(x) (x: {label_ko}): 결과가 아직 기울기를 추적합니다 (requires_grad="
           f"{meta.requires_grad}, grad_fn={meta.grad_fn}). x.detach()는 그래프에서 분리하지만 clone()은 그렇지 않습니다")
    ensure("args[0]" in meta.shares_with,
           f"detached(x) for x {label}: the result must share memory with x, but it is a copy; x.detach() "
           "shares the storage, clone() and torch.tensor(x) copy it",
           f"detached(x) (x: {label_ko}): 결과가 x와 메모리를 공유해야 하는데 복사본입니다. x.detach()는 저장 공간을 "
           "공유하고, clone()과 torch.tensor(x)는 복사합니다")
    after = meta_of(x_remote.fetch())
    ensure(after is not None and after.requires_grad,
           "detached(x) changed x itself: x no longer requires grad. Do not call x.requires_grad_(False) or "
           "x.detach_(); x.detach() returns a new tensor and leaves x as it was",
           "detached(x)가 x 자체를 바꿨습니다: x의 requires_grad가 꺼졌습니다. x.requires_grad_(False)나 x.detach_()를 "
           "쓰지 마세요. x.detach()는 x를 그대로 두고 새 텐서를 돌려줍니다")


# -- predict --------------------------------------------------------------------------------

PROBE = 3  # index of the GradModeProbe in _predict_model


def _predict_model(seed, rng):
    torch.manual_seed(seed)
    d, h, o = _size(rng, 3, 7), _size(rng, 24, 40), _size(rng, 2, 5)
    model = nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Dropout(p=0.5), kit.GradModeProbe(), nn.Linear(h, o))
    model.train()
    return model, torch.randn(_size(rng, 3, 7), d, generator=rng)


def _probe_calls(model_remote):
    calls = model_remote[PROBE].calls
    ensure(len(calls) > 0, "predict(model, x) never called model(x)", "predict(model, x)가 model(x)를 호출하지 않았습니다")
    return calls


@pytest.mark.points(2)
def test_predict(student, reference, seed, rng):
    model, x = _predict_model(seed, rng)
    expected = reference.predict(model, x)
    model_remote = student.put(model)
    got = student.predict(model_remote, x)
    if not isinstance(got, torch.Tensor):
        fail(f"predict(model, x): expected a torch.Tensor, got {describe_type(got)}",
             f"predict(model, x): torch.Tensor가 와야 하는데 {describe_type(got)}이(가) 왔습니다")
    if any(training for _, training in _probe_calls(model_remote)):
        fail("predict(model, x): the model ran in training mode, so Dropout was still on and the output is "
             "random; call model.eval() before model(x)",
             "predict(model, x): 모델이 학습 모드로 실행되어 Dropout이 켜져 있고 결과가 무작위입니다. "
             "model(x) 전에 model.eval()을 호출하세요")
    expect_tensor(got, expected, "predict(model, x)", rtol=1e-4, atol=1e-5)


@pytest.mark.points(1, item="predict.no_grad")
def test_predict_no_grad(student, seed, rng):
    model, x = _predict_model(seed, rng)
    model_remote = student.put(model)
    got = student.predict(model_remote, x)
    meta = meta_of(got)
    ensure(meta is not None, f"predict(model, x): expected a torch.Tensor, got {describe_type(got)}",
           f"predict(model, x): torch.Tensor가 와야 하는데 {describe_type(got)}이(가) 왔습니다")
    ensure(meta.grad_fn is None and not meta.requires_grad,
           f"predict(model, x): the output has grad_fn={meta.grad_fn}: a graph was built. Compute it inside "
           "`with torch.no_grad():`",
           f"predict(model, x): 결과에 grad_fn={meta.grad_fn}이(가) 있습니다: 계산 그래프가 만들어졌습니다. "
           "`with torch.no_grad():` 안에서 계산하세요")
    ensure(not any(enabled for enabled, _ in _probe_calls(model_remote)),
           "predict(model, x): model(x) ran with gradient tracking on (detaching the output afterwards does not "
           "save the graph's memory and time); call the model inside `with torch.no_grad():`",
           "predict(model, x): model(x)가 기울기 추적이 켜진 채 실행되었습니다 (결과를 나중에 detach해도 그래프를 "
           "만드는 메모리와 시간은 그대로 듭니다). `with torch.no_grad():` 안에서 모델을 호출하세요")


# -- freeze_except_last ---------------------------------------------------------------------

_ACTIVATIONS = (nn.ReLU, nn.Tanh, nn.Sigmoid)


def _freeze_model(seed, rng, kind):
    torch.manual_seed(seed)
    widths = [_size(rng, 2, 7) for _ in range(_size(rng, 3, 6))]  # 2 to 4 Linear layers
    layers = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(a, b))
        if kind == "with_norm" and i == 0:
            layers.append(nn.LayerNorm(b))
        if i < len(widths) - 2:
            layers.append(_ACTIVATIONS[_size(rng, 0, len(_ACTIVATIONS))]())
    if kind == "activation_last":
        layers.append(_ACTIVATIONS[_size(rng, 0, len(_ACTIVATIONS))]())
    if kind == "with_norm":
        layers.append(nn.LayerNorm(widths[-1]))
    model = nn.Sequential(*layers)
    last = max(i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear))
    expected = [(name, name.split(".")[0] == str(last)) for name, _ in model.named_parameters()]
    return model, expected


@pytest.mark.points(2)
@pytest.mark.parametrize("kind", ["linear_last", "activation_last", "with_norm"])
def test_freeze_except_last(student, seed, rng, kind):
    model, expected = _freeze_model(seed, rng, kind)
    layers = ", ".join(type(layer).__name__ for layer in model)
    model_remote = student.put(model)
    got = student.freeze_except_last(model_remote)
    ensure(isinstance(got, RemoteObject) and got.same_object(model_remote),
           f"freeze_except_last(model): return the model you were given (the same object, changed in place), "
           f"got {describe_type(got)}" + (" (a different object)" if isinstance(got, RemoteObject) else ""),
           f"freeze_except_last(model): 받은 모델을 (제자리에서 바꾼) 같은 객체로 돌려주세요. "
           f"{describe_type(got)}이(가) 왔습니다" + (" (다른 객체)" if isinstance(got, RemoteObject) else ""))
    flags = dict(student.call(kit.requires_grad_flags, model_remote))
    wrong_on = [name for name, keep in expected if flags.get(name) and not keep]
    wrong_off = [name for name, keep in expected if keep and not flags.get(name)]
    if not wrong_on and not wrong_off:
        return
    hint_en, hint_ko = [], []
    if wrong_off and not isinstance(model[-1], nn.Linear):
        hint_en.append("the last module here is not a Linear: find the last nn.Linear with isinstance")
        hint_ko.append("여기서는 마지막 모듈이 Linear가 아닙니다: isinstance로 마지막 nn.Linear를 찾으세요")
    if any(not isinstance(model[int(name.split(".")[0])], nn.Linear) for name in wrong_on):
        hint_en.append("freeze every other parameter, not only those of the other Linear layers")
        hint_ko.append("다른 Linear 층만이 아니라 나머지 모든 파라미터를 고정하세요")
    fail(f"freeze_except_last for Sequential({layers}): only the parameters of the last nn.Linear may keep "
         f"requires_grad=True. Still trainable but should be frozen: {wrong_on or 'none'}; frozen but should "
         f"train: {wrong_off or 'none'}" + "".join(f". {h}" for h in hint_en),
         f"freeze_except_last (Sequential({layers})): 마지막 nn.Linear의 파라미터만 requires_grad=True로 남아야 "
         f"합니다. 고정해야 하는데 학습되는 것: {wrong_on or '없음'}; 학습되어야 하는데 고정된 것: "
         f"{wrong_off or '없음'}" + "".join(f". {h}" for h in hint_ko))
