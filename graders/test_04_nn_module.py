"""Hidden grader of 04_nn_module: batteries of fixed corner cases plus random ones.

Every verdict rests on values compared here, in the scorer, with expectations computed here:
- the MLP gets weights the scorer draws, loaded into `fc1`/`fc2`, and then every parameter that
  nn.Module registered is multiplied by a factor the scorer draws (a trusted coursekit probe does
  both in the worker). `MLP.layers` calls `fc1` and `fc2` directly; `MLP.forward` and
  `MLP.batch_of_one` call the model. The outputs are compared with the same computation done
  here: layers that are not registered, built in `forward`, copied at construction, or a softmax
  on the output all change them.
- `MLP.init`: construction succeeds and nn.Module's own bookkeeping (its base-class method, run by a
  probe) works on the object; what the worker says about the class may only take the point away.
- `count_parameters`: the count is compared with the number of trainable elements counted here.
"""

import numpy as np
import pytest
import torch
from torch import nn

from torchdojo.coursekit import m04_nn_module as kit
from torchdojo.grading import GradeFailure, StudentError, cases, ensure, expect_tensor, fail, fixed_generator
from torchdojo.grading import random_int as _size

MODULE = "torch.nn.modules.module.Module"
RTOL = ATOL = 1e-4


def _where(err):
    if not err.where:
        return "", ""
    last = err.where[-1]
    return f" ({last['file']}, line {last['line']})", f" ({last['file']}, {last['line']}번째 줄)"


def _label(sizes):
    return "MLP()" if sizes is None else f"MLP({', '.join(map(str, sizes))})"


def build(student, sizes):
    """student.MLP() (sizes None) or student.MLP(i, h, o), explaining a missing super().__init__()."""
    label = _label(sizes)
    try:
        return student.MLP() if sizes is None else student.MLP(*sizes)
    except StudentError as err:
        if err.is_a("AttributeError") and "Module.__init__" in err.raw_message:
            at_en, at_ko = _where(err)
            fail(en=f"{label} raised AttributeError: {err.raw_message}{at_en}. Call super().__init__() as the "
                    "first line of MLP.__init__: nn.Module's own constructor sets up the registries where it "
                    "records your layers and parameters, so it must run before you assign self.fc1 = nn.Linear(...)",
                 ko=f"{label} 생성 중 AttributeError: {err.raw_message}{at_ko}. MLP.__init__의 첫 줄에서 "
                    "super().__init__()를 호출하세요. 부모 클래스 nn.Module의 생성자가 층과 파라미터를 기록할 "
                    "저장소를 준비하므로, self.fc1 = nn.Linear(...)처럼 층을 대입하기 전에 먼저 실행되어야 합니다")
        raise


def _not_a_module(label):
    fail(en=f"{label} is not an nn.Module: write class MLP(nn.Module) and call super().__init__() first in __init__",
         ko=f"{label}은(는) nn.Module이 아닙니다: class MLP(nn.Module)로 상속받고 __init__ 첫 줄에서 "
            "super().__init__()를 호출하세요")


def describe(student, model, sizes, label):
    """The worker's description of the layers: it only ever takes points away (clear messages)."""
    i, h, o = sizes
    info = student.call(kit.describe_mlp, model, _to_device=False)
    if not info["is_module"]:
        _not_a_module(label)
    for name, fan_in, fan_out in (("fc1", i, h), ("fc2", h, o)):
        layer = info["layers"][name]
        ensure(layer is not None,
               en=f"{label} has no attribute {name} after construction: create the layers in __init__ "
                  f"(self.{name} = nn.Linear(...)), not in forward",
               ko=f"{label}에 생성 직후 {name} 속성이 없습니다: 층은 forward가 아니라 __init__에서 만드세요 "
                  f"(self.{name} = nn.Linear(...))")
        ensure(layer["is_linear"], en=f"{label}.{name} must be an nn.Linear, got {layer['type']}",
               ko=f"{label}.{name}은(는) nn.Linear여야 하는데 {layer['type']}입니다")
        got = (layer["in_features"], layer["out_features"])
        ensure(got == (fan_in, fan_out),
               en=f"{label}.{name}: expected nn.Linear({fan_in}, {fan_out}), got nn.Linear({got[0]}, {got[1]})",
               ko=f"{label}.{name}: nn.Linear({fan_in}, {fan_out})이어야 하는데 nn.Linear({got[0]}, {got[1]})입니다")
        ensure(layer["bias"], en=f"{label}.{name} must have a bias (the default bias=True)",
               ko=f"{label}.{name}에 bias가 있어야 합니다 (기본값 bias=True)")
    shapes = sorted(shape for _, shape in info["parameters"])
    ensure(bool(shapes),
           en=f"{label}.parameters() is empty: the layers are not registered. Assign them as attributes in "
              "__init__ after super().__init__() (a plain Python list does not register them; use nn.ModuleList)",
           ko=f"{label}.parameters()가 비어 있습니다: 층이 등록되지 않았습니다. super().__init__() 다음에 __init__에서 "
              "속성으로 대입하세요 (파이썬 리스트에 담으면 등록되지 않습니다. nn.ModuleList를 쓰세요)")
    expected = sorted([[h, i], [h], [o, h], [o]])
    if shapes != expected:
        names = ", ".join(f"{n} {s}" for n, s in info["parameters"])
        fail(en=f"{label}.parameters() should be exactly the weights and biases of fc1 and fc2 "
                f"(shapes {expected}); got {names}",
             ko=f"{label}.parameters()는 fc1, fc2의 가중치와 편향뿐이어야 합니다 (모양 {expected}). 받은 값: {names}")


def weights_for(gen, sizes):
    i, h, o = sizes
    return (torch.randn(h, i, generator=gen) / i ** 0.5, torch.randn(h, generator=gen) * 0.5,
            torch.randn(o, h, generator=gen) / h ** 0.5, torch.randn(o, generator=gen) * 0.5)


def prepared(student, sizes, gen, scale):
    """The student's MLP of these sizes (None: the defaults) holding the scorer's weights, every
    registered parameter multiplied by `scale`; and those scaled weights, for the expectations."""
    dims = sizes or (784, 128, 10)
    label = _label(sizes)
    model = build(student, sizes)
    describe(student, model, dims, label)
    weights = weights_for(gen, dims)
    problem = student.call(kit.load_and_scale, model, *weights, scale)
    ensure(problem is None,
           en=f"{label}: the grader could not load weights into fc1 and fc2 ({problem}): fc1 and fc2 must be "
              "nn.Linear layers made in __init__, registered as attributes of an nn.Module",
           ko=f"{label}: fc1과 fc2에 가중치를 넣지 못했습니다 ({problem}): fc1과 fc2는 __init__에서 만든 nn.Linear 층이고, "
              "nn.Module의 속성으로 등록되어 있어야 합니다")
    return model, [w * scale for w in weights], label


def logits(x, w1, b1, w2, b2):
    x = x.double().reshape(len(x), -1)
    return (torch.relu(x @ w1.double().T + b1.double()) @ w2.double().T + b2.double()).float()


def compare_logits(got, expected, name):
    try:
        expect_tensor(got, expected, name, rtol=RTOL, atol=ATOL)
    except GradeFailure as failure:
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and got.is_floating_point() and got.dim() == 2:
            g = got.double()
            if bool((g >= 0).all() and (g <= 1).all()) and torch.allclose(g.sum(-1), torch.ones(len(g), dtype=g.dtype),
                                                                           atol=1e-4):
                fail(en=failure.text.en + ". Every row sums to 1: it looks like you applied softmax. Return the raw "
                        "logits; nn.CrossEntropyLoss applies log-softmax itself",
                     ko=failure.text.ko + ". 모든 행의 합이 1입니다: softmax를 적용한 것 같습니다. 정규화하지 않은 로짓을 "
                        "그대로 돌려주세요. nn.CrossEntropyLoss가 내부에서 log-softmax를 계산합니다")
            if bool((g <= 0).all()) and torch.allclose(g.exp().sum(-1), torch.ones(len(g), dtype=g.dtype), atol=1e-4):
                fail(en=failure.text.en + ". It looks like log-softmax was applied: return the raw logits",
                     ko=failure.text.ko + ". log-softmax를 적용한 것 같습니다: 정규화하지 않은 로짓을 그대로 돌려주세요")
        raise


FLATTEN_EN = ("flatten the input to [B, in_features] first, keeping the batch dimension even when B == 1: "
              "x.reshape(x.shape[0], -1) or x.flatten(1) (do not squeeze)")
FLATTEN_KO = ("먼저 입력을 [B, in_features]로 펴세요. B가 1이어도 배치 차원을 지켜야 합니다: "
              "x.reshape(x.shape[0], -1) 또는 x.flatten(1) (squeeze하지 마세요)")


def call_model(model, x, name):
    """model(x), with a hint on flattening when the student's forward raises."""
    try:
        return model(x)
    except StudentError as err:
        if err.not_implemented:
            raise
        fail(en=f"{name}: {err.text.en}. Hint: {FLATTEN_EN}", ko=f"{name}: {err.text.ko}. 힌트: {FLATTEN_KO}")


def check_forward(model, x, expected, name):
    got = call_model(model, x, name)
    try:
        compare_logits(got, expected, name)
    except GradeFailure as failure:
        again = call_model(model, x, name)
        if isinstance(got, torch.Tensor) and isinstance(again, torch.Tensor) and got.shape == again.shape \
                and not torch.equal(got, again):
            fail(en=f"{name}: two calls on the same input gave different outputs. Create the layers once in __init__: "
                    "layers made inside forward are new random layers at every call, and they are not registered "
                    "parameters, so they never learn",
                 ko=f"{name}: 같은 입력으로 두 번 호출했는데 출력이 다릅니다. 층은 __init__에서 한 번만 만드세요. forward "
                    "안에서 만든 층은 호출할 때마다 새 무작위 층이 되고, 파라미터로 등록되지 않아 학습되지 않습니다")
        raise failure


def _scale(gen):
    return round(0.6 + float(torch.rand((), generator=gen)), 4)


# -- MLP.init ---------------------------------------------------------------------------------

@pytest.mark.points(1, item="MLP.init")
def test_mlp_init(student, rng):
    fixed = [None, (12, 5, 3), (6, 9, 2)]
    for sizes in cases(rng, fixed=fixed, random=lambda r: (_size(r, 2, 20), _size(r, 2, 20), _size(r, 2, 12)),
                       count=1):
        label = _label(sizes)
        model = build(student, sizes)
        ensure(model is not None and getattr(model, "isinstance_of", lambda _: False)(MODULE),
               en=f"{label} must be an nn.Module: write class MLP(nn.Module) and call super().__init__()",
               ko=f"{label}은(는) nn.Module이어야 합니다: class MLP(nn.Module)로 상속받고 super().__init__()를 호출하세요")
        try:
            student.call(kit.registered_parameters, model, _to_device=False)
        except StudentError:
            _not_a_module(label)


# -- MLP.layers -------------------------------------------------------------------------------

@pytest.mark.points(2, item="MLP.layers")
def test_mlp_layers(student, rng):
    gen = fixed_generator(401)
    fixed = [(None, gen, 1.25, 3), ((12, 5, 3), gen, 0.75, 1), ((6, 9, 2), gen, 1.5, 4)]
    random = lambda r: ((_size(r, 2, 20), _size(r, 2, 20), _size(r, 2, 12)), r, _scale(r), _size(r, 1, 6))  # noqa: E731
    for sizes, g, scale, b in cases(rng, fixed=fixed, random=random, count=1):
        model, (w1, b1, w2, b2), label = prepared(student, sizes, g, scale)
        i, h, _ = sizes or (784, 128, 10)
        x, hidden = torch.randn(b, i, generator=g), torch.randn(b, h, generator=g)
        for name, inp, w, bias in (("fc1", x, w1, b1), ("fc2", hidden, w2, b2)):
            what = f"{label}.{name}(x) for x of shape {list(inp.shape)}"
            got = call_model(getattr(model, name), inp, what)
            try:
                expect_tensor(got, (inp.double() @ w.double().T + bias.double()).float(), what, rtol=RTOL, atol=ATOL)
            except GradeFailure as failure:
                raise GradeFailure(
                    en=f"{failure.text.en}. The grader set {name}'s weights and then changed every parameter that "
                       "model.parameters() yields: fc1 and fc2 must be nn.Linear layers assigned in __init__ "
                       "(after super().__init__()), so that nn.Module registers them",
                    ko=f"{failure.text.ko}. 채점기가 {name}의 가중치를 넣은 뒤 model.parameters()가 내는 모든 파라미터를 "
                       "바꿨습니다: fc1과 fc2는 super().__init__() 다음 __init__에서 대입한 nn.Linear여야 nn.Module에 "
                       "등록됩니다") from None


# -- MLP.forward, MLP.batch_of_one ------------------------------------------------------------

def _forward_case(rng, batch):
    sizes = None if _size(rng, 0, 2) else (784, _size(rng, 2, 40), _size(rng, 2, 12))
    return sizes, rng, _scale(rng), batch if batch else _size(rng, 2, 7)


def _run_forward(student, sizes, gen, scale, b):
    model, weights, label = prepared(student, sizes, gen, scale)
    for x in (torch.randn(b, 1, 28, 28, generator=gen), torch.randn(b, 784, generator=gen)):
        name = f"{label}(x) for x of shape {list(x.shape)}"
        expected = logits(x, *weights)
        if b == 1:
            got = call_model(model, x, name)
            out = expected.shape[1]
            if isinstance(got, torch.Tensor) and list(got.shape) != [1, out]:
                fail(en=f"{name}: expected shape [1, {out}], got {list(got.shape)}. Keep the batch dimension when "
                        "B == 1: flatten with x.reshape(x.shape[0], -1) or x.flatten(1), not squeeze()",
                     ko=f"{name}: 모양이 [1, {out}]이어야 하는데 {list(got.shape)}입니다. B가 1이어도 배치 차원을 "
                        "지키세요: squeeze() 대신 x.reshape(x.shape[0], -1)이나 x.flatten(1)로 펴세요")
            compare_logits(got, expected, name)
        else:
            check_forward(model, x, expected, name)


@pytest.mark.points(3, item="MLP.forward")
@pytest.mark.parametrize("sizes", ["default", "other"])
def test_mlp_forward(student, rng, sizes):
    gen = fixed_generator(410 if sizes == "default" else 411)
    if sizes == "default":
        fixed = [(None, gen, 1.0, 3), (None, gen, 0.8, 2)]
    else:
        fixed = [((784, 16, 5), gen, 1.3, 4), ((784, 3, 12), gen, 0.9, 2)]
    for case in cases(rng, fixed=fixed, random=lambda r: _forward_case(r, None), count=1):
        _run_forward(student, *case)


@pytest.mark.points(1, item="MLP.batch_of_one")
def test_mlp_batch_of_one(student, rng):
    gen = fixed_generator(420)
    fixed = [(None, gen, 1.1, 1), ((784, 16, 5), gen, 0.7, 1), ((784, 7, 1), gen, 1.2, 1)]
    for case in cases(rng, fixed=fixed, random=lambda r: _forward_case(r, 1), count=1):
        _run_forward(student, *case)


# -- count_parameters -------------------------------------------------------------------------

def _model(gen, nested, bias=True):
    d = [2 + int(v) for v in torch.randint(0, 7, (4,), generator=gen)]
    with torch.random.fork_rng(devices=[]):  # the scorer's global generator is left as it was
        torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))  # initial values do not matter
        first = nn.Sequential(nn.Linear(d[0], d[1]), nn.BatchNorm1d(d[1]), nn.ReLU())
        rest = [nn.Linear(d[1], d[2], bias=bias), nn.Tanh(), nn.Linear(d[2], d[3])]
    return nn.Sequential(first, *rest) if nested else nn.Sequential(*first, *rest)


def _tied(gen):
    """The same layer used twice: model.parameters() yields its tensors once."""
    d = 2 + int(torch.randint(0, 6, (1,), generator=gen))
    shared = nn.Linear(d, d)
    return nn.Sequential(nn.Sequential(shared, nn.ReLU()), shared, nn.Linear(d, 3))


def trainable(model):
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _count(student, model, label):
    got = student.count_parameters(model)
    is_int = isinstance(got, (int, np.integer)) and not isinstance(got, (bool, np.bool_))
    ensure(is_int,
           en=f"count_parameters({label}) must return a Python int, got {type(got).__name__} {got!r}"
              " (sum the p.numel() values, which are ints; or use int(...))",
           ko=f"count_parameters({label})는 파이썬 int를 돌려줘야 하는데 {type(got).__name__} {got!r}이(가) 왔습니다"
              " (int인 p.numel() 값들을 더하거나 int(...)로 바꾸세요)")
    return int(got)


def _hint(got, model):
    """A sentence for the usual wrong counts: every parameter, the state_dict, the number of tensors."""
    params = list(model.parameters())
    if got == sum(p.numel() for p in params):
        return (" (that is every parameter: skip those with requires_grad == False)",
                " (모든 파라미터 수입니다: requires_grad가 False인 것은 빼세요)")
    if got == sum(t.numel() for t in model.state_dict().values()):
        return (" (that is the state_dict, which also holds buffers such as BatchNorm's running_mean and counts "
                "a shared layer twice: count model.parameters() with requires_grad)",
                " (state_dict 크기입니다. 여기에는 BatchNorm의 running_mean 같은 버퍼도 들어 있고 함께 쓰는 층을 두 번 "
                "셉니다: requires_grad인 model.parameters()만 세세요)")
    if got == len(params) or got == sum(1 for p in params if p.requires_grad):
        return (" (that is the number of parameter tensors: add up p.numel(), the elements of each)",
                " (파라미터 텐서의 개수입니다: 각 텐서의 원소 수 p.numel()을 더하세요)")
    return "", ""


def _expect_count(student, model, label, label_ko):
    got, expected = _count(student, model, label), trainable(model)
    extra_en, extra_ko = _hint(got, model)
    ensure(got == expected,
           en=f"count_parameters({label}): expected {expected} trainable parameters (the sum of p.numel() over "
              f"model.parameters() with requires_grad, nested layers included, a shared layer once), got {got}{extra_en}",
           ko=f"count_parameters({label_ko}): 학습 가능한 파라미터가 {expected}개여야 하는데 {got}개입니다 "
              f"(requires_grad인 model.parameters()의 p.numel() 합, 안쪽 층 포함, 함께 쓰는 층은 한 번){extra_ko}")


@pytest.mark.points(1)
@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_count_parameters(student, rng, nested):
    gen = fixed_generator(430 + nested)
    fixed = [_model(gen, nested), _model(gen, nested, bias=False)] + ([_tied(gen)] if nested else [])
    for model in cases(rng, fixed=fixed, random=lambda r: _model(r, nested, bias=bool(_size(r, 0, 2))), count=1):
        _expect_count(student, model, "a model", "모델")


def _frozen(gen, how):
    model = _model(gen, nested=True)
    params = list(model.parameters())
    if how == "first":
        params[0].requires_grad_(False)
    elif how == "all":
        model.requires_grad_(False)
    elif how == "block":
        model[0].requires_grad_(False)
    else:  # a random choice
        order = torch.randperm(len(params), generator=gen).tolist()
        for k in order[: 1 + int(torch.randint(0, len(params) - 1, (1,), generator=gen))]:
            params[k].requires_grad_(False)
    return model


@pytest.mark.points(1, item="count_parameters.frozen")
def test_count_parameters_frozen(student, rng):
    gen = fixed_generator(440)
    fixed = [_frozen(gen, "first"), _frozen(gen, "block"), _frozen(gen, "all")]
    for model in cases(rng, fixed=fixed, random=lambda r: _frozen(r, "random"), count=1):
        frozen = sum(1 for p in model.parameters() if not p.requires_grad)
        _expect_count(student, model, f"a model with {frozen} frozen parameter tensor(s)",
                      f"고정된 파라미터 텐서 {frozen}개가 있는 모델")
