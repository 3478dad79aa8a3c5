"""Hidden grader of 07_losses_optim. Inputs are random (seeded per run). Losses: the student's
value and gradient (through `coursekit.m07_losses_optim.loss_and_grad`, run in the worker) are
compared with the reference's, which equal F.cross_entropy / F.mse_loss (calling those two,
directly or through nn.CrossEntropyLoss / nn.MSELoss, is not computing by hand). ManualAdam: the
coursekit driver `adam_run` runs the student's class on a small float64 problem in the
student's worker; the same driver runs the reference's ManualAdam, which matches
torch.optim.Adam (checked by the project's own tests), in the reference worker."""

from contextlib import contextmanager

import pytest
import torch

from torchdojo.coursekit.m07_losses_optim import adam_run, loss_and_grad, zero_grad_probe
from torchdojo.grading import GradeFailure, StudentError, ensure, expect_tensor, fail
from torchdojo.grading import random_int as _size, random_float as _uniform, with_hint as _hint


def _loss_call(module, name, *args):
    """(value, gradient w.r.t. the first argument, ready-made losses it called) of the module's `name`."""
    return module.call(loss_and_grad, module.attr(name), *args, _what=f"calling {name}")


def _expect_by_hand(got, name):
    used = got[2]
    ensure(not used,
           f"{name}: your function calls {', '.join(used)}; the exercise is to compute the loss yourself with "
           "tensor operations",
           f"{name}: 함수가 {', '.join(used)}을(를) 호출합니다. 이 연습은 손실을 텐서 연산으로 직접 계산하는 "
           "것입니다")


def _expect_loss(got, expected, name, rtol=None, atol=None):
    value, grad, _ = got
    _expect_by_hand(got, name)
    expect_tensor(value, expected[0], name, rtol=rtol, atol=atol)
    ensure(grad is not None,
           f"{name}: the loss is not connected to the autograd graph of its input, so backward() cannot "
           "compute a gradient. Use tensor operations only (no .item(), float(), NumPy or torch.tensor(...) "
           "on the way)",
           f"{name}: 손실이 입력의 autograd 그래프와 이어져 있지 않아 backward()로 기울기를 구할 수 없습니다. "
           "텐서 연산만 쓰세요 (.item(), float(), NumPy, torch.tensor(...)를 거치지 마세요)")
    expect_tensor(grad, expected[1], f"the gradient of {name} with respect to its first argument",
                  rtol=rtol, atol=atol)


# -- cross_entropy ----------------------------------------------------------------------------

CE_EN = ("Cross entropy of sample i is logsumexp(logits[i]) - logits[i, targets[i]] (= -log softmax(logits[i])"
         "[targets[i]]), and the loss is the MEAN over the batch, like F.cross_entropy")
CE_KO = ("샘플 i의 교차 엔트로피는 logsumexp(logits[i]) - logits[i, targets[i]] (= -log softmax(logits[i])"
         "[targets[i]])이고, 손실은 F.cross_entropy처럼 배치 평균(mean)입니다")


def _ce_hint(got, expected, batch):
    value = got[0]
    if isinstance(value, torch.Tensor) and value.numel() == 1 and batch > 1:
        if torch.allclose(value.double().reshape(()), expected[0].double() * batch, rtol=1e-4, atol=1e-5):
            return ("This is the SUM over the batch: F.cross_entropy returns the mean (divide by the batch size, "
                    "or use .mean())",
                    "배치 전체의 합(SUM)입니다: F.cross_entropy는 평균을 돌려줍니다 (배치 크기로 나누거나 "
                    ".mean()을 쓰세요)")
    return CE_EN, CE_KO


@pytest.mark.points(3)
@pytest.mark.parametrize("kind", ["batch", "float64", "one_sample"])
def test_cross_entropy(student, reference, rng, kind):
    batch = 1 if kind == "one_sample" else _size(rng, 3, 10)
    classes = _size(rng, 3, 9)
    dtype = torch.float64 if kind == "float64" else torch.float32
    logits = (torch.randn(batch, classes, generator=rng) * 2.5).to(dtype)
    targets = torch.randint(0, classes, (batch,), generator=rng)
    name = f"cross_entropy(logits of shape {[batch, classes]}, targets)"
    got = _loss_call(student, "cross_entropy", logits, targets)
    expected = _loss_call(reference, "cross_entropy", logits, targets)
    en, ko = _ce_hint(got, expected, batch)
    with _hint(en, ko):
        _expect_loss(got, expected, name)


@pytest.mark.points(2, item="cross_entropy.stable")
def test_cross_entropy_large_logits(student, reference, rng):
    batch, classes = _size(rng, 4, 10), _size(rng, 3, 9)
    logits = torch.randn(batch, classes, generator=rng) * 1000
    targets = torch.randint(0, classes, (batch,), generator=rng)
    targets[0] = logits[0].argmin()  # at least one sample far from its target: exp underflows there
    name = f"cross_entropy(logits of size about ±1000, shape {[batch, classes]}, targets)"
    got = _loss_call(student, "cross_entropy", logits, targets)
    expected = _loss_call(reference, "cross_entropy", logits, targets)
    value, grad, _ = got
    _expect_by_hand(got, name)
    if isinstance(value, torch.Tensor) and not bool(torch.isfinite(value).all()):
        fail(f"{name}: got {value.flatten()[0].item()} instead of {expected[0].item():.6g}. exp(1000) overflows "
             "(inf, and inf/inf = nan), and log of a probability that rounded to 0 is -inf. Use the log-sum-exp "
             "trick: subtract each row's maximum before exp (torch.logsumexp or torch.log_softmax do it for you)",
             f"{name}: {expected[0].item():.6g} 대신 {value.flatten()[0].item()}이(가) 나왔습니다. exp(1000)은 "
             "넘쳐서 inf가 되고(inf/inf = nan), 0으로 반올림된 확률의 log는 -inf입니다. log-sum-exp 기법을 "
             "쓰세요: exp 전에 행마다 최댓값을 빼세요 (torch.logsumexp나 torch.log_softmax가 해 줍니다)")
    if isinstance(grad, torch.Tensor) and not bool(torch.isfinite(grad).all()):
        fail(f"{name}: the gradient contains inf or nan: compute the loss with the log-sum-exp trick "
             "(torch.logsumexp / torch.log_softmax) so that backward() stays finite too",
             f"{name}: 기울기에 inf나 nan이 있습니다: 손실을 log-sum-exp 기법(torch.logsumexp / "
             "torch.log_softmax)으로 계산해야 backward()도 유한한 값이 됩니다")
    en, ko = _ce_hint(got, expected, batch)
    with _hint(en, ko):
        _expect_loss(got, expected, name, rtol=1e-5, atol=1e-3)


# -- mse --------------------------------------------------------------------------------------

@pytest.mark.points(2)
@pytest.mark.parametrize("kind", ["matrix", "3d", "vector"])
def test_mse(student, reference, rng, kind):
    n = _size(rng, 2, 7)
    shape = {"matrix": [n, n + _size(rng, 1, 5)], "3d": [n, _size(rng, 2, 4), _size(rng, 2, 5)],
             "vector": [_size(rng, 3, 12)]}[kind]
    pred = torch.randn(shape, generator=rng) * 2
    target = torch.randn(shape, generator=rng) * 2
    name = f"mse(pred, target) for inputs of shape {shape}"
    got = _loss_call(student, "mse", pred, target)
    expected = _loss_call(reference, "mse", pred, target)
    with _hint("MSE is ((pred - target) ** 2).mean(): the square of every difference, averaged over ALL "
               "elements (not the sum, not the absolute value, not divided by len(pred))",
               "MSE는 ((pred - target) ** 2).mean()입니다: 모든 차이의 제곱을 전체 원소 개수로 평균 냅니다 "
               "(합도, 절댓값도, len(pred)로 나누는 것도 아닙니다)"):
        _expect_loss(got, expected, name)


# -- ManualAdam -------------------------------------------------------------------------------

ADAM_EN = ("Check the update: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g*g, m_hat = m / (1 - b1**t), "
           "v_hat = v / (1 - b2**t) with t = 1 at the first step, p -= lr * m_hat / (sqrt(v_hat) + eps)")
ADAM_KO = ("업데이트를 확인하세요: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g*g, m_hat = m / (1 - b1**t), "
           "v_hat = v / (1 - b2**t) (첫 단계에서 t = 1), p -= lr * m_hat / (sqrt(v_hat) + eps)")


def _problem(rng):
    """A small float64 regression: params [W, b, s], loss mean((s * (X @ W) + b - Y) ** 2)."""
    n, d_in, d_out = _size(rng, 12, 21), _size(rng, 2, 5), _size(rng, 1, 4)
    f64 = torch.float64
    X = torch.randn(n, d_in, generator=rng, dtype=f64)
    W_true = torch.randn(d_in, d_out, generator=rng, dtype=f64) * 2
    b_true = torch.randn(d_out, generator=rng, dtype=f64)
    Y = 1.5 * (X @ W_true) + b_true + 0.1 * torch.randn(n, d_out, generator=rng, dtype=f64)
    init = [torch.randn(d_in, d_out, generator=rng, dtype=f64) * 0.5,
            torch.randn(d_out, generator=rng, dtype=f64) * 0.5,
            (1 + 0.2 * torch.randn((), generator=rng, dtype=f64))]
    return init, X, Y


@contextmanager
def _explain_optimizer():
    try:
        yield
    except StudentError as err:
        msg = err.raw_message
        if "leaf Variable that requires grad" in msg and "in-place" in msg:
            fail(f"{err.en}. Update the parameters inside `with torch.no_grad():` (or decorate step() "
                 "with @torch.no_grad()): an in-place change of a leaf tensor that requires grad must not be "
                 "recorded by autograd",
                 f"{err.ko}. 파라미터 업데이트는 `with torch.no_grad():` 안에서 하세요 (또는 step()에 "
                 "@torch.no_grad()를 붙이세요): 기울기를 추적하는 잎 텐서의 제자리 변경은 autograd가 기록하면 "
                 "안 됩니다")
        if "NoneType" in msg:
            fail(f"{err.en}. A parameter's .grad was None: skip such parameters in step() "
                 "(`if p.grad is None: continue`), as torch.optim.Adam does, and check for None before "
                 "p.grad.zero_() in zero_grad()",
                 f"{err.ko}. 어떤 파라미터의 .grad가 None이었습니다: step()에서는 그런 파라미터를 "
                 "건너뛰고(`if p.grad is None: continue`, torch.optim.Adam처럼), zero_grad()에서는 "
                 "p.grad.zero_() 전에 None인지 확인하세요")
        raise


def _run(module, init, X, Y, steps, checkpoints, name, **options):
    with _explain_optimizer():
        return module.call(adam_run, module.attr("ManualAdam"), init, X, Y, steps, checkpoints,
                           _what=f"running {name}", **options)


def _flat(init, unused_at=None):
    parts = [t.reshape(-1) for t in init]
    if unused_at is not None:
        parts.insert(unused_at, torch.linspace(-1.0, 1.0, 3, dtype=init[0].dtype))
    return torch.cat(parts)


def _expect_trajectory(got, expected, checkpoints, start, name, betas):
    ensure(isinstance(got, dict) and got.get("torch_adam", 0) == 0,
           f"{name}: your ManualAdam uses torch.optim.Adam; compute the Adam update yourself",
           f"{name}: ManualAdam이 torch.optim.Adam을 사용합니다. Adam 업데이트를 직접 계산하세요")
    traj, want = got["trajectory"], expected["trajectory"]
    previous_got, previous_want = start, start
    for row, step in enumerate(checkpoints):
        label = f"{name}: parameters (all of them, flattened) after {step} step(s)"
        try:
            expect_tensor(traj[row], want[row], label, rtol=1e-6, atol=1e-9)
        except GradeFailure as failure:
            en, ko = _adam_hint(traj[row], want[row], previous_got, previous_want, step, start, betas)
            raise GradeFailure(f"{failure.en}. {en}", f"{failure.ko}. {ko}") from None
        previous_got, previous_want = traj[row], want[row]


def _adam_hint(got, want, previous_got, previous_want, step, start, betas):
    moved = (got - previous_got).abs().max()
    if float(moved) == 0.0 and float((want - previous_want).abs().max()) > 0:
        if step == 1:
            return ("step() did not change the parameters: update them in place under torch.no_grad() "
                    "(p -= ..., p.sub_(...)); `p = p - ...` only rebinds a local name",
                    "step()이 파라미터를 바꾸지 않았습니다: torch.no_grad() 안에서 제자리로 업데이트하세요 "
                    "(p -= ..., p.sub_(...)). `p = p - ...`는 지역 변수 이름만 바꿉니다")
        return ("the parameters stopped changing after the first steps. If you kept `params` as given, it may be "
                "a generator (like model.parameters()) that can be iterated only once: store list(params)",
                "처음 몇 단계 뒤로 파라미터가 더 이상 바뀌지 않습니다. `params`를 받은 그대로 저장했다면, 한 번만 "
                "순회할 수 있는 제너레이터(model.parameters() 같은)일 수 있습니다: list(params)로 저장하세요")
    if step == 1:
        d_got, d_want = (got - start).abs(), (want - start).abs()
        mask = d_want > 1e-12
        if bool(mask.any()):
            ratio = float((d_got[mask] / d_want[mask]).median())
            no_correction = (1 - betas[0]) / (1 - betas[1]) ** 0.5
            if abs(ratio / no_correction - 1) < 0.05:
                return (f"the first step is about (1-b1)/sqrt(1-b2) = {no_correction:.3g} times the expected size: "
                        "the bias correction is missing (m_hat = m / (1 - b1**t), v_hat = v / (1 - b2**t), t starting "
                        "at 1). " + ADAM_EN,
                        f"첫 단계의 크기가 기대값의 약 (1-b1)/sqrt(1-b2) = {no_correction:.3g}배입니다: 편향 보정이 "
                        "빠졌습니다 (m_hat = m / (1 - b1**t), v_hat = v / (1 - b2**t), t는 1부터). " + ADAM_KO)
    return ADAM_EN, ADAM_KO


@pytest.mark.points(3)
def test_ManualAdam(student, reference, rng):
    init, X, Y = _problem(rng)
    steps, checkpoints = 120, [1, 2, 3, 10, 40, 120]
    name = "ManualAdam(model.parameters()) with the default lr, betas and eps, 120 steps"
    options = {"pass_generator": True, "loss_scale": 1e-3}  # gradients about 1e-3: eps's place shows
    got = _run(student, init, X, Y, steps, checkpoints, name, **options)
    expected = _run(reference, init, X, Y, steps, checkpoints, name, **options)
    _expect_trajectory(got, expected, checkpoints, _flat(init), name, (0.9, 0.999))


@pytest.mark.points(2, item="ManualAdam.hyperparams")
def test_ManualAdam_hyperparams(student, reference, rng):
    init, X, Y = _problem(rng)
    lr = round(_uniform(rng, 0.01, 0.05), 4)
    betas = (round(_uniform(rng, 0.6, 0.85), 3), round(_uniform(rng, 0.9, 0.99), 3))
    eps = round(10 ** _uniform(rng, -2, -1), 4)
    options = {"lr": lr, "betas": betas, "eps": eps}
    steps, checkpoints = 80, [1, 2, 5, 20, 80]
    name = f"ManualAdam(params, lr={lr}, betas={betas}, eps={eps}), 80 steps"
    got = _run(student, init, X, Y, steps, checkpoints, name, opt_kwargs=options)
    expected = _run(reference, init, X, Y, steps, checkpoints, name, opt_kwargs=options)
    with _hint("Use the lr, betas and eps given to __init__ (eps is added after the square root)",
               "__init__에 주어진 lr, betas, eps를 쓰세요 (eps는 제곱근 밖에 더합니다)"):
        _expect_trajectory(got, expected, checkpoints, _flat(init), name, betas)


@pytest.mark.points(1, item="ManualAdam.skip_none")
def test_ManualAdam_skips_params_without_grad(student, reference, rng):
    init, X, Y = _problem(rng)
    unused_at = _size(rng, 0, 4)
    steps, checkpoints = 30, [1, 5, 30]
    name = (f"ManualAdam(params, lr=0.01) where parameter {unused_at} is not used by the loss "
            "(its .grad stays None, like a frozen layer), 30 steps")
    options = {"opt_kwargs": {"lr": 0.01}, "unused_at": unused_at, "loss_scale": 1e-3}
    got = _run(student, init, X, Y, steps, checkpoints, name, **options)
    expected = _run(reference, init, X, Y, steps, checkpoints, name, **options)
    with _hint("Skip parameters whose .grad is None (they must not change), as torch.optim.Adam does",
               ".grad가 None인 파라미터는 건너뛰세요 (바뀌면 안 됩니다). torch.optim.Adam도 그렇게 합니다"):
        _expect_trajectory(got, expected, checkpoints, _flat(init, unused_at), name, (0.9, 0.999))


@pytest.mark.points(1, item="ManualAdam.zero_grad")
def test_ManualAdam_zero_grad(student, rng):
    init, X, Y = _problem(rng)
    name = "ManualAdam.zero_grad()"
    try:
        got = student.call(zero_grad_probe, student.attr("ManualAdam"), init, X, Y,
                           _what="calling ManualAdam.zero_grad()")
    except StudentError as err:
        if "NoneType" in err.raw_message:
            fail(f"{name}: {err.en}. Before the first backward() (the first batch of a training loop) every .grad "
                 "is None: zero_grad() must handle that (set p.grad = None, or check for None before "
                 "p.grad.zero_())",
                 f"{name}: {err.ko}. 첫 backward() 전에는(학습 루프의 첫 배치) 모든 .grad가 None입니다: "
                 "zero_grad()는 그 경우도 처리해야 합니다 (p.grad = None, 또는 p.grad.zero_() 전에 None 확인)")
        raise
    ensure(got.get("torch_adam", 0) == 0,
           f"{name}: your ManualAdam uses torch.optim.Adam; write the optimizer yourself",
           f"{name}: ManualAdam이 torch.optim.Adam을 사용합니다. 옵티마이저를 직접 만드세요")
    cleared = got["cleared"]
    ensure(all(cleared),
           f"{name}: after zero_grad() the gradients of parameter(s) "
           f"{[i for i, c in enumerate(cleared) if not c]} were still there, so the next backward() adds to "
           "them (gradients accumulate). Clear every parameter: p.grad = None or p.grad.zero_()",
           f"{name}: zero_grad() 뒤에도 파라미터 {[i for i, c in enumerate(cleared) if not c]}의 기울기가 남아 "
           "다음 backward()가 거기에 더해집니다 (기울기는 누적됩니다). 모든 파라미터를 지우세요: "
           "p.grad = None 또는 p.grad.zero_()")
    for i, (after, single) in enumerate(zip(got["after"], got["single"])):
        ensure(after is not None,
               f"{name}: after zero_grad() and backward(), parameter {i} had no gradient",
               f"{name}: zero_grad()와 backward() 뒤에 파라미터 {i}의 기울기가 없습니다")
        with _hint("after zero_grad(), one backward() must give exactly one fresh gradient",
                   "zero_grad() 뒤 backward() 한 번이면 새 기울기 하나와 정확히 같아야 합니다"):
            expect_tensor(after, single, f"{name}: gradient of parameter {i} after zero_grad() and backward()")
