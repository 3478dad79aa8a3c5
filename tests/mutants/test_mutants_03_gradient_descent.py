"""03_gradient_descent: every COURSE.md "Catch" loses its item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "03_gradient_descent"

MUTANTS = [
    # -- fit_line
    Mutant("no_zeroing", M, loses=("fit_line",), why="no zeroing (trajectory differs from the reference)", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            for _ in range(steps):
                loss = ((w * x + b - y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
            return w.detach(), b.detach()
    """),
    Mutant("torch_optim", M, loses=("fit_line.no_optim",), why="using torch.optim", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            opt = torch.optim.SGD([w, b], lr=lr)
            for _ in range(steps):
                opt.zero_grad()
                loss = ((w * x + b - y) ** 2).mean()
                loss.backward()
                opt.step()
            return w.detach(), b.detach()
    """),
    Mutant("indexed_non_leaf", M, loses=("fit_line.leaf",), why="returning non-leaf tensors (w[0] of a [1] tensor)",
           code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros(1, requires_grad=True)
            b = torch.zeros(1, requires_grad=True)
            for _ in range(steps):
                loss = ((w * x + b - y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
            return w[0], b[0]
    """),
    Mutant("rebind_in_graph", M, loses=("fit_line.leaf",),
           why="returning non-leaf tensors (update recorded in the graph)", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            for _ in range(steps):
                w.retain_grad()
                b.retain_grad()
                loss = ((w * x + b - y) ** 2).mean()
                loss.backward(retain_graph=True)
                w = w - lr * w.grad
                b = b - lr * b.grad
            return w, b
    """),
    Mutant("shape_one", M, loses=("fit_line",), why="return 0-dim tensors (shape [1] returned)", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros(1, requires_grad=True)
            b = torch.zeros(1, requires_grad=True)
            for _ in range(steps):
                loss = ((w * x + b - y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
            return w.detach(), b.detach()
    """),
    Mutant("python_floats", M, loses=("fit_line", "fit_line.leaf", "fit_line.no_optim"), why="return 0-dim tensors, not floats", code="""
        _tensor_fit_line = fit_line

        def fit_line(x, y, lr=0.1, steps=500):
            w, b = _tensor_fit_line(x, y, lr, steps)
            return w.item(), b.item()
    """),
    Mutant("sum_loss", M, loses=("fit_line",), why="loss = MSE (sum of squares instead)", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            for _ in range(steps):
                loss = ((w * x + b - y) ** 2).sum()
                loss.backward()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
            return w.detach(), b.detach()
    """),
    Mutant("steps_ignored", M, loses=("fit_line",), why="steps not honoured", code="""
        _fit_line = fit_line

        def fit_line(x, y, lr=0.1, steps=500):
            return _fit_line(x, y, lr, 500)
    """),
    Mutant("wrong_defaults", M, loses=("fit_line",), why="signature fit_line(x, y, lr=0.1, steps=500)", code="""
        _fit_line = fit_line

        def fit_line(x, y, lr=0.01, steps=100):
            return _fit_line(x, y, lr, steps)
    """),
    Mutant("no_no_grad", M, loses=("fit_line", "fit_line.leaf", "fit_line.no_optim"),
           why="update under torch.no_grad() (in-place update of a leaf raises)", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            for _ in range(steps):
                loss = ((w * x + b - y) ** 2).mean()
                loss.backward()
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
            return w, b
    """),
    Mutant("start_at_one", M, loses=("fit_line",), why="w = b = 0 at start (w starts at 1)", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.ones((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            for _ in range(steps):
                loss = ((w * x + b - y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
            return w.detach(), b.detach()
    """),
    Mutant("no_bias", M, loses=("fit_line",), why="model w * x + b (the bias never learns)", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            for _ in range(steps):
                loss = ((w * x - y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    w -= lr * w.grad
                w.grad.zero_()
            return w.detach(), torch.zeros(())
    """),
    Mutant("lr_ignored", M, loses=("fit_line",), why="lr not honoured (always 0.1)", code="""
        _fit_line = fit_line

        def fit_line(x, y, lr=0.1, steps=500):
            return _fit_line(x, y, 0.1, steps)
    """),
    Mutant("one_step_short", M, loses=("fit_line",), why="steps not honoured (range(steps - 1))", code="""
        _fit_line = fit_line

        def fit_line(x, y, lr=0.1, steps=500):
            return _fit_line(x, y, lr, steps - 1) if steps > 1 else (torch.zeros(()), torch.zeros(()))
    """),
    Mutant("closed_form_forgery", M, loses=("fit_line",),
           why="forgery: the least-squares line in closed form instead of gradient descent", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            xm, ym = x.mean(), y.mean()
            w = ((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum()
            return w.detach(), (ym - w * xm).detach()
    """),
    Mutant("clone_non_leaf", M, loses=("fit_line.leaf",), why="returning non-leaf tensors (w.clone() keeps the graph)",
           code="""
        _fit_line = fit_line

        def fit_line(x, y, lr=0.1, steps=500):
            w, b = _fit_line(x, y, lr, steps)
            w.requires_grad_(True)
            b.requires_grad_(True)
            return w.clone(), b.clone()
    """),
    Mutant("retained_non_leaf", M, loses=("fit_line.leaf",),
           why="returning non-leaf tensors that retain their grad (the probe's grad alone would pass)", code="""
        _fit_line = fit_line

        def fit_line(x, y, lr=0.1, steps=500):
            w0, b0 = _fit_line(x, y, lr, steps)
            w0.requires_grad_(True)
            b0.requires_grad_(True)
            w, b = w0 * 1.0, b0 * 1.0
            w.retain_grad()
            b.retain_grad()
            return w, b
    """),
    Mutant("optim_by_name", M, loses=("fit_line.no_optim",), why="using torch.optim through getattr", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            opt = getattr(torch, "optim").SGD([w, b], lr=lr)
            for _ in range(steps):
                opt.zero_grad()
                ((w * x + b - y) ** 2).mean().backward()
                opt.step()
            return w.detach(), b.detach()
    """),
    Mutant("optim_renamed_import", M, loses=("fit_line.no_optim",), why="using torch.optim imported under another name",
           code="""
        from torch.optim import SGD as Descent

        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            opt = Descent([w, b], lr=lr)
            for _ in range(steps):
                opt.zero_grad()
                ((w * x + b - y) ** 2).mean().backward()
                opt.step()
            return w.detach(), b.detach()
    """),
    Mutant("adam_hidden", M, loses=("fit_line", "fit_line.no_optim"),
           why="another optimizer (Adam) built from a name the static check cannot read", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            maker = getattr(getattr(torch, "op" + "tim"), "Ad" + "am")
            opt = maker([w, b], lr=lr)
            for _ in range(steps):
                opt.zero_grad()
                ((w * x + b - y) ** 2).mean().backward()
                opt.step()
            return w.detach(), b.detach()
    """),
    # -- gd_step
    Mutant("not_in_place", M, loses=("gd_step", "gd_step.generator"), why="rebinding a local name is not in place",
           code="""
        def gd_step(params, lr):
            for p in params:
                grad = p.grad
                with torch.no_grad():
                    p = p - lr * grad
                grad.zero_()
    """),
    Mutant("grad_not_cleared", M, loses=("gd_step", "gd_step.generator"), why="grad not cleared", code="""
        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
    """),
    Mutant("wrong_sign", M, loses=("gd_step", "gd_step.generator"), why="wrong sign", code="""
        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p += lr * p.grad
                    p.grad.zero_()
    """),
    Mutant("replace_in_list", M, loses=("gd_step", "gd_step.generator"), why="new tensors put in the list", code="""
        def gd_step(params, lr):
            for i, p in enumerate(params):
                params[i] = (p - lr * p.grad).detach().requires_grad_()
                p.grad = None
    """),
    Mutant("two_passes", M, loses=("gd_step.generator",), why="iterates params twice (a generator runs out)", code="""
        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                for p in params:
                    p.grad.zero_()
    """),
    Mutant("gd_no_no_grad", M, loses=("gd_step", "gd_step.generator"), why="update under torch.no_grad()", code="""
        def gd_step(params, lr):
            for p in params:
                p -= lr * p.grad
                p.grad.zero_()
    """),
    Mutant("gd_lr_ignored", M, loses=("gd_step", "gd_step.generator"), why="lr not honoured (always 0.1)", code="""
        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p -= 0.1 * p.grad
                    p.grad.zero_()
    """),
    Mutant("only_first", M, loses=("gd_step", "gd_step.generator"), why="updates only the first parameter", code="""
        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p -= lr * p.grad
                    p.grad.zero_()
                    break
    """),
    Mutant("zero_before_update", M, loses=("gd_step", "gd_step.generator"),
           why="clears the grad before using it (nothing moves)", code="""
        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p.grad.zero_()
                    p -= lr * p.grad
    """),
    # -- correct alternatives
    alternative("rebind_detach", M, why="rebinding plus requires_grad_(), grad = None never needed", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.tensor(0.0, requires_grad=True)
            b = torch.tensor(0.0, requires_grad=True)
            for _ in range(steps):
                loss = torch.mean((y - (w * x + b)) ** 2)
                loss.backward()
                w = (w - lr * w.grad).detach().requires_grad_()
                b = (b - lr * b.grad).detach().requires_grad_()
            return w, b
    """),
    alternative("seed_style", M, why="the seeds' loop: requires_grad_ at the top, rebinding under no_grad", code="""
        import torch.nn.functional as F

        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros(())
            b = torch.zeros(())
            for _ in range(steps):
                w.requires_grad_(True)
                b.requires_grad_(True)
                loss = F.mse_loss(w * x + b, y)
                loss.backward()
                with torch.no_grad():
                    w = w - lr * w.grad
                    b = b - lr * b.grad
            return w, b
    """),
    alternative("grad_none_and_gd_step", M, why="grad = None instead of zero_(), update via gd_step", code="""
        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p.add_(p.grad, alpha=-lr)
                    p.grad = None

        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), dtype=x.dtype, device=x.device, requires_grad=True)
            b = torch.zeros_like(w, requires_grad=True)
            for _ in range(steps):
                ((w * x + b - y) ** 2).mean().backward()
                gd_step([w, b], lr)
            return w, b
    """),
    alternative("sub_and_copy", M, why="sub_ / copy_ in place, zero_ inside the no_grad block", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            params = [torch.zeros((), requires_grad=True) for _ in range(2)]
            w, b = params
            for step in range(steps):
                for p in params:
                    if p.grad is not None:
                        p.grad.zero_()
                loss = (w * x + b - y).pow(2).mean()
                loss.backward()
                with torch.no_grad():
                    w.sub_(lr * w.grad)
                    b.sub_(lr * b.grad)
            return w.detach().clone(), b.detach().clone()

        def gd_step(params, lr):
            with torch.no_grad():
                for p in params:
                    p.copy_(p - lr * p.grad)
                    p.grad.zero_()
    """),
    alternative("tutorial_no_grad_block", M, why="tutorial loop: update and zero_() inside one no_grad block, "
                "returns the parameters themselves", code="""
        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros((), requires_grad=True)
            b = torch.zeros((), requires_grad=True)
            for epoch in range(steps):
                y_pred = w * x + b
                loss = ((y_pred - y) ** 2).mean()
                loss.backward()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
                    w.grad.zero_()
                    b.grad.zero_()
            return w, b
    """),
    alternative("d2l_sgd_and_grad_none_first", M, why="d2l's sgd(params, lr) helper; grad = None before backward",
                code="""
        def sgd(params, lr):
            with torch.no_grad():
                for param in params:
                    param -= lr * param.grad
                    param.grad.zero_()

        def fit_line(x, y, lr=0.1, steps=500):
            w = torch.zeros(1, requires_grad=True)
            b = torch.zeros(1, requires_grad=True)
            for _ in range(steps):
                w.grad = None
                b.grad = None
                l = torch.nn.functional.mse_loss(x * w + b, y)
                l.backward()
                sgd([w, b], lr)
            return w.detach()[0], b.detach()[0]

        def gd_step(params, lr):
            sgd(params, lr)
    """),
    alternative("data_rebinding_gd_step", M, why="p.data = p.data - lr * p.grad keeps the same parameter object",
                code="""
        def gd_step(params, lr):
            for p in params:
                p.data = p.data - lr * p.grad.data
                p.grad = None
    """),
    alternative("legacy_data", M, why="updating p.data in place (older style) is also in place", code="""
        def gd_step(params, lr):
            for p in params:
                p.data -= lr * p.grad
                p.grad.data.zero_()
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
