"""Hidden grader of 07_losses_optim.

Every item runs a battery: fixed corner cases (the same on every seed, built from constants and
`fixed_generator`) and a few random ones. Points rest on VALUES compared here, in the scorer,
with the reference's values computed in the reference's own worker:
- losses: the student's value and gradient (through `coursekit.m07_losses_optim.losses_and_grads`,
  run in the worker) against the reference's, which equal F.cross_entropy / F.mse_loss;
- ManualAdam: the parameters along a trajectory of the coursekit driver `adam_run` (a small float64
  problem) against the reference's ManualAdam, torch.optim.Adam's twin (checked by the project's
  own tests); zero_grad: the gradient after zero_grad() and one backward() against one fresh
  gradient computed here.
"By hand" (no ready-made loss, no torch.optim.Adam) is a rule without an outcome: it is read
from the student's source here (never run), and the worker-side watch of torch's own losses and
Adam can only take points away. When a trajectory is wrong, the scorer replays Adam with known
mistakes (no bias correction, eps inside the square root, ...) and names the one that matches.
"""

import ast
from contextlib import contextmanager

import pytest
import torch

from torchdojo.coursekit.m07_losses_optim import (
    adam_runs,
    fresh_gradients,
    losses_and_grads,
    variant_run,
    zero_grad_probe,
)
from torchdojo.grading import GradeFailure, StudentError, cases, ensure, expect_tensor, fail, fixed_generator
from torchdojo.grading import random_int as _size, random_float as _uniform, with_hint as _hint

# -- reading the student's source (static rules) ------------------------------------------------

CE_READY_MADE = {"cross_entropy", "nll_loss", "CrossEntropyLoss", "NLLLoss", "cross_entropy_loss",
                 "nll_loss_nd", "nll_loss2d"}
MSE_READY_MADE = {"mse_loss", "MSELoss"}
ADAM_READY_MADE = {"Adam", "AdamW", "adam", "adamw", "_functional", "_single_tensor_adam", "_multi_tensor_adam",
                   "_single_tensor_adamw", "_multi_tensor_adamw", "_fused_adam", "_fused_adam_", "_fused_adamw",
                   "_fused_adamw_", "fused"}


def _is_main_guard(node):
    """`if __name__ == "__main__":`: code there never runs when the file is graded."""
    test = getattr(node, "test", None)
    return (isinstance(node, ast.If) and isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value == "__main__")


def _statements(source):
    return [node for node in source.tree.body if not _is_main_guard(node)] if source.ok else []


def _import_parts(node):
    """{bound name: names of the import's parts} for an Import / ImportFrom statement."""
    bound = {}
    module = (node.module or "").split(".") if isinstance(node, ast.ImportFrom) else []
    for alias in node.names:
        parts = set(module) | set(alias.name.split("."))
        name = alias.asname or alias.name.split(".")[0]
        bound[name] = parts
    return bound


def _hits(nodes, names, own=None, imports=None):
    """(line, name) where `names` appear in `nodes`: attributes, imports, strings, names (not `own`),
    and names bound by an import (in `imports`) whose module path holds one of `names`."""
    found = set()
    for top in nodes:
        for n in ast.walk(top):
            line = getattr(n, "lineno", 0)
            if isinstance(n, ast.Attribute) and n.attr in names:
                found.add((line, n.attr))
            elif isinstance(n, ast.Name) and n.id in names and n.id != own:
                found.add((line, n.id))
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value in names:
                found.add((line, n.value))
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for parts in _import_parts(n).values():
                    for part in parts & names:
                        found.add((line, part))
            if imports and isinstance(n, ast.Name) and n.id in imports:
                for part in imports[n.id] & names:
                    found.add((line, part))
    return sorted(found)


def _forbid(found, name, what_en, what_ko):
    if not found:
        return
    shown = ", ".join(f"{item} (line {line})" for line, item in found[:3])
    shown_ko = ", ".join(f"{item} ({line}번째 줄)" for line, item in found[:3])
    fail(en=f"{name}: your file uses {shown}: {what_en}. If you compare with it while testing, put that code "
            "under `if __name__ == \"__main__\":`",
         ko=f"{name}: 파일이 {shown_ko}을(를) 사용합니다: {what_ko}. 테스트용으로 비교해 보는 코드라면 "
            "`if __name__ == \"__main__\":` 아래에 두세요")


def _expect_loss_by_hand(source, function, names, name):
    found = _hits(_statements(source), names, own=function)
    _forbid(found, name, "a ready-made loss; the exercise is to compute the loss yourself with tensor operations "
            "(torch.log_softmax and torch.logsumexp are fine)",
            "이미 만들어진 손실 함수입니다. 이 연습은 손실을 텐서 연산으로 직접 계산하는 것입니다 "
            "(torch.log_softmax와 torch.logsumexp는 써도 됩니다)")


def _expect_adam_by_hand(source, name):
    """No torch.optim.Adam (or its functional, fused or foreach kernels) in ManualAdam or what it reaches.
    A subclass of torch.optim.Optimizer (param_groups, state, zero_grad) is fine."""
    if not source.ok:
        return
    statements = _statements(source)
    nodes = list(source.reachable("ManualAdam"))
    for node in statements:  # `ManualAdam.step = ...`, `setattr(ManualAdam, ...)` at module level
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)) \
                and any(isinstance(n, ast.Name) and n.id == "ManualAdam" for n in ast.walk(node)) \
                and node not in nodes:
            nodes.append(node)
    imports = {}
    for node in statements:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.update(_import_parts(node))
    _forbid(_hits(nodes, ADAM_READY_MADE, imports=imports), name,
            "torch's own Adam; the exercise is to compute the Adam update yourself (subclassing "
            "torch.optim.Optimizer is fine)",
            "torch의 Adam입니다. 이 연습은 Adam 업데이트를 직접 계산하는 것입니다 (torch.optim.Optimizer를 "
            "상속하는 것은 괜찮습니다)")


# -- losses -------------------------------------------------------------------------------------

def _losses(module, function, batch):
    """[(value, gradient w.r.t. the first argument, ready-made losses it called)] for every case."""
    return module.call(losses_and_grads, module.attr(function), [tuple(c[1:]) for c in batch],
                       _what=f"calling {function}")


def _expect_by_hand_at_runtime(got, name):
    used = got[2]
    ensure(not used,
           en=f"{name}: your function calls {', '.join(used)}; the exercise is to compute the loss yourself with "
              "tensor operations",
           ko=f"{name}: 함수가 {', '.join(used)}을(를) 호출합니다. 이 연습은 손실을 텐서 연산으로 직접 계산하는 "
              "것입니다")


def _expect_loss(got, expected, name, rtol=None, atol=None):
    value, grad, _ = got
    _expect_by_hand_at_runtime(got, name)
    expect_tensor(value, expected[0], name, rtol=rtol, atol=atol)
    ensure(grad is not None,
           en=f"{name}: the loss is not connected to the autograd graph of its input, so backward() cannot "
              "compute a gradient. Use tensor operations only (no .item(), float(), NumPy or torch.tensor(...) "
              "on the way)",
           ko=f"{name}: 손실이 입력의 autograd 그래프와 이어져 있지 않아 backward()로 기울기를 구할 수 없습니다. "
              "텐서 연산만 쓰세요 (.item(), float(), NumPy, torch.tensor(...)를 거치지 마세요)")
    expect_tensor(grad, expected[1], f"the gradient of {name} with respect to its first argument",
                  rtol=rtol, atol=atol)


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


def _ce_case(g, batch, classes, *, scale=2.5, dtype=torch.float32, targets=None, transposed=False, label=""):
    if transposed:  # a non-contiguous [batch, classes] view of a [classes, batch] tensor
        logits = (torch.randn(classes, batch, generator=g, dtype=torch.float64) * scale).to(dtype).t()
    else:
        logits = (torch.randn(batch, classes, generator=g, dtype=torch.float64) * scale).to(dtype)
    if targets is None:
        targets = torch.randint(0, classes, (batch,), generator=g)
    else:
        targets = torch.tensor(targets, dtype=torch.int64)
    what = f"cross_entropy(logits of shape {[batch, classes]}{label}, targets)"
    return what, logits, targets


def _ce_fixed():
    g = fixed_generator(701)
    return [
        _ce_case(g, 1, 4, targets=[3], label=" (one sample)"),
        _ce_case(g, 6, 7, targets=[0, 6, 3, 0, 6, 1], label=" (targets 0 and C-1)"),
        _ce_case(g, 3, 1000, targets=[0, 999, 517], label=" (1000 classes)"),
        _ce_case(g, 5, 3, dtype=torch.float64, targets=[2, 0, 1, 1, 0], label=", float64"),
        _ce_case(g, 4, 5, targets=[4, 0, 2, 1], transposed=True, label=" (not contiguous)"),
    ]


def _ce_random(rng):
    batch, classes = _size(rng, 2, 10), _size(rng, 3, 9)
    dtype = torch.float64 if _size(rng, 0, 2) else torch.float32
    return _ce_case(rng, batch, classes, dtype=dtype, label=f", {str(dtype).removeprefix('torch.')}")


@pytest.mark.points(3)
def test_cross_entropy(student, reference, rng, source):
    battery = list(cases(rng, fixed=_ce_fixed(), random=_ce_random, count=2))
    _expect_loss_by_hand(source, "cross_entropy", CE_READY_MADE, "cross_entropy")
    got_all, expected_all = _losses(student, "cross_entropy", battery), _losses(reference, "cross_entropy", battery)
    for (name, logits, _), got, expected in zip(battery, got_all, expected_all):
        en, ko = _ce_hint(got, expected, logits.shape[0])
        with _hint(en=en, ko=ko):
            _expect_loss(got, expected, name)


def _stable_fixed():
    g = fixed_generator(702)
    spread = _ce_case(g, 4, 5, scale=1000.0, label=", values about ±1000")
    spread[2][0] = spread[1][0].argmin()  # a sample far from its target: exp underflows there
    flat = ("cross_entropy(logits all equal to 1000, shape [3, 4], targets)", torch.full((3, 4), 1000.0),
            torch.tensor([0, 3, 1]))
    one = ("cross_entropy(logits [[1000, -1000, 0]], targets [1])", torch.tensor([[1000.0, -1000.0, 0.0]]),
           torch.tensor([1]))
    wide = _ce_case(g, 2, 6, scale=800.0, dtype=torch.float64, targets=[5, 0], label=", float64, about ±800")
    return [spread, flat, one, wide]


def _stable_random(rng):
    what, logits, targets = _ce_case(rng, _size(rng, 4, 10), _size(rng, 3, 9), scale=1000.0,
                                     label=", values about ±1000")
    targets[0] = logits[0].argmin()
    return what, logits, targets


@pytest.mark.points(2, item="cross_entropy.stable")
def test_cross_entropy_large_logits(student, reference, rng, source):
    battery = list(cases(rng, fixed=_stable_fixed(), random=_stable_random, count=1))
    _expect_loss_by_hand(source, "cross_entropy", CE_READY_MADE, "cross_entropy")
    got_all, expected_all = _losses(student, "cross_entropy", battery), _losses(reference, "cross_entropy", battery)
    for (name, logits, _), got, expected in zip(battery, got_all, expected_all):
        value, grad, _ = got
        _expect_by_hand_at_runtime(got, name)
        if isinstance(value, torch.Tensor) and value.numel() >= 1 and not bool(torch.isfinite(value).all()):
            fail(en=f"{name}: got {value.flatten()[0].item()} instead of {expected[0].item():.6g}. exp(1000) "
                    "overflows (inf, and inf/inf = nan), and log of a probability that rounded to 0 is -inf. Use the "
                    "log-sum-exp trick: subtract each row's maximum before exp (torch.logsumexp or torch.log_softmax "
                    "do it for you)",
                 ko=f"{name}: {expected[0].item():.6g} 대신 {value.flatten()[0].item()}이(가) 나왔습니다. exp(1000)은 "
                    "넘쳐서 inf가 되고(inf/inf = nan), 0으로 반올림된 확률의 log는 -inf입니다. log-sum-exp 기법을 "
                    "쓰세요: exp 전에 행마다 최댓값을 빼세요 (torch.logsumexp나 torch.log_softmax가 해 줍니다)")
        if isinstance(grad, torch.Tensor) and not bool(torch.isfinite(grad).all()):
            fail(en=f"{name}: the gradient contains inf or nan: compute the loss with the log-sum-exp trick "
                    "(torch.logsumexp / torch.log_softmax) so that backward() stays finite too",
                 ko=f"{name}: 기울기에 inf나 nan이 있습니다: 손실을 log-sum-exp 기법(torch.logsumexp / "
                    "torch.log_softmax)으로 계산해야 backward()도 유한한 값이 됩니다")
        en, ko = _ce_hint(got, expected, logits.shape[0])
        with _hint(en=en, ko=ko):
            _expect_loss(got, expected, name, rtol=1e-5, atol=1e-3)


# -- mse ----------------------------------------------------------------------------------------

def _mse_case(g, shape, transposed=False):
    if transposed:
        pred = (torch.randn(list(reversed(shape)), generator=g) * 2).t()
    else:
        pred = torch.randn(shape, generator=g) * 2
    target = torch.randn(shape, generator=g) * 2
    extra = " (not contiguous)" if transposed else ""
    return f"mse(pred, target) for inputs of shape {list(shape)}{extra}", pred, target


def _mse_fixed():
    g = fixed_generator(703)
    return [_mse_case(g, [5]), _mse_case(g, [3, 4]), _mse_case(g, [2, 3, 4]), _mse_case(g, [1, 6]),
            _mse_case(g, [4, 3], transposed=True)]


def _mse_random(rng):
    n = _size(rng, 2, 7)
    shape = [[n, n + _size(rng, 1, 5)], [n, _size(rng, 2, 4), _size(rng, 2, 5)], [_size(rng, 3, 12)]][_size(rng, 0, 3)]
    return _mse_case(rng, shape)


@pytest.mark.points(2)
def test_mse(student, reference, rng, source):
    battery = list(cases(rng, fixed=_mse_fixed(), random=_mse_random, count=2))
    _expect_loss_by_hand(source, "mse", MSE_READY_MADE, "mse")
    got_all, expected_all = _losses(student, "mse", battery), _losses(reference, "mse", battery)
    for (name, _, _), got, expected in zip(battery, got_all, expected_all):
        with _hint(en="MSE is ((pred - target) ** 2).mean(): the square of every difference, averaged over ALL "
                      "elements (not the sum, not the absolute value, not divided by len(pred))",
                   ko="MSE는 ((pred - target) ** 2).mean()입니다: 모든 차이의 제곱을 전체 원소 개수로 평균 냅니다 "
                      "(합도, 절댓값도, len(pred)로 나누는 것도 아닙니다)"):
            _expect_loss(got, expected, name)


# -- ManualAdam ---------------------------------------------------------------------------------

ADAM_EN = ("Check the update: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g*g, m_hat = m / (1 - b1**t), "
           "v_hat = v / (1 - b2**t) with t = 1 at the first step, p -= lr * m_hat / (sqrt(v_hat) + eps)")
ADAM_KO = ("업데이트를 확인하세요: m = b1*m + (1-b1)*g, v = b2*v + (1-b2)*g*g, m_hat = m / (1 - b1**t), "
           "v_hat = v / (1 - b2**t) (첫 단계에서 t = 1), p -= lr * m_hat / (sqrt(v_hat) + eps)")

# What the scorer's replay of a known mistake says when the student's trajectory matches it.
VARIANT_HINTS = {
    "no_bias_correction": (
        "your parameters move exactly like Adam WITHOUT bias correction: divide by (1 - b1**t) and (1 - b2**t), "
        "m_hat = m / (1 - b1**t), v_hat = v / (1 - b2**t), with t = 1 at the first step",
        "파라미터가 편향 보정이 없는 Adam과 똑같이 움직입니다: m_hat = m / (1 - b1**t), v_hat = v / (1 - b2**t)처럼 "
        "(1 - b1**t)와 (1 - b2**t)로 나누세요 (첫 단계에서 t = 1)"),
    "only_m_corrected": (
        "your parameters move like Adam with the bias correction of m only: v needs it too, "
        "v_hat = v / (1 - b2**t)",
        "파라미터가 m만 편향 보정한 Adam처럼 움직입니다: v도 보정해야 합니다, v_hat = v / (1 - b2**t)"),
    "only_v_corrected": (
        "your parameters move like Adam with the bias correction of v only: m needs it too, "
        "m_hat = m / (1 - b1**t)",
        "파라미터가 v만 편향 보정한 Adam처럼 움직입니다: m도 보정해야 합니다, m_hat = m / (1 - b1**t)"),
    "eps_inside_sqrt": (
        "your parameters move exactly like Adam with eps INSIDE the square root, sqrt(v_hat + eps): eps is added "
        "after it, sqrt(v_hat) + eps",
        "파라미터가 eps를 제곱근 안에 넣은 Adam, sqrt(v_hat + eps)와 똑같이 움직입니다: eps는 제곱근 밖에 "
        "더합니다, sqrt(v_hat) + eps"),
    "t_plus_one": (
        "your parameters move like Adam whose step count starts at 2: the bias correction uses t = 1 at the first "
        "step (count the step before using it)",
        "파라미터가 단계 수를 2부터 센 Adam처럼 움직입니다: 편향 보정은 첫 단계에서 t = 1을 씁니다 (t를 먼저 "
        "1 늘리고 쓰세요)"),
    "betas_swapped": (
        "your parameters move like Adam with the betas the wrong way round: m = b1*m + (1-b1)*g (b1 multiplies "
        "the old m), v = b2*v + (1-b2)*g*g",
        "파라미터가 beta를 거꾸로 쓴 Adam처럼 움직입니다: m = b1*m + (1-b1)*g (b1은 이전 m에 곱합니다), "
        "v = b2*v + (1-b2)*g*g"),
    "v_not_squared": (
        "your parameters move like Adam whose v averages |g| instead of g*g: v = b2*v + (1-b2)*g*g",
        "파라미터가 v에 g*g 대신 |g|를 모은 Adam처럼 움직입니다: v = b2*v + (1-b2)*g*g"),
    "defaults_only": (
        "your parameters move like Adam with the DEFAULT lr, betas and eps: use the values given to __init__",
        "파라미터가 기본값 lr, betas, eps를 쓴 Adam처럼 움직입니다: __init__에 주어진 값을 쓰세요"),
    "none_as_zero": (
        "a parameter whose .grad became None kept moving: you treated None as a zero gradient, so its momentum "
        "m kept pushing it. torch.optim.Adam skips such a parameter entirely (`if p.grad is None: continue`)",
        ".grad가 None이 된 파라미터가 계속 움직였습니다: None을 0 기울기로 다뤄서 모멘텀 m이 계속 밀었습니다. "
        "torch.optim.Adam은 그런 파라미터를 통째로 건너뜁니다 (`if p.grad is None: continue`)"),
}

GENERATOR_EN = ("With a list of parameters your ManualAdam moves as expected, but with model.parameters() (a "
                "generator) it does not: a generator can be iterated only once, and {when} used it up. Store "
                "self.params = list(params) in __init__")
GENERATOR_KO = ("파라미터 리스트를 주면 ManualAdam이 제대로 움직이지만 model.parameters()(제너레이터)를 주면 "
                "그렇지 않습니다: 제너레이터는 한 번만 순회할 수 있는데 {when} 다 써 버렸습니다. __init__에서 "
                "self.params = list(params)로 저장하세요")


def _problem(g, n, d_in, d_out):
    """A small float64 regression: params [W, b, s] (s 0-dim), loss mean((s * (X @ W) + b - Y) ** 2)."""
    f64 = torch.float64
    X = torch.randn(n, d_in, generator=g, dtype=f64)
    W_true = torch.randn(d_in, d_out, generator=g, dtype=f64) * 2
    b_true = torch.randn(d_out, generator=g, dtype=f64)
    Y = 1.5 * (X @ W_true) + b_true + 0.1 * torch.randn(n, d_out, generator=g, dtype=f64)
    init = [torch.randn(d_in, d_out, generator=g, dtype=f64) * 0.5,
            torch.randn(d_out, generator=g, dtype=f64) * 0.5,
            (1 + 0.2 * torch.randn((), generator=g, dtype=f64))]
    return init, X, Y


def _random_problem(rng):
    return _problem(rng, _size(rng, 12, 21), _size(rng, 2, 5), _size(rng, 1, 4))


def _fixed_problems(tag):
    return [_problem(fixed_generator(tag), 15, 3, 2), _problem(fixed_generator(tag + 1), 12, 1, 1)]


@contextmanager
def _explain_optimizer():
    try:
        yield
    except StudentError as err:
        msg = err.raw_message
        if "leaf Variable that requires grad" in msg and "in-place" in msg:
            fail(en=f"{err.text.en}. Update the parameters inside `with torch.no_grad():` (or decorate step() "
                    "with @torch.no_grad()): an in-place change of a leaf tensor that requires grad must not be "
                    "recorded by autograd",
                 ko=f"{err.text.ko}. 파라미터 업데이트는 `with torch.no_grad():` 안에서 하세요 (또는 step()에 "
                    "@torch.no_grad()를 붙이세요): 기울기를 추적하는 잎 텐서의 제자리 변경은 autograd가 기록하면 "
                    "안 됩니다")
        if "NoneType" in msg:
            fail(en=f"{err.text.en}. A parameter's .grad was None: skip such parameters in step() "
                    "(`if p.grad is None: continue`), as torch.optim.Adam does, and check for None before "
                    "p.grad.zero_() in zero_grad()",
                 ko=f"{err.text.ko}. 어떤 파라미터의 .grad가 None이었습니다: step()에서는 그런 파라미터를 "
                    "건너뛰고(`if p.grad is None: continue`, torch.optim.Adam처럼), zero_grad()에서는 "
                    "p.grad.zero_() 전에 None인지 확인하세요")
        raise


def _run_all(module, runs, name):
    with _explain_optimizer():
        return module.call(adam_runs, module.attr("ManualAdam"), runs, _what=f"running {name}")


def _run_args(problem, steps, checkpoints, **options):
    init, X, Y = problem
    return {"init": init, "X": X, "Y": Y, "steps": steps, "checkpoints": checkpoints, **options}


def _start(run):
    parts = [t.reshape(-1) for t in run["init"]]
    dtype = run["init"][0].dtype
    if run.get("unused_at") is not None:
        parts.insert(run["unused_at"], torch.linspace(-1.0, 1.0, 3, dtype=dtype))
    if run.get("part_time") is not None:
        from torchdojo.coursekit.m07_losses_optim import PART_TIME_INIT

        parts.insert(run["part_time"][0], torch.tensor(PART_TIME_INIT, dtype=dtype))
    return torch.cat(parts)


def _close(a, b):
    return (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape
            and bool(torch.allclose(a.double(), b.double(), rtol=1e-6, atol=1e-9)))


def _diagnose(traj, run):
    """The sentence of the known mistake whose replay (here, in the scorer) matches `traj`, or None."""
    options = {k: v for k, v in run.items() if k != "pass_generator"}
    for variant, sentence in VARIANT_HINTS.items():
        if variant == "defaults_only" and not run.get("opt_kwargs"):
            continue
        if variant == "none_as_zero" and run.get("part_time") is None:
            continue
        if _close(traj, variant_run(variant, **options)):
            return sentence
    return None


def _expect_trajectories(student, got_all, expected_all, runs, names):
    for got, expected, run, name in zip(got_all, expected_all, runs, names):
        ensure(isinstance(got, dict) and got.get("torch_adam", 0) == 0,
               en=f"{name}: your ManualAdam uses torch.optim.Adam; compute the Adam update yourself",
               ko=f"{name}: ManualAdam이 torch.optim.Adam을 사용합니다. Adam 업데이트를 직접 계산하세요")
        traj, want = got["trajectory"], expected["trajectory"]
        for row, step in enumerate(run["checkpoints"]):
            label = f"{name}: parameters (all of them, flattened) after {step} step(s)"
            try:
                expect_tensor(traj[row], want[row], label, rtol=1e-6, atol=1e-9)
            except GradeFailure as failure:
                en, ko = _adam_hint(student, traj, want, run, row)
                raise GradeFailure(en=f"{failure.text.en}. {en}", ko=f"{failure.text.ko}. {ko}") from None


def _adam_hint(student, traj, want, run, row):
    if run.get("pass_generator"):
        # the same run with a list: if that one differs, the generator was the problem
        again = student.call(adam_runs, student.attr("ManualAdam"), [{**run, "pass_generator": False}],
                             _what="running ManualAdam with a list of parameters")[0]["trajectory"]
        if not _close(again, traj):
            start = _start(run)
            if float((traj[0] - start).abs().max()) == 0.0:
                when = ("__init__ (e.g. building m and v per parameter)", "__init__에서 (예: 파라미터마다 m과 v를 "
                                                                          "만들면서)")
            else:
                when = ("the first step()", "첫 step()이")
            en, ko = GENERATOR_EN.format(when=when[0]), GENERATOR_KO.format(when=when[1])
            extra = _diagnose(again, run) if not _close(again, want) else None
            if extra:
                en, ko = f"{en}. Also: {extra[0]}", f"{ko}. 그리고: {extra[1]}"
            return en, ko
    sentence = _diagnose(traj, run)
    if sentence:
        return sentence
    start = _start(run)
    if float((traj - start).abs().max()) == 0.0 and float((want - start).abs().max()) > 0:
        return ("step() did not change the parameters at all: update them in place under torch.no_grad() "
                "(p -= ..., p.sub_(...)); `p = p - ...` only rebinds a local name",
                "step()이 파라미터를 전혀 바꾸지 않았습니다: torch.no_grad() 안에서 제자리로 업데이트하세요 "
                "(p -= ..., p.sub_(...)). `p = p - ...`는 지역 변수 이름만 바꿉니다")
    return ADAM_EN, ADAM_KO


def _adam_item(student, reference, source, runs, names):
    _expect_adam_by_hand(source, "ManualAdam")
    got_all = _run_all(student, runs, names[0])
    expected_all = _run_all(reference, runs, names[0])
    _expect_trajectories(student, got_all, expected_all, runs, names)


@pytest.mark.points(3)
def test_ManualAdam(student, reference, rng, source):
    steps, checkpoints = 120, [1, 2, 3, 10, 40, 120]
    runs = [_run_args(p, steps, checkpoints, pass_generator=True, loss_scale=1e-3)  # grads ~1e-3: eps shows
            for p in cases(rng, fixed=_fixed_problems(710), random=_random_problem, count=1)]
    names = ["ManualAdam(model.parameters()) with the default lr, betas and eps, 120 steps"] * len(runs)
    _adam_item(student, reference, source, runs, names)


def _hyper_fixed():
    problems = _fixed_problems(720)
    return [(problems[0], {"lr": 0.03, "betas": (0.77, 0.95), "eps": 0.03}),
            (problems[1], {"lr": 0.02, "betas": (0.6, 0.99), "eps": 0.01})]


def _hyper_random(rng):
    lr = round(_uniform(rng, 0.01, 0.05), 4)
    betas = (round(_uniform(rng, 0.6, 0.85), 3), round(_uniform(rng, 0.9, 0.99), 3))
    eps = round(10 ** _uniform(rng, -2, -1), 4)
    return _random_problem(rng), {"lr": lr, "betas": betas, "eps": eps}


@pytest.mark.points(2, item="ManualAdam.hyperparams")
def test_ManualAdam_hyperparams(student, reference, rng, source):
    steps, checkpoints = 80, [1, 2, 5, 20, 80]
    battery = list(cases(rng, fixed=_hyper_fixed(), random=_hyper_random, count=1))
    runs = [_run_args(p, steps, checkpoints, opt_kwargs=o) for p, o in battery]
    names = [f"ManualAdam(params, lr={o['lr']}, betas={o['betas']}, eps={o['eps']}), 80 steps" for _, o in battery]
    with _hint(en="Use the lr, betas and eps given to __init__ (eps is added after the square root)",
               ko="__init__에 주어진 lr, betas, eps를 쓰세요 (eps는 제곱근 밖에 더합니다)"):
        _adam_item(student, reference, source, runs, names)


def _skip_fixed():
    problems = _fixed_problems(730)
    return [(problems[0], 0, (4, 5)), (problems[1], 3, (0, 3))]


def _skip_random(rng):
    return _random_problem(rng), _size(rng, 0, 4), (_size(rng, 0, 5), _size(rng, 2, 9))


@pytest.mark.points(1, item="ManualAdam.skip_none")
def test_ManualAdam_skips_params_without_grad(student, reference, rng, source):
    steps, checkpoints = 30, [1, 5, 30]
    battery = list(cases(rng, fixed=_skip_fixed(), random=_skip_random, count=1))
    runs = [_run_args(p, steps, checkpoints, opt_kwargs={"lr": 0.01}, unused_at=u, part_time=pt, loss_scale=1e-3)
            for p, u, pt in battery]
    names = [f"ManualAdam(params, lr=0.01) where parameter {u} is never used by the loss (its .grad stays None, "
             f"like a frozen layer) and parameter {pt[0]} only in the first {pt[1]} steps, 30 steps"
             for _, u, pt in battery]
    with _hint(en="Skip parameters whose .grad is None (they must not change), as torch.optim.Adam does",
               ko=".grad가 None인 파라미터는 건너뛰세요 (바뀌면 안 됩니다). torch.optim.Adam도 그렇게 합니다"):
        _adam_item(student, reference, source, runs, names)


@pytest.mark.points(1, item="ManualAdam.zero_grad")
def test_ManualAdam_zero_grad(student, rng, source):
    _expect_adam_by_hand(source, "ManualAdam.zero_grad()")
    name = "ManualAdam.zero_grad()"
    for init, X, Y in cases(rng, fixed=_fixed_problems(740), random=_random_problem, count=1):
        try:
            got = student.call(zero_grad_probe, student.attr("ManualAdam"), init, X, Y,
                               _what="calling ManualAdam.zero_grad()")
        except StudentError as err:
            if "NoneType" in err.raw_message:
                fail(en=f"{name}: {err.text.en}. Before the first backward() (the first batch of a training loop) every "
                        ".grad is None: zero_grad() must handle that (set p.grad = None, or check for None before "
                        "p.grad.zero_())",
                     ko=f"{name}: {err.text.ko}. 첫 backward() 전에는(학습 루프의 첫 배치) 모든 .grad가 None입니다: "
                        "zero_grad()는 그 경우도 처리해야 합니다 (p.grad = None, 또는 p.grad.zero_() 전에 None 확인)")
            raise
        ensure(isinstance(got, dict) and got.get("torch_adam", 0) == 0,
               en=f"{name}: your ManualAdam uses torch.optim.Adam; write the optimizer yourself",
               ko=f"{name}: ManualAdam이 torch.optim.Adam을 사용합니다. 옵티마이저를 직접 만드세요")
        single = fresh_gradients(init, X, Y)  # computed here, in the scorer
        after = got.get("after")
        ensure(isinstance(after, list) and len(after) == len(single),
               en=f"{name}: the probe could not read the gradients of the parameters",
               ko=f"{name}: 파라미터의 기울기를 읽지 못했습니다")
        cleared = got.get("cleared") or []
        stale = [i for i, c in enumerate(cleared) if not c]
        for i, (grad, fresh) in enumerate(zip(after, single)):
            ensure(isinstance(grad, torch.Tensor),
                   en=f"{name}: after zero_grad() and backward(), parameter {i} had no gradient",
                   ko=f"{name}: zero_grad()와 backward() 뒤에 파라미터 {i}의 기울기가 없습니다")
            if stale and not _close(grad, fresh):
                fail(en=f"{name}: after zero_grad() the gradients of parameter(s) {stale} were still there, so the "
                        "next backward() adds to them (gradients accumulate). Clear every parameter: p.grad = None "
                        "or p.grad.zero_()",
                     ko=f"{name}: zero_grad() 뒤에도 파라미터 {stale}의 기울기가 남아 다음 backward()가 거기에 "
                        "더해집니다 (기울기는 누적됩니다). 모든 파라미터를 지우세요: p.grad = None 또는 "
                        "p.grad.zero_()")
            with _hint(en="after zero_grad(), one backward() must give exactly one fresh gradient (gradients "
                          "accumulate until they are cleared)",
                       ko="zero_grad() 뒤 backward() 한 번이면 새 기울기 하나와 정확히 같아야 합니다 (기울기는 지울 "
                          "때까지 누적됩니다)"):
                expect_tensor(grad, fresh, f"{name}: gradient of parameter {i} after zero_grad() and backward()",
                              rtol=1e-6, atol=1e-9)
