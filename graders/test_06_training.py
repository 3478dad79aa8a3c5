"""Hidden grader of 06_training.

Every check builds a small classification "rig" inside the worker (coursekit.m06_training):
a model that records each forward (training mode, grad mode), gradient hooks that record
each backward pass and whether `.grad` still held an earlier batch's gradient, an SGD that
records each step (and whether the gradients it uses are exactly those of the latest
backward), a loss that records each value, and recording schedulers. The data are random per
run; the data sets' sizes are never a multiple of the batch size, and the short last batch
holds larger inputs with labels that disagree with the rest, so averaging per batch instead
of per sample changes the result clearly. Numbers are compared with the reference run on
the same data and the same initial weights.
"""

import math

import pytest
import torch

from torchdojo.coursekit.m06_training import make_rig, rig_has_grads, rig_log, rig_params, rig_parts
from torchdojo.grading import StudentError, describe_type, ensure, expect_tensor, fail
from torchdojo.grading import random_int as _size

FEATURES, CLASSES = 5, 3
EPOCHS = 3
LR = 0.1
REL, ABS = 1e-4, 1e-6


def _data(rng, batch):
    """(x_train, y_train, x_val, y_val): sizes not divisible by `batch`, short last batch harder."""
    teacher = torch.randn(FEATURES, CLASSES, generator=rng)

    def make(n):
        x = torch.randn(n, FEATURES, generator=rng)
        y = (x @ teacher + 0.7 * torch.randn(n, CLASSES, generator=rng)).argmax(dim=1)
        tail = n % batch  # the short last batch: larger inputs, labels that disagree with the rest
        x[n - tail:] *= 3.0
        y[n - tail:] = (y[n - tail:] + 1) % CLASSES
        return x, y

    n_train = batch * _size(rng, 3, 6) + _size(rng, 1, batch // 2 + 1)
    n_val = batch * _size(rng, 2, 4) + _size(rng, 1, batch // 2 + 1)
    return (*make(n_train), *make(n_val))


class Run:
    """One rig in one worker: its pieces (RemoteObjects) and how to read what happened."""

    def __init__(self, side, data, seed, device, **options):
        self.side = side
        self.rig = side.call(make_rig, *data, seed=seed, device=device, classes=CLASSES, _keep=True,
                             _to_device=False, _what="preparing the check", **options)
        (self.model, self.train_loader, self.val_loader, self.loss_fn, self.optimizer,
         self.scheduler) = side.call(rig_parts, self.rig, _what="preparing the check")
        self.n_train_batches = math.ceil(len(data[0]) / options["batch_size"])

    def log(self):
        return self.side.call(rig_log, self.rig, _what="reading what your code did")

    def params(self):
        return self.side.call(rig_params, self.rig, _what="reading the model's parameters")


def _runs(student, reference, rng, seed, device, **options):
    batch = options.setdefault("batch_size", 8)
    data = _data(rng, batch)
    return (Run(student, data, seed, device, **options),
            Run(reference, data, seed, device, **options) if reference is not None else None)


def _expect_float(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        extra_en = extra_ko = ""
        if isinstance(value, torch.Tensor):
            extra_en = " (a tensor: turn it into a Python number with .item())"
            extra_ko = " (텐서입니다: .item()으로 파이썬 숫자로 바꾸세요)"
        fail(f"{name}: expected a Python float, got {describe_type(value)}{extra_en}",
             f"{name}: 파이썬 float이 와야 하는데 {describe_type(value)}이(가) 왔습니다{extra_ko}")
    ensure(math.isfinite(value), f"{name} is {value}, not a finite number", f"{name} 값이 {value}입니다 (유한한 수가 아님)")


def _expect_close(got, expected, name, hint_en="", hint_ko=""):
    _expect_float(got, name)
    if not math.isclose(got, expected, rel_tol=REL, abs_tol=ABS):
        fail(f"{name}: expected {expected:.6g}, got {got:.6g}{hint_en}",
             f"{name}: {expected:.6g}이어야 하는데 {got:.6g}입니다{hint_ko}")


def _expect_mean_of_own_losses(got, log, name):
    """`got` must be the per-sample mean of the loss values the student's loop computed (logged)."""
    _expect_float(got, name)
    losses = [(e[1], e[2]) for e in log if e[0] == "loss"]
    ensure(len(losses) > 0, f"{name}: loss_fn was never called", f"{name}: loss_fn이 한 번도 호출되지 않았습니다")
    per_sample = sum(v * n for v, n in losses) / sum(n for _, n in losses)
    per_batch = sum(v for v, _ in losses) / len(losses)
    if math.isclose(got, per_sample, rel_tol=1e-5, abs_tol=1e-7):
        return
    if math.isclose(got, per_batch, rel_tol=1e-5, abs_tol=1e-7):
        fail(f"{name}: got {got:.6g}, the mean of the batch means; expected {per_sample:.6g}, the mean loss per "
             "sample. The last batch is smaller, so weight each batch by its size: add loss.item() * len(x) over "
             "the batches and divide by the number of samples",
             f"{name}: 배치 평균들의 평균인 {got:.6g}이 왔습니다. 샘플당 평균 손실 {per_sample:.6g}이어야 합니다. 마지막 "
             "배치는 더 작으므로 배치 크기로 가중해야 합니다: 배치마다 loss.item() * len(x)를 더하고 전체 샘플 수로 "
             "나누세요")
    fail(f"{name}: expected {per_sample:.6g}, the mean loss per sample of the batches your loop computed "
         f"(sum of loss.item() * len(x) / number of samples), got {got:.6g}",
         f"{name}: 반복문이 계산한 배치 손실들의 샘플당 평균 {per_sample:.6g}이어야 하는데 {got:.6g}입니다 "
         "(loss.item() * len(x)의 합 / 전체 샘플 수)")


def _expect_params(student_run, reference_run, what_en, what_ko):
    got, expected = student_run.params(), reference_run.params()
    for i, (g, e) in enumerate(zip(got, expected)):
        try:
            expect_tensor(g, e, f"parameter {i}", rtol=1e-4, atol=1e-5)
        except AssertionError as problem:
            fail(f"after {what_en}, the model's parameters differ from the expected ones: {problem}",
                 f"{what_ko} 후 모델 파라미터가 기대값과 다릅니다: {getattr(problem, 'ko', problem)}")


def _train(student, reference, rng, seed, device):
    s, r = _runs(student, reference, rng, seed, device)
    got = student.train_one_epoch(s.model, s.train_loader, s.loss_fn, s.optimizer, device)
    return s, r, got


# -- train_one_epoch ----------------------------------------------------------------------

@pytest.mark.points(3)
def test_train_one_epoch(student, reference, rng, seed, device):
    s, r, got = _train(student, reference, rng, seed, device)
    _expect_mean_of_own_losses(got, s.log(), "train_one_epoch(...) (the epoch's mean training loss)")
    expected = reference.train_one_epoch(r.model, r.train_loader, r.loss_fn, r.optimizer, device)
    _expect_close(got, expected, "train_one_epoch(...) (the epoch's mean training loss)",
                  ": the model trained differently from the expected run on the same data and initial weights; "
                  "per batch: zero_grad(), forward, loss, backward(), step()",
                  ": 같은 데이터와 초기 가중치로 한 기대 실행과 다르게 학습되었습니다. 배치마다 zero_grad(), 순전파, "
                  "손실, backward(), step() 순서입니다")
    _expect_params(s, r, "one epoch of training", "한 에폭 학습")


@pytest.mark.points(1, item="train_one_epoch.train_mode")
def test_train_one_epoch_train_mode(student, rng, seed, device):
    s, _, _ = _train(student, None, rng, seed, device)
    forwards = [e for e in s.log() if e[0] == "forward"]
    ensure(len(forwards) > 0, "train_one_epoch never called the model", "train_one_epoch가 모델을 한 번도 호출하지 않았습니다")
    ensure(all(e[1] for e in forwards),
           "train_one_epoch: the model was run in evaluation mode; call model.train() at the start "
           "(the model may come from evaluate(), which left it in eval mode: dropout would stay off)",
           "train_one_epoch: 모델이 평가 모드로 실행되었습니다. 시작할 때 model.train()을 호출하세요 "
           "(evaluate()가 eval 모드로 바꿔 두었을 수 있습니다. 그러면 드롭아웃이 꺼진 채로 학습됩니다)")
    ensure(all(e[2] for e in forwards),
           "train_one_epoch: the forward pass ran with gradient tracking off (torch.no_grad()); training needs it on",
           "train_one_epoch: 순전파가 기울기 추적이 꺼진 상태(torch.no_grad())에서 실행되었습니다. 학습에는 켜져 있어야 합니다")


def _steps_after_backward(log):
    """For each step(): whether a backward pass came after the latest forward (this batch's)."""
    result = []
    forward_seen = backward_since_forward = False
    for entry in log:
        if entry[0] == "forward":
            forward_seen, backward_since_forward = True, False
        elif entry[0] == "backward":
            backward_since_forward = True
        elif entry[0] == "step":
            result.append((entry, forward_seen and backward_since_forward))
    return result


@pytest.mark.points(2, item="train_one_epoch.zero_grad")
def test_train_one_epoch_zero_grad(student, rng, seed, device):
    s, _, _ = _train(student, None, rng, seed, device)
    log = s.log()
    backwards = [e for e in log if e[0] == "backward"]
    ensure(len(backwards) > 0, "train_one_epoch never called loss.backward()",
           "train_one_epoch가 loss.backward()를 한 번도 호출하지 않았습니다")
    if not all(clean for _, clean in backwards):
        first = next(i for i, (_, clean) in enumerate(backwards) if not clean)
        fail(f"gradients accumulated: backward() number {first + 1} added to the previous batch's gradients. "
             "PyTorch adds every backward() into .grad, so call optimizer.zero_grad() before backward() in every batch",
             f"기울기가 누적되었습니다: {first + 1}번째 backward()가 이전 배치의 기울기에 더해졌습니다. 파이토치는 "
             "backward()마다 .grad에 더하므로, 매 배치마다 backward() 전에 optimizer.zero_grad()를 호출하세요")
    for entry, after_backward in _steps_after_backward(log):
        if not after_backward:
            continue  # step() before backward(): the order check's business
        state = entry[1]
        if state in ("none", "zero"):
            fail("optimizer.step() found no gradients: zero_grad() was called after backward(), which erased them "
                 "before step() could use them. Order per batch: zero_grad(), forward, loss, backward(), step()",
                 "optimizer.step()이 기울기를 찾지 못했습니다: backward() 뒤에 zero_grad()를 호출해서 step()이 쓰기 전에 "
                 "기울기를 지웠습니다. 배치마다 순서: zero_grad(), 순전파, 손실, backward(), step()")
        if state != "ok":
            fail("optimizer.step() used gradients that are not those of this batch's backward() alone "
                 "(accumulated or changed): call zero_grad() once before backward() in every batch",
                 "optimizer.step()이 이번 배치의 backward() 하나만의 기울기가 아닌 값을 썼습니다 (누적 또는 변경). "
                 "매 배치마다 backward() 전에 zero_grad()를 한 번 호출하세요")


@pytest.mark.points(2, item="train_one_epoch.order")
def test_train_one_epoch_order(student, rng, seed, device):
    s, _, _ = _train(student, None, rng, seed, device)
    steps = _steps_after_backward(s.log())
    n = s.n_train_batches
    ensure(len(steps) == n,
           f"optimizer.step() was called {len(steps)} times for {n} batches: call it once per batch",
           f"배치가 {n}개인데 optimizer.step()이 {len(steps)}번 호출되었습니다. 배치마다 한 번 호출하세요")
    ensure(all(after for _, after in steps),
           "optimizer.step() was called before loss.backward(): step() uses the gradients backward() computes, "
           "so per batch: zero_grad(), forward, loss, backward(), then step()",
           "loss.backward() 전에 optimizer.step()이 호출되었습니다. step()은 backward()가 계산한 기울기를 쓰므로 "
           "배치마다 zero_grad(), 순전파, 손실, backward(), 그다음 step() 순서여야 합니다")


# -- evaluate -----------------------------------------------------------------------------

def _evaluate(student, reference, rng, seed, device):
    s, r = _runs(student, reference, rng, seed, device, dropout=0.5, start_mode="train")
    got = student.evaluate(s.model, s.val_loader, s.loss_fn, device)
    return s, r, got


def _expect_pair(got, name):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        fail(f"{name}: expected a tuple (mean_loss, accuracy), got {describe_type(got)}",
             f"{name}: 튜플 (mean_loss, accuracy)가 와야 하는데 {describe_type(got)}이(가) 왔습니다")


@pytest.mark.points(3)
def test_evaluate(student, reference, rng, seed, device):
    s, r, got = _evaluate(student, reference, rng, seed, device)
    expected = reference.evaluate(r.model, r.val_loader, r.loss_fn, device)
    _expect_pair(got, "evaluate(...)")
    _expect_float(got[1], "accuracy")
    ensure(0.0 <= got[1] <= 1.0, f"accuracy must be a fraction in [0, 1], got {got[1]:.6g} (not a percentage or a count)",
           f"accuracy는 [0, 1] 사이의 비율이어야 하는데 {got[1]:.6g}입니다 (백분율이나 개수가 아님)")
    _expect_mean_of_own_losses(got[0], s.log(), "mean_loss (first value of evaluate)")
    _expect_close(got[0], expected[0], "mean_loss (first value of evaluate)",
                  " (evaluate in eval mode: model.eval() turns dropout off)",
                  " (평가는 eval 모드로: model.eval()이 드롭아웃을 끕니다)")
    _expect_close(got[1], expected[1], "accuracy (second value of evaluate)",
                  " (correct predictions / number of samples; prediction = argmax of the logits)",
                  " (맞힌 개수 / 전체 샘플 수; 예측 = 로짓의 argmax)")
    _expect_params(s, r, "evaluate", "evaluate")


@pytest.mark.points(2, item="evaluate.modes")
def test_evaluate_modes(student, rng, seed, device):
    s, _, _ = _evaluate(student, None, rng, seed, device)
    forwards = [e for e in s.log() if e[0] == "forward"]
    ensure(len(forwards) > 0, "evaluate never called the model", "evaluate가 모델을 한 번도 호출하지 않았습니다")
    ensure(not any(e[1] for e in forwards),
           "evaluate: the model ran in training mode; call model.eval() first (dropout must be off when evaluating)",
           "evaluate: 모델이 학습 모드로 실행되었습니다. 먼저 model.eval()을 호출하세요 (평가할 때는 드롭아웃이 꺼져야 합니다)")
    ensure(not any(e[2] for e in forwards),
           "evaluate: gradient tracking was on; wrap the loop in `with torch.no_grad():` (no graph is needed to "
           "evaluate, and building one wastes memory and time)",
           "evaluate: 기울기 추적이 켜져 있었습니다. 반복문을 `with torch.no_grad():`로 감싸세요 (평가에는 계산 그래프가 "
           "필요 없고, 만들면 메모리와 시간만 낭비합니다)")
    ensure(not student.call(rig_has_grads, s.rig, _what="reading the model's gradients"),
           "evaluate must not compute gradients (no backward() when evaluating)",
           "evaluate는 기울기를 계산하면 안 됩니다 (평가 중에는 backward()를 호출하지 마세요)")


# -- fit ----------------------------------------------------------------------------------

KEYS = ("train_loss", "val_loss", "val_acc", "lr")


def _fit(run, side, device, **extra):
    return side.fit(run.model, run.train_loader, run.val_loader, epochs=EPOCHS, optimizer=run.optimizer,
                    loss_fn=run.loss_fn, device=device, **extra)


def _expect_history(history, keys=KEYS):
    if not isinstance(history, dict):
        fail(f"fit(...) must return a dict, got {describe_type(history)}",
             f"fit(...)는 dict를 돌려줘야 하는데 {describe_type(history)}이(가) 왔습니다")
    missing = [k for k in KEYS if k not in history]
    ensure(not missing, f"the history dict lacks the key(s) {missing}; it needs {list(KEYS)}",
           f"history dict에 키 {missing}이(가) 없습니다. {list(KEYS)}가 모두 있어야 합니다")
    for key in keys:
        values = history[key]
        ensure(isinstance(values, list) and len(values) == EPOCHS,
               f"history[{key!r}] must be a list with one value per epoch ({EPOCHS}), got "
               f"{describe_type(values)}{' of length ' + str(len(values)) if isinstance(values, list) else ''}",
               f"history[{key!r}]는 에폭마다 값 하나씩({EPOCHS}개) 담긴 리스트여야 하는데 {describe_type(values)}"
               f"{'(길이 ' + str(len(values)) + ')' if isinstance(values, list) else ''}입니다")
        for i, v in enumerate(values):
            _expect_float(v, f"history[{key!r}][{i}]")


def _epoch_lrs(log):
    """The learning rates of the optimizer steps between scheduler steps: one list per epoch."""
    epochs, current = [], []
    for entry in log:
        if entry[0] == "step":
            current.append(entry[2])
        elif entry[0] == "sched":
            epochs.append(current)
            current = []
    return epochs


@pytest.mark.points(3)
def test_fit(student, reference, rng, seed, device, artifacts):
    s, r = _runs(student, reference, rng, seed, device, momentum=0.5, lr=LR)
    got = _fit(s, student, device)
    expected = _fit(r, reference, device)
    _expect_history(got)
    artifacts.save("training", history=got)  # the curves of the student's own loop
    names = {"train_loss": "train_one_epoch", "val_loss": "evaluate", "val_acc": "evaluate"}
    for key in KEYS:
        for epoch, (g, e) in enumerate(zip(got[key], expected[key])):
            hint_en = f" (check {names[key]} first)" if key in names else " (the optimizer's lr at the start of the epoch)"
            hint_ko = f" ({names[key]}부터 확인하세요)" if key in names else " (에폭을 시작할 때 옵티마이저의 lr)"
            _expect_close(g, e, f"history[{key!r}][{epoch}]", hint_en, hint_ko)
    _expect_params(s, r, f"fit(..., epochs={EPOCHS})", f"fit(..., epochs={EPOCHS})")


def _scheduler_checks(log, history):
    scheds = [e for e in log if e[0] == "sched"]
    ensure(len(scheds) == EPOCHS,
           f"scheduler.step() was called {len(scheds)} times in {EPOCHS} epochs: step the scheduler once per epoch, "
           "after the epoch's training (not inside the batch loop)",
           f"{EPOCHS} 에폭 동안 scheduler.step()이 {len(scheds)}번 호출되었습니다. 스케줄러는 에폭마다 한 번, 그 에폭의 "
           "학습이 끝난 뒤에 호출하세요 (배치 반복문 안이 아니라)")
    for epoch, lrs in enumerate(_epoch_lrs(log)):
        ensure(len(lrs) > 0,
               f"scheduler.step() was called before epoch {epoch} trained (no optimizer step between two scheduler "
               "steps): call it once at the end of each epoch, after training and validation",
               f"{epoch}번째 에폭이 학습하기 전에 scheduler.step()이 호출되었습니다 (두 스케줄러 step 사이에 옵티마이저 "
               "step이 없음). 에폭마다 학습과 검증이 끝난 뒤 한 번 호출하세요")
        ensure(math.isclose(history["lr"][epoch], lrs[0], rel_tol=1e-6),
               f"history['lr'][{epoch}] is {history['lr'][epoch]:.6g} but epoch {epoch} trained with lr {lrs[0]:.6g}: "
               "record optimizer.param_groups[0]['lr'] before the epoch trains (before scheduler.step())",
               f"history['lr'][{epoch}]가 {history['lr'][epoch]:.6g}인데 {epoch}번째 에폭은 lr {lrs[0]:.6g}로 학습했습니다. "
               "에폭 학습 전에 (scheduler.step() 전에) optimizer.param_groups[0]['lr']을 기록하세요")
    return scheds


@pytest.mark.points(2, item="fit.scheduler")
def test_fit_step_scheduler(student, rng, seed, device):
    s, _ = _runs(student, None, rng, seed, device, lr=LR, scheduler="step")
    history = _fit(s, student, device, scheduler=s.scheduler)
    _expect_history(history, keys=("lr",))
    _scheduler_checks(s.log(), history)
    for epoch, value in enumerate(history["lr"]):
        expected = LR * 0.5 ** epoch
        ensure(math.isclose(value, expected, rel_tol=1e-6),
               f"with StepLR(step_size=1, gamma=0.5) starting at lr {LR}, epoch {epoch} should train with lr "
               f"{expected:.6g}, history['lr'] says {value:.6g}",
               f"StepLR(step_size=1, gamma=0.5), 시작 lr {LR}이면 {epoch}번째 에폭은 lr {expected:.6g}로 학습해야 하는데 "
               f"history['lr']은 {value:.6g}입니다")


def _fit_plateau(run, side, device):
    try:
        return _fit(run, side, device, scheduler=run.scheduler)
    except StudentError as err:
        if err.is_a("TypeError") and "metrics" in err.raw_message:
            fail("ReduceLROnPlateau.step() needs the value to watch: call scheduler.step(val_loss) for it "
                 "(other schedulers: scheduler.step()); tell them apart with isinstance(scheduler, "
                 "torch.optim.lr_scheduler.ReduceLROnPlateau)",
                 "ReduceLROnPlateau.step()에는 지켜볼 값이 필요합니다: scheduler.step(val_loss)로 호출하세요 "
                 "(다른 스케줄러는 scheduler.step()). isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)로 "
                 "구분하세요")
        raise


@pytest.mark.points(2, item="fit.plateau")
def test_fit_plateau_scheduler(student, rng, seed, device):
    s, _ = _runs(student, None, rng, seed, device, lr=LR, scheduler="plateau")
    history = _fit_plateau(s, student, device)
    _expect_history(history, keys=("lr", "val_loss"))
    scheds = _scheduler_checks(s.log(), history)
    for epoch, entry in enumerate(scheds):
        given, val_loss = entry[1], history["val_loss"][epoch]
        ensure(math.isclose(given, val_loss, rel_tol=1e-5, abs_tol=1e-7),
               f"ReduceLROnPlateau.step() got {given:.6g} after epoch {epoch}, but that epoch's validation loss is "
               f"{val_loss:.6g}: give it the validation loss, scheduler.step(val_loss)",
               f"{epoch}번째 에폭 뒤 ReduceLROnPlateau.step()이 {given:.6g}를 받았는데 그 에폭의 검증 손실은 "
               f"{val_loss:.6g}입니다. 검증 손실을 넘기세요: scheduler.step(val_loss)")
    for epoch, value in enumerate(history["lr"]):
        expected = LR * 0.5 ** max(0, epoch - 1)  # this plateau scheduler never sees an improvement
        ensure(math.isclose(value, expected, rel_tol=1e-6),
               f"history['lr'][{epoch}] is {value:.6g}, expected {expected:.6g} (the learning rate epoch {epoch} "
               "trained with)",
               f"history['lr'][{epoch}]가 {value:.6g}인데 {expected:.6g}이어야 합니다 ({epoch}번째 에폭이 학습에 쓴 학습률)")
