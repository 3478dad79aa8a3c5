"""06_training: every COURSE.md "Catch" loses its item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "06_training"
ALL = ("train_one_epoch", "train_one_epoch.train_mode", "train_one_epoch.zero_grad", "train_one_epoch.order",
       "evaluate", "evaluate.modes", "fit", "fit.scheduler", "fit.plateau")
# Wrong gradients change every parameter outcome after more than one batch: the fit items too (their
# parameters show the rates each epoch trained with). One batch per epoch (.order) hides accumulation.
TRAINS_WRONG = ("train_one_epoch", "train_one_epoch.zero_grad", "fit", "fit.scheduler", "fit.plateau")
# No step ever changes anything: indistinguishable, by outcome, from no training at all.
NEVER_STEPS = ("train_one_epoch", "train_one_epoch.zero_grad", "train_one_epoch.order", "fit", "fit.scheduler",
               "fit.plateau")

MUTANTS = [
    Mutant("zero_grad_missing", M, loses=TRAINS_WRONG,
           why="zero_grad missing", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total, count = 0.0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(x)
                count += len(x)
            return total / count
    """),
    Mutant("zero_grad_after_backward", M, loses=NEVER_STEPS,
           why="zero_grad after backward", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total, count = 0.0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.zero_grad()
                optimizer.step()
                total += loss.item() * len(x)
                count += len(x)
            return total / count
    """),
    Mutant("step_before_backward", M, loses=NEVER_STEPS,
           why="step before backward", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total, count = 0.0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                optimizer.step()
                loss.backward()
                total += loss.item() * len(x)
                count += len(x)
            return total / count
    """),
    Mutant("per_batch_average", M, loses=("train_one_epoch", "fit"), why="per-batch averaging", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            losses = []
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
            return sum(losses) / len(losses)
    """),
    Mutant("per_batch_average_evaluate", M, loses=("evaluate", "fit"), why="per-batch averaging (evaluate)", code="""
        def evaluate(model, loader, loss_fn, device):
            model.eval()
            losses, correct, count = [], 0, 0
            with torch.no_grad():
                for x, y in loader:
                    x, y = x.to(device), y.to(device)
                    logits = model(x)
                    losses.append(loss_fn(logits, y).item())
                    correct += (logits.argmax(dim=1) == y).sum().item()
                    count += len(x)
            return sum(losses) / len(losses), correct / count
    """),
    Mutant("no_eval_mode", M, loses=("evaluate", "evaluate.modes"), why="eval mode missing in evaluate", code="""
        def evaluate(model, loader, loss_fn, device):
            total, correct, count = 0.0, 0, 0
            with torch.no_grad():
                for x, y in loader:
                    x, y = x.to(device), y.to(device)
                    logits = model(x)
                    total += loss_fn(logits, y).item() * len(x)
                    correct += (logits.argmax(dim=1) == y).sum().item()
                    count += len(x)
            return total / count, correct / count
    """),
    Mutant("no_no_grad", M, loses=("evaluate.modes",), why="no_grad missing in evaluate", code="""
        def evaluate(model, loader, loss_fn, device):
            model.eval()
            total, correct, count = 0.0, 0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y).item() * len(x)
                correct += (logits.argmax(dim=1) == y).sum().item()
                count += len(x)
            return total / count, correct / count
    """),
    Mutant("accuracy_percent", M, loses=("evaluate", "fit"), why="accuracy as a percentage", code="""
        _evaluate = evaluate

        def evaluate(model, loader, loss_fn, device):
            loss, acc = _evaluate(model, loader, loss_fn, device)
            return loss, 100.0 * acc
    """),
    Mutant("no_train_mode", M, loses=("train_one_epoch.train_mode",), why="model.train() missing", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            total, count = 0.0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(x)
                count += len(x)
            return total / count
    """),
    Mutant("loss_as_tensor", M, loses=("train_one_epoch", "fit"), why="a tensor where a float is due", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total, count = 0.0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                optimizer.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total = total + loss.detach() * len(x)
                count += len(x)
            return total / count
    """),
    Mutant("scheduler_per_batch", M, loses=("fit.scheduler", "fit.plateau"), why="scheduler stepped per batch",
           code="""
        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
            plateau = isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
            for _ in range(epochs):
                history["lr"].append(optimizer.param_groups[0]["lr"])
                model.train()
                total, count = 0.0, 0
                for x, y in train_loader:
                    x, y = x.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    optimizer.step()
                    if scheduler is not None:
                        scheduler.step(loss.item()) if plateau else scheduler.step()
                    total += loss.item() * len(x)
                    count += len(x)
                val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
                history["train_loss"].append(total / count)
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
            return history
    """),
    Mutant("plateau_train_loss", M, loses=("fit.plateau",), why="ReduceLROnPlateau given the training loss", code="""
        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
            for _ in range(epochs):
                history["lr"].append(optimizer.param_groups[0]["lr"])
                train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
                val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
                history["train_loss"].append(train_loss)
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(train_loss)
                elif scheduler is not None:
                    scheduler.step()
            return history
    """),
    Mutant("plateau_without_metric", M, loses=("fit.plateau",), why="ReduceLROnPlateau stepped like the others",
           code="""
        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
            for _ in range(epochs):
                history["lr"].append(optimizer.param_groups[0]["lr"])
                train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
                val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
                history["train_loss"].append(train_loss)
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
                if scheduler is not None:
                    scheduler.step()
            return history
    """),
    Mutant("lr_after_scheduler", M, loses=("fit.scheduler", "fit.plateau"),
           why="lr recorded after scheduler.step(), not the one the epoch trained with", code="""
        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
            for _ in range(epochs):
                train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
                val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
                history["train_loss"].append(train_loss)
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(val_loss)
                elif scheduler is not None:
                    scheduler.step()
                history["lr"].append(optimizer.param_groups[0]["lr"])
            return history
    """),
    Mutant("history_without_lr", M, loses=("fit", "fit.scheduler", "fit.plateau"), why="history lacks 'lr'", code="""
        _fit = fit

        def fit(*args, **kwargs):
            history = _fit(*args, **kwargs)
            del history["lr"]
            return history
    """),
    alternative("model_zero_grad_at_end", M, why="model.zero_grad() after step(); grads start empty", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total = torch.zeros(())
            count = 0
            for x, y in loader:
                out = model(x.to(device))
                loss = loss_fn(out, y.to(device))
                loss.backward()
                optimizer.step()
                model.zero_grad(set_to_none=False)
                total = total + loss.detach().cpu() * y.size(0)
                count += y.size(0)
            return float(total / count)
    """),
    alternative("set_to_none_false_inference_mode", M, why="zero_grad(set_to_none=False), inference_mode, "
                "get_last_lr and an inlined loop", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train(True)
            sums = []
            for batch in loader:
                x, y = (t.to(device) for t in batch)
                optimizer.zero_grad(set_to_none=False)
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                sums.append((loss.item() * x.shape[0], x.shape[0]))
            return sum(s for s, _ in sums) / sum(n for _, n in sums)

        def evaluate(model, loader, loss_fn, device):
            model.eval()
            total, correct, count = 0.0, torch.zeros((), dtype=torch.long), 0
            with torch.inference_mode():
                for x, y in loader:
                    x, y = x.to(device), y.to(device)
                    logits = model(x)
                    total += loss_fn(logits, y).item() * y.numel()
                    correct += (logits.argmax(1) == y).sum().cpu()
                    count += y.numel()
            return total / count, correct.item() / count

        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            history = dict(train_loss=[], val_loss=[], val_acc=[], lr=[])
            for epoch in range(epochs):
                lr = scheduler.get_last_lr()[0] if scheduler is not None else optimizer.param_groups[0]["lr"]
                history["train_loss"].append(train_one_epoch(model, train_loader, loss_fn, optimizer, device))
                history["lr"].append(lr)
                val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(metrics=val_loss)
                elif scheduler:
                    scheduler.step()
            return history
    """),
    Mutant("zero_grad_once", M, loses=TRAINS_WRONG, why="zero_grad missing (once before the loop only)", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            optimizer.zero_grad()
            total, count = 0.0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                loss = loss_fn(model(x), y)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(x)
                count += len(x)
            return total / count
    """),
    Mutant("per_batch_accuracy", M, loses=("evaluate", "fit"), why="per-batch averaging (accuracy)", code="""
        def evaluate(model, loader, loss_fn, device):
            model.eval()
            total, count, accs = 0.0, 0, []
            with torch.no_grad():
                for x, y in loader:
                    x, y = x.to(device), y.to(device)
                    logits = model(x)
                    total += loss_fn(logits, y).item() * len(x)
                    accs.append((logits.argmax(dim=1) == y).float().mean().item())
                    count += len(x)
            return total / count, sum(accs) / len(accs)
    """),
    Mutant("no_grad_in_name_only", M, loses=("evaluate.modes",),
           why="no_grad missing in evaluate (only a `with torch.no_grad(): pass` for the static check)", code="""
        def evaluate(model, loader, loss_fn, device):
            model.eval()
            with torch.no_grad():
                pass
            total, correct, count = 0.0, 0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                logits = model(x)
                total += loss_fn(logits, y).item() * len(x)
                correct += (logits.argmax(dim=1) == y).sum().item()
                count += len(x)
            return total / count, correct / count
    """),
    Mutant("log_forgery", M, loses=ALL, why="issue 13: no training; writes whatever it can reach, plausible numbers",
           code="""
        ENTRIES = [("forward", True, True, 8), ("zero_grad",), ["backward", True], ("step", "ok", 0.1),
                   ("loss", 1.0986, 8), ("forward", False, False, 8), ("sched", None)]

        def _scribble(*objects):
            for obj in objects:
                for name in dir(obj):
                    if name.startswith("__") or name == "param_groups":
                        continue
                    try:
                        value = getattr(obj, name)
                    except Exception:
                        continue
                    if isinstance(value, list):
                        value.extend(ENTRIES * 8)
                for name in ("log", "_log", "trained", "steps"):
                    try:
                        setattr(obj, name, list(ENTRIES * 8))
                    except Exception:
                        pass

        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            _scribble(model, loader, loss_fn, optimizer, *model.modules())
            model.train()
            return 1.0986

        def evaluate(model, loader, loss_fn, device):
            _scribble(model, loader, loss_fn, *model.modules())
            model.eval()
            with torch.no_grad():
                pass
            return 1.05, 0.4

        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            _scribble(model, train_loader, val_loader, optimizer, loss_fn, scheduler)
            lr = optimizer.param_groups[0]["lr"]
            return {"train_loss": [1.0 - 0.1 * e for e in range(epochs)],
                    "val_loss": [1.05 - 0.1 * e for e in range(epochs)],
                    "val_acc": [0.4 + 0.1 * e for e in range(epochs)],
                    "lr": [lr * 0.5 ** e for e in range(epochs)]}
    """),
    Mutant("loss_without_stepping", M, loses=NEVER_STEPS,
           why="issue 13: the reference-like mean loss, computed without backward() or step()", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total, count = 0.0, 0
            for x, y in loader:
                x, y = x.to(device), y.to(device)
                total += loss_fn(model(x), y).item() * len(x)
                count += len(x)
            return total / count
    """),
    Mutant("made_up_history", M, loses=("fit", "fit.scheduler", "fit.plateau"),
           why="issue 13: fit steps the scheduler and records the rates, but never trains", code="""
        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
            val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
            for epoch in range(epochs):
                history["lr"].append(optimizer.param_groups[0]["lr"])
                history["train_loss"].append(val_loss * 0.9 ** epoch)
                history["val_loss"].append(val_loss * 0.95 ** epoch)
                history["val_acc"].append(val_acc)
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(val_loss * (1 + epoch))
                elif scheduler is not None:
                    scheduler.step()
            return history
    """),
    alternative("tutorial_style", M, why="the PyTorch quickstart's loop (zero_grad after step, len(dataset)), "
                "`@torch.no_grad()` on evaluate, accuracy as a weighted float mean", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            size = len(loader.dataset)
            model.train()
            running_loss = 0.0
            for batch, (X, y) in enumerate(loader):
                X, y = X.to(device), y.to(device)
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                running_loss += loss.item() * X.size(0)
            return running_loss / size

        @torch.no_grad()
        def evaluate(model, loader, loss_fn, device):
            model.eval()
            size = len(loader.dataset)
            test_loss, acc = 0.0, 0.0
            for X, y in loader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += loss_fn(pred, y).item() * len(y)
                acc += (pred.argmax(1) == y).float().mean().item() * len(y)
            return test_loss / size, acc / size
    """),
    alternative("set_to_none_true_model_zero_grad", M, why="optimizer.zero_grad(set_to_none=True) in training, "
                "model.zero_grad() in fit between epochs, torch.no_grad through a helper", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total, count = 0.0, 0
            for x, y in loader:
                x = x.to(device)
                y = y.to(device)
                optimizer.zero_grad(set_to_none=True)
                out = model(x)
                loss = loss_fn(out, y)
                loss.backward()
                optimizer.step()
                total += float(loss) * len(y)
                count += len(y)
            return total / count

        def _batches(model, loader, loss_fn, device):
            with torch.no_grad():
                for x, y in loader:
                    x, y = x.to(device), y.to(device)
                    logits = model(x)
                    yield loss_fn(logits, y).item(), int((logits.argmax(-1) == y).sum()), y.shape[0]

        def evaluate(model, loader, loss_fn, device):
            model.eval()
            parts = list(_batches(model, loader, loss_fn, device))
            n = sum(p[2] for p in parts)
            return sum(p[0] * p[2] for p in parts) / n, sum(p[1] for p in parts) / n

        def fit(model, train_loader, val_loader, *, epochs, optimizer, loss_fn, device, scheduler=None):
            keys = ("train_loss", "val_loss", "val_acc", "lr")
            history = {k: [] for k in keys}
            for epoch in range(1, epochs + 1):
                model.zero_grad()
                lr = optimizer.param_groups[0]["lr"]
                train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
                val_loss, val_acc = evaluate(model, val_loader, loss_fn, device)
                for k, v in zip(keys, (train_loss, val_loss, val_acc, lr)):
                    history[k].append(v)
                if scheduler is None:
                    continue
                if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                    scheduler.step(val_loss)
                else:
                    scheduler.step()
            return history
    """),
    alternative("dataset_length_model_zero_grad", M, why="model.zero_grad() first in the batch, "
                "running_loss / len(loader.dataset), loss.item() * x.size(0)", code="""
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            running_loss = 0.0
            for inputs, labels in loader:
                inputs, labels = inputs.to(device), labels.to(device)
                model.zero_grad()
                outputs = model(inputs)
                loss = loss_fn(outputs, labels)
                loss.backward()
                optimizer.step()
                running_loss += loss.item() * inputs.size(0)
            return running_loss / len(loader.dataset)
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
