"""Hidden grader of 06_training.

Every item runs a battery of cases (fixed corner cases on every run, random ones on top). A case
is a small classification set-up built in the worker (coursekit.m06_training): a tiny model with
dropout, loaders with their own generators, a plain loss, a plain SGD, maybe a scheduler. The
same case, with the same data, initial weights and seeds (dropout masks, shuffling), runs in the
student's worker and in the reference's, and the scorer compares the outcomes: the returned mean
loss, the (loss, accuracy) of evaluate, the history of fit, and the model's parameters afterwards.
Nothing the worker records about the student's code gives a point.

How each item isolates its own mistake:
- train_one_epoch: several batches, the last one shorter with larger inputs and other labels
  (averaging per batch gives another number), dropout on, the model arrives in training mode.
- .train_mode: one batch, dropout on, the model arrives in eval mode: without model.train() the
  batch loss is that of the model without dropout.
- .zero_grad: several batches, no dropout: accumulated or erased gradients change the parameters.
- .order: one batch per case (so a missing zero_grad changes nothing): step() before backward()
  leaves the parameters as they were.
- evaluate: several batches, short last batch, dropout on, the model arrives in training mode.
- .modes: one batch, dropout on (eval mode is an outcome); torch.no_grad() is a rule: a probe
  with module-private records (no forward with gradient tracking on) AND a static check of the
  source (evaluate, or what it calls, uses no_grad / inference_mode as `with` or decorator).
- fit, .scheduler, .plateau: three epochs; the history lists and the parameters after fit. For
  the plateau scheduler the validation labels disagree with the training labels, so the
  validation loss rises while the training loss falls: which loss it is given shows in the lr.
"""

from __future__ import annotations

import ast
import math
import secrets

import pytest
import torch

from torchdojo.coursekit.m06_training import run_cases, run_variant
from torchdojo.grading import StudentError, cases, describe_type, ensure, fail, fixed_generator
from torchdojo.grading import random_int as _size

FEATURES, CLASSES, HIDDEN = 5, 3, 16
EPOCHS = 3
LR = 0.1
REL, ABS = 1e-4, 1e-6
KEYS = ("train_loss", "val_loss", "val_acc", "lr")
EVAL_LOSS = ("mean_loss (first value of evaluate)", "mean_loss (evaluate의 첫 번째 값)")
EVAL_ACC = ("accuracy (second value of evaluate)", "accuracy (evaluate의 두 번째 값)")


# -- cases ----------------------------------------------------------------------------------

def _make(gen, teacher, n, batch, *, hard_tail=True, flip=False):
    """n samples of a noisy linear teacher; the short last batch: larger inputs, other labels."""
    x = torch.randn(n, FEATURES, generator=gen)
    y = (x @ teacher + 0.7 * torch.randn(n, CLASSES, generator=gen)).argmax(dim=1)
    if flip:
        y = (y + 1) % CLASSES
    tail = n % batch
    if hard_tail and tail:
        x[n - tail:] *= 3.0
        y[n - tail:] = (y[n - tail:] + 1) % CLASSES
    return x, y


def _case(gen, *, n_train, batch, n_val=None, val_batch=None, seed, flip_val=False, **options):
    teacher = torch.randn(FEATURES, CLASSES, generator=gen)
    n_val = n_val or n_train
    val_batch = val_batch or batch
    x_train, y_train = _make(gen, teacher, n_train, batch)
    x_val, y_val = _make(gen, teacher, n_val, val_batch, flip=flip_val, hard_tail=not flip_val)
    options = {"batch_size": batch, "val_batch_size": val_batch, "seed": seed, "classes": CLASSES,
               "hidden": HIDDEN, **options}
    return {"data": (x_train, y_train, x_val, y_val), "options": options,
            "label": (n_train, batch, n_val, val_batch)}


def _battery(rng, fixed, random, count):
    return list(cases(rng, fixed=fixed, random=random, count=count))


def _describe(case, which="train"):
    n_train, batch, n_val, val_batch = case["label"]
    n, b = (n_train, batch) if which == "train" else (n_val, val_batch)
    batches = math.ceil(n / b)
    if batches == 1:
        return f"a case with {n} samples in one batch", f"샘플 {n}개가 배치 하나인 경우"
    last = n - (batches - 1) * b
    return (f"a case with {n} samples in batches of {b} (the last one has {last})",
            f"샘플 {n}개, 배치 크기 {b}인 경우 (마지막 배치는 {last}개)")


# -- running a battery on both sides ------------------------------------------------------

FUNCTION = {"train": "train_one_epoch", "evaluate": "evaluate", "fit": "fit"}


def _run(side, kind, battery, device, record_losses=False):
    name = FUNCTION[kind]
    fn = side.attr(name)
    return side.call(run_cases, kind, fn, [{"data": c["data"], "options": c["options"]} for c in battery], device,
                     EPOCHS, record_losses, _to_device=False, _what=f"calling {name}")


def _both(student, reference, kind, battery, device):
    got = _run(student, kind, battery, device)
    expected = _run(reference, kind, battery, device, record_losses=True)
    return got, expected


def _variant(reference, kind, variant, case, device):
    return reference.call(run_variant, kind, variant, [{"data": case["data"], "options": case["options"]}], device,
                          _to_device=False, _what="preparing a hint")[0]


# -- comparisons ----------------------------------------------------------------------------

def _number(value, name, *, lenient=False):
    """`value` as a Python float; `lenient` also takes a one-element tensor (sub-items). `name`: str or (en, ko)."""
    name, name_ko = name if isinstance(name, tuple) else (name, name)
    if lenient and isinstance(value, torch.Tensor) and value.numel() == 1 and value.dtype.is_floating_point:
        value = float(value.reshape(()))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        extra_en = extra_ko = ""
        if isinstance(value, torch.Tensor):
            extra_en = " (a tensor: turn it into a Python number with .item())"
            extra_ko = " (텐서입니다: .item()으로 파이썬 숫자로 바꾸세요)"
        fail(en=f"{name}: expected a Python float, got {describe_type(value)}{extra_en}",
             ko=f"{name_ko}: 파이썬 float이 와야 하는데 {describe_type(value)}이(가) 왔습니다{extra_ko}")
    value = float(value)
    ensure(math.isfinite(value), en=f"{name} is {value}, not a finite number", ko=f"{name_ko} 값이 {value}입니다 (유한한 수가 아님)")
    return value


def _close(a, b, rel=REL, abs_=ABS):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _params_equal(got, expected):
    if not isinstance(got, list) or len(got) != len(expected):
        return False
    for g, e in zip(got, expected):
        if not isinstance(g, torch.Tensor) or g.shape != e.shape or g.dtype != e.dtype:
            return False
        if not torch.allclose(g, e, rtol=1e-4, atol=1e-5):
            return False
    return True


def _largest_difference(got, expected):
    try:
        return max(float((g.double() - e.double()).abs().max()) for g, e in zip(got, expected))
    except Exception:
        return float("nan")


def _per_batch_mean(losses):
    return sum(v for v, _ in losses) / len(losses) if losses else float("nan")


# -- train_one_epoch ------------------------------------------------------------------------

def _params_failure(reference, kind, case, got, expected, device, what_en, what_ko, where):
    """A message for parameters that differ from the reference's after `what`."""
    en_case, ko_case = where
    if _params_equal(got["params"], got["initial"]):
        fail(en=f"{en_case}: after {what_en} the model's parameters are exactly as they started: optimizer.step() never "
                "changed them. step() uses the gradients that backward() leaves in .grad, so per batch: zero_grad(), "
                "forward, loss, backward(), then step() (zero_grad() after backward() erases them; step() before "
                "backward() finds none yet)",
             ko=f"{ko_case}: {what_ko} 후 모델 파라미터가 처음 그대로입니다. optimizer.step()이 파라미터를 한 번도 바꾸지 "
                "못했습니다. step()은 backward()가 .grad에 남긴 기울기를 쓰므로 배치마다 zero_grad(), 순전파, 손실, "
                "backward(), 그다음 step() 순서여야 합니다 (backward() 뒤의 zero_grad()는 기울기를 지우고, backward() 전의 "
                "step()은 아직 기울기를 찾지 못합니다)")
    if kind == "train" and _params_equal(got["params"], _variant(reference, kind, "no_zero_grad", case, device)["params"]):
        fail(en=f"{en_case}: gradients accumulated over the batches: PyTorch adds every backward() into .grad, so call "
                "optimizer.zero_grad() before backward() in every batch",
             ko=f"{ko_case}: 기울기가 배치마다 누적되었습니다. 파이토치는 backward()마다 .grad에 더하므로, 매 배치마다 "
                "backward() 전에 optimizer.zero_grad()를 호출하세요")
    largest = _largest_difference(got["params"], expected["params"])
    fail(en=f"{en_case}: after {what_en} the model's parameters differ from those of the expected run on the same data, "
            f"initial weights and random seeds (largest difference {largest:.3g}); per batch: zero_grad(), forward, "
            "loss, backward(), step(), once each",
         ko=f"{ko_case}: {what_ko} 후 모델 파라미터가 같은 데이터, 초기 가중치, 난수 시드로 한 기대 실행과 다릅니다 "
            f"(가장 큰 차이 {largest:.3g}). 배치마다 zero_grad(), 순전파, 손실, backward(), step()을 한 번씩 하세요")


def _expect_params(reference, kind, case, got, expected, device, what_en, what_ko, which="train"):
    if not _params_equal(got["params"], expected["params"]):
        _params_failure(reference, kind, case, got, expected, device, what_en, what_ko, _describe(case, which))


def _expect_mean_loss(got_value, expected, case, names, which="train"):
    en_case, ko_case = _describe(case, which)
    name, name_ko = names
    want = expected["result"] if which == "train" else expected["result"][0]
    if _close(got_value, want):
        return
    per_batch = _per_batch_mean(expected["losses"])
    if _close(got_value, per_batch) and not _close(per_batch, want):
        fail(en=f"{en_case}: {name} is {got_value:.6g}, the mean of the batch means; the mean loss per sample is "
                f"{want:.6g}. The last batch is smaller, so weight each batch by its size: add loss.item() * len(x) "
                "over the batches and divide by the number of samples",
             ko=f"{ko_case}: {name_ko} 값 {got_value:.6g}은(는) 배치 평균들의 평균입니다. 샘플당 평균 손실은 {want:.6g}입니다. "
                "마지막 배치는 더 작으므로 배치 크기로 가중하세요: 배치마다 loss.item() * len(x)를 더하고 전체 샘플 수로 "
                "나누세요")
    fail(en=f"{en_case}: {name}: expected {want:.6g} (the mean loss per sample), got {got_value:.6g}",
         ko=f"{ko_case}: {name_ko}: {want:.6g}(샘플당 평균 손실)이어야 하는데 {got_value:.6g}입니다")


def _train_case(gen_tag, n, batch, seed, **options):
    return _case(fixed_generator(gen_tag), n_train=n, batch=batch, seed=seed, **options)


def _random_train_case(**options):
    def make(rng):
        batch = _size(rng, 3, 9)
        n = batch * _size(rng, 2, 5) + _size(rng, 1, batch)
        return _case(rng, n_train=n, batch=batch, seed=_size(rng, 0, 2**20), **options)
    return make


MAIN = {"dropout": 0.5, "start_mode": "train"}


@pytest.mark.points(3)
def test_train_one_epoch(student, reference, rng, device):
    battery = _battery(rng, [_train_case(601, 27, 8, 11, **MAIN), _train_case(602, 21, 5, 12, **MAIN),
                             _train_case(603, 11, 4, 13, **MAIN)], _random_train_case(**MAIN), 2)
    got, expected = _both(student, reference, "train", battery, device)
    name = ("train_one_epoch(...) (the epoch's mean training loss)", "train_one_epoch(...) (에폭의 평균 학습 손실)")
    for case, g, e in zip(battery, got, expected):
        value = _number(g["result"], name)
        _expect_params(reference, "train", case, g, e, device, "one epoch", "한 에폭 학습")
        _expect_mean_loss(value, e, case, name)


def _random_single(**options):
    def make(rng):
        n = _size(rng, 2, 13)
        return _case(rng, n_train=n, batch=n, seed=_size(rng, 0, 2**20), **options)
    return make


TRAIN_MODE = {"dropout": 0.5, "start_mode": "eval"}


@pytest.mark.points(1, item="train_one_epoch.train_mode")
def test_train_one_epoch_train_mode(student, reference, rng, device):
    battery = _battery(rng, [_train_case(611, 7, 7, 21, **TRAIN_MODE), _train_case(612, 12, 16, 22, **TRAIN_MODE)],
                       _random_single(**TRAIN_MODE), 2)
    got, expected = _both(student, reference, "train", battery, device)
    for case, g, e in zip(battery, got, expected):
        en_case, ko_case = _describe(case)
        value = _number(g["result"], "train_one_epoch(...)", lenient=True)
        if _close(value, e["result"]):
            continue
        in_eval = _variant(reference, "train", "eval_mode_training", case, device)["result"]
        if _close(value, in_eval):
            fail(en=f"{en_case}: the model was trained in evaluation mode, with dropout off: the model arrived in eval "
                    "mode (as evaluate() leaves it), so call model.train() at the start of train_one_epoch",
                 ko=f"{ko_case}: 모델이 드롭아웃이 꺼진 평가 모드로 학습되었습니다. 모델이 eval 모드로 들어왔으므로 "
                    "(evaluate()가 그렇게 남겨 둡니다) train_one_epoch를 시작할 때 model.train()을 호출하세요")
        fail(en=f"{en_case}: the loss of the only batch should be {e['result']:.6g} (the model in training mode, dropout "
                f"on), got {value:.6g}; call model.train() first, then compute the loss of each batch with loss_fn",
             ko=f"{ko_case}: 하나뿐인 배치의 손실이 {e['result']:.6g}(학습 모드, 드롭아웃 켜짐)이어야 하는데 {value:.6g}입니다. "
                "먼저 model.train()을 호출하고, 배치마다 loss_fn으로 손실을 계산하세요")


PLAIN = {"dropout": 0.0, "start_mode": "train"}


@pytest.mark.points(2, item="train_one_epoch.zero_grad")
def test_train_one_epoch_zero_grad(student, reference, rng, device):
    battery = _battery(rng, [_train_case(621, 20, 6, 31, **PLAIN), _train_case(622, 9, 3, 32, **PLAIN)],
                       _random_train_case(**PLAIN), 2)
    got, expected = _both(student, reference, "train", battery, device)
    for case, g, e in zip(battery, got, expected):
        _expect_params(reference, "train", case, g, e, device, "one epoch", "한 에폭 학습")


@pytest.mark.points(2, item="train_one_epoch.order")
def test_train_one_epoch_order(student, reference, rng, device):
    battery = _battery(rng, [_train_case(631, 6, 6, 41, **PLAIN), _train_case(632, 9, 16, 42, **PLAIN)],
                       _random_single(**PLAIN), 2)
    got, expected = _both(student, reference, "train", battery, device)
    for case, g, e in zip(battery, got, expected):
        _expect_params(reference, "train", case, g, e, device, "one epoch", "한 에폭 학습")


# -- evaluate -------------------------------------------------------------------------------

def _expect_pair(got, name):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(en=f"{name}: expected a tuple (mean_loss, accuracy), got {describe_type(got)}",
             ko=f"{name}: 튜플 (mean_loss, accuracy)가 와야 하는데 {describe_type(got)}이(가) 왔습니다")


def _eval_case(gen_tag, n, batch, seed, **options):
    return _case(fixed_generator(gen_tag), n_train=4, batch=4, n_val=n, val_batch=batch, seed=seed, **options)


EVAL = {"dropout": 0.5, "start_mode": "train"}


def _random_eval_case(single=False):
    def make(rng):
        batch = _size(rng, 3, 9)
        n = _size(rng, 2, 13) if single else batch * _size(rng, 2, 5) + _size(rng, 1, batch)
        return _case(rng, n_train=4, batch=4, n_val=n, val_batch=n if single else batch,
                     seed=_size(rng, 0, 2**20), **EVAL)
    return make


@pytest.mark.points(3)
def test_evaluate(student, reference, rng, device):
    battery = _battery(rng, [_eval_case(641, 26, 8, 51, **EVAL), _eval_case(642, 16, 5, 52, **EVAL),
                             _eval_case(643, 13, 4, 53, **EVAL)], _random_eval_case(), 2)
    got, expected = _both(student, reference, "evaluate", battery, device)
    for case, g, e in zip(battery, got, expected):
        en_case, ko_case = _describe(case, "val")
        _expect_pair(g["result"], "evaluate(...)")
        loss = _number(g["result"][0], EVAL_LOSS)
        acc = _number(g["result"][1], EVAL_ACC)
        ensure(0.0 <= acc <= 1.0,
               en=f"accuracy must be a fraction in [0, 1], got {acc:.6g} (not a percentage or a count)",
               ko=f"accuracy는 [0, 1] 사이의 비율이어야 하는데 {acc:.6g}입니다 (백분율이나 개수가 아님)")
        if not _close(loss, e["result"][0]):
            train_mode = _variant(reference, "evaluate", "train_mode_evaluate", case, device)["result"][0]
            if _close(loss, train_mode):
                fail(en=f"{en_case}: the model was evaluated in training mode (dropout on): call model.eval() first",
                     ko=f"{ko_case}: 모델이 학습 모드(드롭아웃 켜짐)로 평가되었습니다. 먼저 model.eval()을 호출하세요")
        _expect_mean_loss(loss, e, case, EVAL_LOSS, which="val")
        want = e["result"][1]
        ensure(_close(acc, want),
               en=f"{en_case}: accuracy: expected {want:.6g}, got {acc:.6g} (correct predictions / number of samples, "
                  "over the whole loader; prediction = argmax of the logits)",
               ko=f"{ko_case}: accuracy: {want:.6g}이어야 하는데 {acc:.6g}입니다 (로더 전체에서 맞힌 개수 / 전체 샘플 수; "
                  "예측 = 로짓의 argmax)")
        ensure(_params_equal(g["params"], e["params"]),
               en=f"{en_case}: evaluate changed the model's parameters: evaluating must not train",
               ko=f"{ko_case}: evaluate가 모델 파라미터를 바꿨습니다. 평가할 때는 학습하면 안 됩니다")
        ensure(not g["has_grads"],
               en=f"{en_case}: evaluate must not compute gradients (no backward() when evaluating)",
               ko=f"{ko_case}: evaluate는 기울기를 계산하면 안 됩니다 (평가 중에는 backward()를 호출하지 마세요)")


NO_GRAD_NAMES = {"no_grad", "inference_mode"}


def _is_no_grad(node):
    """`torch.no_grad()`, `no_grad()`, `torch.inference_mode()`, `torch.set_grad_enabled(False)` (or undecorated)."""
    call = node.func if isinstance(node, ast.Call) else node
    name = call.attr if isinstance(call, ast.Attribute) else call.id if isinstance(call, ast.Name) else None
    if name in NO_GRAD_NAMES:
        return True
    if name == "set_grad_enabled" and isinstance(node, ast.Call) and node.args:
        arg = node.args[0]
        return isinstance(arg, ast.Constant) and arg.value is False
    return False


def _reachable(source, name):
    """Every top-level definition `name` reaches, also earlier ones a later one wraps (`_old = evaluate`)."""
    defs = {}
    for node in source.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs.setdefault(node.name, []).append(node)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target]):
                if isinstance(target, ast.Name):
                    defs.setdefault(target.id, []).append(node)
    seen, todo, found = set(), [name], []
    while todo:
        current = todo.pop()
        if current in seen or current not in defs:
            continue
        seen.add(current)
        for node in defs[current]:
            found.append(node)
            todo.extend(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and n.id in defs)
    return found


def _uses_no_grad(source, name):
    for definition in _reachable(source, name):
        for node in ast.walk(definition):
            if isinstance(node, (ast.With, ast.AsyncWith)) and any(_is_no_grad(i.context_expr) for i in node.items):
                return True
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                    _is_no_grad(d) for d in node.decorator_list):
                return True
    return False


@pytest.mark.points(2, item="evaluate.modes")
def test_evaluate_modes(student, reference, rng, device, source):
    battery = _battery(rng, [_eval_case(651, 9, 9, 61, **EVAL), _eval_case(652, 5, 8, 62, **EVAL)],
                       _random_eval_case(single=True), 1)
    for case in battery:
        case["options"]["token"] = secrets.token_hex(16)
    got, expected = _both(student, reference, "evaluate", battery, device)
    for case, g, e in zip(battery, got, expected):
        en_case, ko_case = _describe(case, "val")
        _expect_pair(g["result"], "evaluate(...)")
        loss = _number(g["result"][0], EVAL_LOSS, lenient=True)
        if not _close(loss, e["result"][0]):
            train_mode = _variant(reference, "evaluate", "train_mode_evaluate", case, device)["result"][0]
            if _close(loss, train_mode):
                fail(en=f"{en_case}: the model was evaluated in training mode, so dropout was on: call model.eval() "
                        "first (the model may arrive in training mode)",
                     ko=f"{ko_case}: 모델이 학습 모드로 평가되어 드롭아웃이 켜져 있었습니다. 먼저 model.eval()을 호출하세요 "
                        "(모델이 학습 모드로 들어올 수 있습니다)")
            fail(en=f"{en_case}: the loss of the only batch should be {e['result'][0]:.6g} (the model in eval mode, dropout "
                    f"off), got {loss:.6g}",
                 ko=f"{ko_case}: 하나뿐인 배치의 손실이 {e['result'][0]:.6g}(eval 모드, 드롭아웃 꺼짐)이어야 하는데 "
                    f"{loss:.6g}입니다")
        probe = g["probe"] or {}
        ensure(probe.get("forwards", 0) > 0, en=f"{en_case}: evaluate never called the model",
               ko=f"{ko_case}: evaluate가 모델을 한 번도 호출하지 않았습니다")
        ensure(probe.get("with_grad", 1) == 0,
               en="evaluate: the model ran with gradient tracking on; wrap the loop in `with torch.no_grad():` (no graph "
                  "is needed to evaluate, and building one wastes memory and time)",
               ko="evaluate: 기울기 추적이 켜진 채로 모델이 실행되었습니다. 반복문을 `with torch.no_grad():`로 감싸세요 "
                  "(평가에는 계산 그래프가 필요 없고, 만들면 메모리와 시간만 낭비합니다)")
    ensure(source.ok and _uses_no_grad(source, "evaluate"),
           en="evaluate: no `with torch.no_grad():` (or torch.inference_mode()) found in evaluate or in what it calls; "
              "evaluate inside it",
           ko="evaluate: evaluate나 그것이 호출하는 함수에서 `with torch.no_grad():`(또는 torch.inference_mode())를 찾지 "
              "못했습니다. 그 안에서 평가하세요")


# -- fit ------------------------------------------------------------------------------------

def _expect_history(history, keys=KEYS):
    if not isinstance(history, dict):
        fail(en=f"fit(...) must return a dict, got {describe_type(history)}",
             ko=f"fit(...)는 dict를 돌려줘야 하는데 {describe_type(history)}이(가) 왔습니다")
    missing = [k for k in KEYS if k not in history]
    ensure(not missing, en=f"the history dict lacks the key(s) {missing}; it needs {list(KEYS)}",
           ko=f"history dict에 키 {missing}이(가) 없습니다. {list(KEYS)}가 모두 있어야 합니다")
    out = {}
    for key in keys:
        values = history[key]
        ensure(isinstance(values, list) and len(values) == EPOCHS,
               en=f"history[{key!r}] must be a list with one value per epoch ({EPOCHS}), got "
                  f"{describe_type(values)}{' of length ' + str(len(values)) if isinstance(values, list) else ''}",
               ko=f"history[{key!r}]는 에폭마다 값 하나씩({EPOCHS}개) 담긴 리스트여야 하는데 {describe_type(values)}"
                  f"{'(길이 ' + str(len(values)) + ')' if isinstance(values, list) else ''}입니다")
        out[key] = [_number(v, f"history[{key!r}][{i}]") for i, v in enumerate(values)]
    return out


def _fit_case(gen_tag, n, batch, seed, **options):
    return _case(fixed_generator(gen_tag), n_train=n, batch=batch, n_val=n - 3, val_batch=batch, seed=seed,
                 **options)


def _random_fit_case(**options):
    def make(rng):
        batch = _size(rng, 3, 9)
        n = batch * _size(rng, 2, 5) + _size(rng, 1, batch)
        return _case(rng, n_train=n, batch=batch, n_val=n, val_batch=batch, seed=_size(rng, 0, 2**20), **options)
    return make


FIT = {"dropout": 0.0, "start_mode": "eval", "momentum": 0.5, "lr": LR, "shuffle": True}


def _run_fit(student, reference, battery, device):
    try:
        return _both(student, reference, "fit", battery, device)
    except StudentError as err:
        if err.is_a("TypeError") and "metrics" in err.raw_message:
            fail(en="ReduceLROnPlateau.step() needs the value to watch: call scheduler.step(val_loss) for it "
                    "(other schedulers: scheduler.step()); tell them apart with isinstance(scheduler, "
                    "torch.optim.lr_scheduler.ReduceLROnPlateau)",
                 ko="ReduceLROnPlateau.step()에는 지켜볼 값이 필요합니다: scheduler.step(val_loss)로 호출하세요 "
                    "(다른 스케줄러는 scheduler.step()). isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)로 "
                    "구분하세요")
        raise


@pytest.mark.points(3)
def test_fit(student, reference, rng, device, artifacts):
    battery = _battery(rng, [_fit_case(661, 22, 6, 71, **FIT), _fit_case(662, 17, 4, 72, **FIT)],
                       _random_fit_case(**FIT), 1)
    got, expected = _run_fit(student, reference, battery, device)
    names = {"train_loss": "train_one_epoch", "val_loss": "evaluate", "val_acc": "evaluate"}
    for index, (case, g, e) in enumerate(zip(battery, got, expected)):
        history = _expect_history(g["result"])
        if index == 0:
            artifacts.save("training", history=history)  # the curves of the student's own loop
        en_case, ko_case = _describe(case)
        for key in KEYS:
            for epoch, (value, want) in enumerate(zip(history[key], e["result"][key])):
                if key in names:
                    hint_en, hint_ko = f" (check {names[key]} first)", f" ({names[key]}부터 확인하세요)"
                else:
                    hint_en = " (the optimizer's lr when the epoch starts: optimizer.param_groups[0]['lr'])"
                    hint_ko = " (에폭을 시작할 때 옵티마이저의 lr: optimizer.param_groups[0]['lr'])"
                ensure(_close(value, want),
                       en=f"{en_case}: history[{key!r}][{epoch}]: expected {want:.6g}, got {value:.6g}{hint_en}",
                       ko=f"{ko_case}: history[{key!r}][{epoch}]: {want:.6g}이어야 하는데 {value:.6g}입니다{hint_ko}")
        _expect_params(reference, "fit", case, g, e, device, f"fit(..., epochs={EPOCHS})", f"fit(..., epochs={EPOCHS})")


def _expect_schedule(case, g, e, expected_lr_en, expected_lr_ko, hint_en, hint_ko):
    """The lr each epoch trained with (history) and the parameters (where those rates show)."""
    en_case, ko_case = _describe(case)
    history = _expect_history(g["result"], keys=("lr",))
    want = e["result"]["lr"]
    n_batches = math.ceil(case["label"][0] / case["label"][1])
    for epoch, (value, lr) in enumerate(zip(history["lr"], want)):
        if _close(value, lr, rel=1e-6, abs_=1e-12):
            continue
        shifted = all(_close(history["lr"][i], want[i + 1], rel=1e-6, abs_=1e-12) for i in range(EPOCHS - 1))
        if shifted and epoch + 1 < EPOCHS:
            fail(en=f"{en_case}: history['lr'][{epoch}] is {value:.6g}, the rate after scheduler.step(); epoch {epoch} "
                    f"trained with {lr:.6g}: record optimizer.param_groups[0]['lr'] when the epoch starts",
                 ko=f"{ko_case}: history['lr'][{epoch}]가 scheduler.step() 뒤의 학습률 {value:.6g}입니다. {epoch}번째 에폭은 "
                    f"{lr:.6g}로 학습했습니다. 에폭을 시작할 때 optimizer.param_groups[0]['lr']을 기록하세요")
        fail(en=f"{en_case}: history['lr'][{epoch}] is {value:.6g}, expected {lr:.6g} ({expected_lr_en}). "
                f"{hint_en} ({n_batches} batches per epoch here)",
             ko=f"{ko_case}: history['lr'][{epoch}]가 {value:.6g}인데 {lr:.6g}이어야 합니다 ({expected_lr_ko}). "
                f"{hint_ko} (여기서는 에폭마다 배치 {n_batches}개)")
    if _params_equal(g["params"], g["initial"]):
        fail(en=f"{en_case}: the learning rates in history are right, but fit never changed the model's parameters: "
                "train every epoch with train_one_epoch (if train_one_epoch loses points, fix it first)",
             ko=f"{ko_case}: history의 학습률은 맞지만 fit이 모델 파라미터를 한 번도 바꾸지 않았습니다. 에폭마다 "
                "train_one_epoch로 학습하세요 (train_one_epoch가 점수를 잃었다면 그것부터 고치세요)")
    if not _params_equal(g["params"], e["params"]):
        largest = _largest_difference(g["params"], e["params"])
        fail(en=f"{en_case}: the learning rates in history are right, but the parameters after fit differ from those of the "
                f"expected run (largest difference {largest:.3g}): the epochs did not train with those rates. Step the "
                "scheduler once per epoch, after validation; if train_one_epoch loses points, fix it first",
             ko=f"{ko_case}: history의 학습률은 맞지만 fit 후 파라미터가 기대 실행과 다릅니다 (가장 큰 차이 {largest:.3g}). "
                "에폭들이 그 학습률로 학습하지 않았습니다. 스케줄러는 에폭마다 한 번, 검증 뒤에 step 하세요. "
                "train_one_epoch가 점수를 잃었다면 그것부터 고치세요")


STEP = {"dropout": 0.0, "start_mode": "eval", "lr": LR, "scheduler": "step"}


@pytest.mark.points(2, item="fit.scheduler")
def test_fit_step_scheduler(student, reference, rng, device):
    battery = _battery(rng, [_fit_case(671, 14, 4, 81, **STEP), _fit_case(672, 10, 3, 82, **STEP)],
                       _random_fit_case(**STEP), 1)
    got, expected = _run_fit(student, reference, battery, device)
    for case, g, e in zip(battery, got, expected):
        _expect_schedule(case, g, e, f"StepLR(step_size=1, gamma=0.5) from lr {LR}",
                         f"시작 lr {LR}의 StepLR(step_size=1, gamma=0.5)",
                         "Step the scheduler once per epoch, after validation, not inside the batch loop",
                         "스케줄러는 배치 반복문 안이 아니라 에폭마다 한 번, 검증이 끝난 뒤 step 하세요")


PLATEAU = {"dropout": 0.0, "start_mode": "eval", "lr": 0.5, "scheduler": "plateau", "flip_val": True}


def _plateau_case(gen_tag, n, batch, seed):
    return _case(fixed_generator(gen_tag), n_train=n, batch=batch, n_val=n, val_batch=batch, seed=seed, **PLATEAU)


@pytest.mark.points(2, item="fit.plateau")
def test_fit_plateau_scheduler(student, reference, rng, device):
    battery = _battery(rng, [_plateau_case(681, 14, 4, 91), _plateau_case(682, 20, 6, 92)],
                       _random_fit_case(**PLATEAU), 1)
    got, expected = _run_fit(student, reference, battery, device)
    for case, g, e in zip(battery, got, expected):
        _expect_schedule(case, g, e, "ReduceLROnPlateau(factor=0.5, patience=0) given the validation loss of each "
                         "epoch: scheduler.step(val_loss)",
                         "에폭마다 검증 손실을 받은 ReduceLROnPlateau(factor=0.5, patience=0): scheduler.step(val_loss)",
                         "Call scheduler.step(val_loss) once per epoch, after validation, with that epoch's validation "
                         "loss (not the training loss, and not inside the batch loop)",
                         "에폭마다 한 번, 검증이 끝난 뒤 그 에폭의 검증 손실로 scheduler.step(val_loss)를 호출하세요 "
                         "(학습 손실이 아니라 검증 손실이고, 배치 반복문 안이 아닙니다)")
