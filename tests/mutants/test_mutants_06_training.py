"""06_training: every COURSE.md "Catch" loses its item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "06_training"

MUTANTS = [
    Mutant("zero_grad_missing", M, loses=("train_one_epoch", "train_one_epoch.zero_grad", "fit"),
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
    Mutant("zero_grad_after_backward", M, loses=("train_one_epoch", "train_one_epoch.zero_grad", "fit"),
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
    Mutant("step_before_backward", M, loses=("train_one_epoch", "train_one_epoch.order", "fit"),
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
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
