"""Hidden grader of 04_nn_module. Models are built in the worker from the student's class, get
the same random weights as the reference's (loaded by a coursekit helper) and are compared on
random inputs of both shapes, [B, C, H, W] and [B, in_features]."""

import pytest
import torch
from torch import nn

from torchdojo.coursekit import m04_nn_module as kit
from torchdojo.grading import GradeFailure, StudentError, ensure, expect_tensor, fail
from torchdojo.grading import random_int as _size

MODULE = "torch.nn.modules.module.Module"
RTOL = ATOL = 1e-4


def _small_sizes(rng):
    """in_features = C*H*W of a small image shape, so both input shapes can be tried."""
    c, h, w = _size(rng, 1, 3), _size(rng, 2, 5), _size(rng, 2, 5)
    return (c, h, w), c * h * w, _size(rng, 3, 9), _size(rng, 2, 6)


def _where(err):
    if not err.where:
        return "", ""
    last = err.where[-1]
    return f" ({last['file']}, line {last['line']})", f" ({last['file']}, {last['line']}번째 줄)"


def build(student, **kwargs):
    """student.MLP(**kwargs), explaining the AttributeError of a missing super().__init__()."""
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    try:
        return student.MLP(**kwargs)
    except StudentError as err:
        if err.is_a("AttributeError") and "Module.__init__" in err.raw_message:
            at_en, at_ko = _where(err)
            fail(f"MLP({args}) raised AttributeError: {err.raw_message}{at_en}. Call super().__init__() as the "
                 "first line of MLP.__init__: nn.Module's own constructor sets up the registries where it "
                 "records your layers and parameters, so it must run before you assign self.fc1 = nn.Linear(...)",
                 f"MLP({args}) 생성 중 AttributeError: {err.raw_message}{at_ko}. MLP.__init__의 첫 줄에서 "
                 "super().__init__()를 호출하세요. 부모 클래스 nn.Module의 생성자가 층과 파라미터를 기록할 "
                 "저장소를 준비하므로, self.fc1 = nn.Linear(...)처럼 층을 대입하기 전에 먼저 실행되어야 합니다")
        raise


def check_layers(student, model, sizes, label):
    """fc1/fc2 are nn.Linear of the right shapes and the model registers exactly their parameters."""
    i, h, o = sizes
    info = student.call(kit.describe_mlp, model, _to_device=False)
    ensure(info["is_module"], f"{label} is a {info['type']}, not an nn.Module: write class MLP(nn.Module)",
           f"{label}은(는) nn.Module이 아니라 {info['type']}입니다: class MLP(nn.Module)로 상속받으세요")
    for name, fan_in, fan_out in (("fc1", i, h), ("fc2", h, o)):
        layer = info["layers"][name]
        ensure(layer is not None,
               f"{label} has no attribute {name} after construction: create the layers in __init__ "
               f"(self.{name} = nn.Linear(...)), not in forward",
               f"{label}에 생성 직후 {name} 속성이 없습니다: 층은 forward가 아니라 __init__에서 만드세요 "
               f"(self.{name} = nn.Linear(...))")
        ensure(layer["is_linear"], f"{label}.{name} must be an nn.Linear, got {layer['type']}",
               f"{label}.{name}은(는) nn.Linear여야 하는데 {layer['type']}입니다")
        got = (layer["in_features"], layer["out_features"])
        ensure(got == (fan_in, fan_out),
               f"{label}.{name}: expected nn.Linear({fan_in}, {fan_out}), got nn.Linear({got[0]}, {got[1]})",
               f"{label}.{name}: nn.Linear({fan_in}, {fan_out})이어야 하는데 nn.Linear({got[0]}, {got[1]})입니다")
        ensure(layer["bias"], f"{label}.{name} must have a bias (the default bias=True)",
               f"{label}.{name}에 bias가 있어야 합니다 (기본값 bias=True)")
    shapes = sorted(shape for _, shape in info["parameters"])
    expected = sorted([[h, i], [h], [o, h], [o]])
    ensure(bool(shapes),
           f"{label}.parameters() is empty: the layers are not registered. Assign them as attributes in "
           "__init__ after super().__init__() (a plain Python list does not register them; use nn.ModuleList)",
           f"{label}.parameters()가 비어 있습니다: 층이 등록되지 않았습니다. super().__init__() 다음에 __init__에서 "
           "속성으로 대입하세요 (파이썬 리스트에 담으면 등록되지 않습니다. nn.ModuleList를 쓰세요)")
    if shapes != expected:
        names = ", ".join(f"{n} {s}" for n, s in info["parameters"])
        fail(f"{label}.parameters() should be exactly the weights and biases of fc1 and fc2 "
             f"(shapes {expected}); got {names}",
             f"{label}.parameters()는 fc1, fc2의 가중치와 편향뿐이어야 합니다 (모양 {expected}). 받은 값: {names}")


def random_weights(rng, sizes):
    i, h, o = sizes
    return (torch.randn(h, i, generator=rng) / i ** 0.5, torch.randn(h, generator=rng) * 0.5,
            torch.randn(o, h, generator=rng) / h ** 0.5, torch.randn(o, generator=rng) * 0.5)


def twin_models(student, reference, rng, sizes):
    """The student's and the reference's MLP of these sizes, holding the same random weights."""
    i, h, o = sizes
    kwargs = dict(in_features=i, hidden=h, out_features=o)
    model = build(student, **kwargs)
    check_layers(student, model, sizes, f"MLP({i}, {h}, {o})")
    ref = reference.MLP(**kwargs)
    weights = random_weights(rng, sizes)
    student.call(kit.load_mlp_weights, model, *weights)
    reference.call(kit.load_mlp_weights, ref, *weights)
    return model, ref


def compare_logits(got, expected, name):
    try:
        expect_tensor(got, expected, name, rtol=RTOL, atol=ATOL)
    except GradeFailure as failure:
        if isinstance(got, torch.Tensor) and got.shape == expected.shape and got.is_floating_point():
            g = got.double()
            if bool((g >= 0).all() and (g <= 1).all()) and torch.allclose(g.sum(-1), torch.ones(len(g), dtype=g.dtype),
                                                                           atol=1e-4):
                fail(failure.en + ". Every row sums to 1: it looks like you applied softmax. Return the raw "
                     "logits; nn.CrossEntropyLoss applies log-softmax itself",
                     failure.ko + ". 모든 행의 합이 1입니다: softmax를 적용한 것 같습니다. 정규화하지 않은 로짓을 "
                     "그대로 돌려주세요. nn.CrossEntropyLoss가 내부에서 log-softmax를 계산합니다")
            if bool((g <= 0).all()) and torch.allclose(g.exp().sum(-1), torch.ones(len(g), dtype=g.dtype), atol=1e-4):
                fail(failure.en + ". It looks like log-softmax was applied: return the raw logits",
                     failure.ko + ". log-softmax를 적용한 것 같습니다: 정규화하지 않은 로짓을 그대로 돌려주세요")
        raise


FLATTEN_EN = ("flatten the input to [B, in_features] first, keeping the batch dimension even when B == 1: "
              "x.reshape(x.shape[0], -1) or x.flatten(1) (do not hard-code 784, do not squeeze)")
FLATTEN_KO = ("먼저 입력을 [B, in_features]로 펴세요. B가 1이어도 배치 차원을 지켜야 합니다: "
              "x.reshape(x.shape[0], -1) 또는 x.flatten(1) (784를 직접 쓰거나 squeeze하지 마세요)")


def call_model(model, x, name):
    """model(x), with a hint on flattening when the student's forward raises."""
    try:
        return model(x)
    except StudentError as err:
        if err.not_implemented:
            raise
        fail(f"{name}: {err.en}. Hint: {FLATTEN_EN}", f"{name}: {err.ko}. 힌트: {FLATTEN_KO}")


def run_twice(model, x, name):
    """Calls the model twice on the same input: layers built in forward give different answers."""
    first = call_model(model, x, name)
    second = call_model(model, x, name)
    if isinstance(first, torch.Tensor) and isinstance(second, torch.Tensor) and first.shape == second.shape:
        ensure(torch.equal(first, second),
               f"{name}: two calls on the same input gave different outputs. Create the layers once in __init__: "
               "layers made inside forward are new random layers at every call, and they are not registered "
               "parameters, so they never learn",
               f"{name}: 같은 입력으로 두 번 호출했는데 출력이 다릅니다. 층은 __init__에서 한 번만 만드세요. forward "
               "안에서 만든 층은 호출할 때마다 새 무작위 층이 되고, 파라미터로 등록되지 않아 학습되지 않습니다")
    return first


@pytest.mark.points(1, item="MLP.init")
def test_mlp_init(student, rng):
    i, h, o = _small_sizes(rng)[1:]
    for model, label in ((build(student), "MLP()"),
                         (build(student, in_features=i, hidden=h, out_features=o),
                          f"MLP(in_features={i}, hidden={h}, out_features={o})")):
        ensure(model is not None and getattr(model, "isinstance_of", lambda _: False)(MODULE),
               f"{label} must be an nn.Module: write class MLP(nn.Module) and call super().__init__()",
               f"{label}은(는) nn.Module이어야 합니다: class MLP(nn.Module)로 상속받고 super().__init__()를 호출하세요")


@pytest.mark.points(2, item="MLP.layers")
def test_mlp_layers(student, rng):
    check_layers(student, build(student), (784, 128, 10), "MLP()")
    _, i, h, o = _small_sizes(rng)
    check_layers(student, build(student, in_features=i, hidden=h, out_features=o), (i, h, o), f"MLP({i}, {h}, {o})")


@pytest.mark.points(3, item="MLP.forward")
@pytest.mark.parametrize("sizes", ["default", "random"])
def test_mlp_forward(student, reference, rng, sizes):
    if sizes == "default":
        image, dims = (1, 28, 28), (784, 128, 10)
    else:
        image, i, h, o = _small_sizes(rng)
        dims = (i, h, o)
    model, ref = twin_models(student, reference, rng, dims)
    b = _size(rng, 2, 6)
    for x in (torch.randn(b, *image, generator=rng), torch.randn(b, dims[0], generator=rng)):
        name = f"MLP{dims}(x) for x of shape {list(x.shape)}"
        compare_logits(run_twice(model, x, name), ref(x), name)


@pytest.mark.points(1, item="MLP.batch_of_one")
def test_mlp_batch_of_one(student, reference, rng):
    image, i, h, o = _small_sizes(rng)
    model, ref = twin_models(student, reference, rng, (i, h, o))
    for x in (torch.randn(1, *image, generator=rng), torch.randn(1, i, generator=rng)):
        name = f"MLP({i}, {h}, {o})(x) for a batch of one, x of shape {list(x.shape)}"
        got = call_model(model, x, name)
        if isinstance(got, torch.Tensor) and list(got.shape) != [1, o]:
            fail(f"{name}: expected shape [1, {o}], got {list(got.shape)}. Keep the batch dimension when B == 1: "
                 "flatten with x.reshape(x.shape[0], -1) or x.flatten(1), not squeeze()",
                 f"{name}: 모양이 [1, {o}]이어야 하는데 {list(got.shape)}입니다. B가 1이어도 배치 차원을 지키세요: "
                 "squeeze() 대신 x.reshape(x.shape[0], -1)이나 x.flatten(1)로 펴세요")
        compare_logits(got, ref(x), name)


def _layers(rng, nested):
    d = [_size(rng, 2, 9) for _ in range(4)]
    bias = bool(torch.randint(0, 2, (1,), generator=rng))
    first = nn.Sequential(nn.Linear(d[0], d[1]), nn.BatchNorm1d(d[1]), nn.ReLU())
    rest = [nn.Linear(d[1], d[2], bias=bias), nn.Tanh(), nn.Linear(d[2], d[3])]
    return nn.Sequential(first, *rest) if nested else nn.Sequential(*first, *rest)


def _expect_count(student, reference, model, label):
    got = student.count_parameters(model)
    expected = reference.count_parameters(model)
    ensure(type(got) is int,
           f"count_parameters({label}) must return a Python int, got {type(got).__name__} {got!r}"
           + (" (sum p.numel() values, which are ints; or use int(...))" if not isinstance(got, int) else ""),
           f"count_parameters({label})는 파이썬 int를 돌려줘야 하는데 {type(got).__name__} {got!r}이(가) 왔습니다"
           + (" (int인 p.numel() 값들을 더하거나 int(...)로 바꾸세요)" if not isinstance(got, int) else ""))
    return got, expected


def _hint(got, model, params):
    """A sentence for the usual wrong counts: every parameter, the state_dict, the number of tensors."""
    if got == sum(p.numel() for p in params):
        return (" (that is every parameter: skip those with requires_grad == False)",
                " (모든 파라미터 수입니다: requires_grad가 False인 것은 빼세요)")
    if got == sum(t.numel() for t in model.state_dict().values()):
        return (" (that is the state_dict, which also holds buffers such as BatchNorm's running_mean: "
                "count model.parameters() with requires_grad)",
                " (state_dict 크기입니다. 여기에는 BatchNorm의 running_mean 같은 버퍼도 들어 있습니다: "
                "requires_grad인 model.parameters()만 세세요)")
    if got == len(params) or got == sum(1 for p in params if p.requires_grad):
        return (" (that is the number of parameter tensors: add up p.numel(), the elements of each)",
                " (파라미터 텐서의 개수입니다: 각 텐서의 원소 수 p.numel()을 더하세요)")
    return "", ""


@pytest.mark.points(1)
@pytest.mark.parametrize("nested", [False, True], ids=["flat", "nested"])
def test_count_parameters(student, reference, rng, seed, nested):
    torch.manual_seed(seed)
    model = _layers(rng, nested)
    got, expected = _expect_count(student, reference, model, "a model")
    extra_en, extra_ko = _hint(got, model, list(model.parameters()))
    ensure(got == expected,
           f"count_parameters(model): expected {expected} trainable parameters (the sum of p.numel() over "
           f"model.parameters(), nested layers included), got {got}{extra_en}",
           f"count_parameters(model): 학습 가능한 파라미터가 {expected}개여야 하는데 {got}개입니다 "
           f"(model.parameters()의 p.numel() 합, 안쪽 층 포함){extra_ko}")


@pytest.mark.points(1, item="count_parameters.frozen")
def test_count_parameters_frozen(student, reference, rng, seed):
    torch.manual_seed(seed)
    model = _layers(rng, nested=True)
    params = list(model.parameters())
    order = torch.randperm(len(params), generator=rng).tolist()
    frozen = order[: _size(rng, 1, len(params))]
    for k in frozen:
        params[k].requires_grad_(False)
    got, expected = _expect_count(student, reference, model, "a partly frozen model")
    extra_en, extra_ko = _hint(got, model, params)
    ensure(got == expected,
           f"count_parameters(model) with {len(frozen)} frozen parameter tensor(s): expected {expected} trainable "
           f"parameters, got {got}{extra_en}",
           f"count_parameters(model), 고정된 파라미터 텐서 {len(frozen)}개: 학습 가능한 파라미터가 {expected}개여야 "
           f"하는데 {got}개입니다{extra_ko}")
