"""02_autograd: every COURSE.md "Catch" loses its item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "02_autograd"

MUTANTS = [
    # -- quadratic_grads
    Mutant("constants", M, loses=("quadratic_grads",), why="constants typed in (72 and 24)", code="""
        def quadratic_grads(w, x):
            return torch.tensor(72.0), torch.tensor(24.0)
    """),
    Mutant("constants_shaped", M, loses=("quadratic_grads",), why="constants typed in, in the right shape", code="""
        def quadratic_grads(w, x):
            return torch.full_like(w, 72.0), torch.full_like(x, 24.0)
    """),
    Mutant("no_sum", M, loses=("quadratic_grads", "quadratic_grads.inputs"),
           why="backward() of a non-scalar loss (crashes on any non-0-dim input)", code="""
        def quadratic_grads(w, x):
            w = w.clone().requires_grad_(True)
            x = x.clone().requires_grad_(True)
            ((3 * w) ** 2 + (2 * x) ** 2).backward()
            return w.grad, x.grad
    """),
    Mutant("grads_swapped", M, loses=("quadratic_grads",), why="(dl_dx, dl_dw) instead of (dl_dw, dl_dx)", code="""
        def quadratic_grads(w, x):
            w = w.clone().requires_grad_(True)
            x = x.clone().requires_grad_(True)
            ((3 * w) ** 2 + (2 * x) ** 2).sum().backward()
            return x.grad, w.grad
    """),
    Mutant("changes_inputs", M, loses=("quadratic_grads.inputs",), why="leaves the inputs unchanged", code="""
        def quadratic_grads(w, x):
            w.requires_grad_(True)
            x.requires_grad_(True)
            ((3 * w) ** 2 + (2 * x) ** 2).sum().backward()
            return w.grad, x.grad
    """),
    Mutant("analytic", M, loses=("quadratic_grads",), why="gradients typed in analytically, no backward()",
           code="""
        def quadratic_grads(w, x):
            return 18 * w, 8 * x
    """),
    Mutant("analytic_helper", M, loses=("quadratic_grads",), why="analytic gradients in a helper, a dead .grad read",
           code="""
        def _derivative(t, k):
            return 2 * k * k * t.detach().clone()

        def quadratic_grads(w, x):
            unused = w.grad
            return _derivative(w, 3), _derivative(x, 2)
    """),
    Mutant("in_place_input", M, loses=("quadratic_grads.inputs",), why="changes the inputs' values in place", code="""
        def quadratic_grads(w, x):
            w2 = w.detach().clone().requires_grad_(True)
            x2 = x.detach().clone().requires_grad_(True)
            ((3 * w2) ** 2 + (2 * x2) ** 2).sum().backward()
            w.mul_(3)
            return w2.grad, x2.grad
    """),
    # -- intermediate_grad
    Mutant("no_retain_grad", M, loses=("intermediate_grad",), why="returning None (no retain_grad)", code="""
        def intermediate_grad(a, b):
            a = a.clone().requires_grad_(True)
            b = b.clone().requires_grad_(True)
            c = a * b
            (c ** 2).sum().backward()
            return c.grad
    """),
    Mutant("leaf_grad", M, loses=("intermediate_grad",), why="returning a.grad", code="""
        def intermediate_grad(a, b):
            a = a.clone().requires_grad_(True)
            b = b.clone().requires_grad_(True)
            c = a * b
            c.retain_grad()
            (c ** 2).sum().backward()
            return a.grad
    """),
    # -- accumulated_grads
    Mutant("no_zeroing", M, loses=("accumulated_grads",), why="grad not zeroed before the last backward", code="""
        def accumulated_grads(x, times):
            x = x.clone().requires_grad_(True)
            for _ in range(times):
                (x ** 2).sum().backward()
            accumulated = x.grad.clone()
            (x ** 2).sum().backward()
            return accumulated, x.grad.clone()
    """),
    Mutant("no_copies", M, loses=("accumulated_grads",), why="returns x.grad itself, not copies", code="""
        def accumulated_grads(x, times):
            x = x.clone().requires_grad_(True)
            for _ in range(times):
                (x ** 2).sum().backward()
            accumulated = x.grad
            x.grad.zero_()
            (x ** 2).sum().backward()
            return accumulated, x.grad
    """),
    Mutant("backward_once", M, loses=("accumulated_grads",), why="times ignored", code="""
        def accumulated_grads(x, times):
            x = x.clone().requires_grad_(True)
            (x ** 2).sum().backward()
            accumulated = x.grad.clone()
            x.grad.zero_()
            (x ** 2).sum().backward()
            return accumulated, x.grad.clone()
    """),
    # -- detached
    Mutant("clone_detach", M, loses=("detached",), why="clone(): a copy, not the same storage", code="""
        def detached(x):
            return x.detach().clone()
    """),
    Mutant("clone", M, loses=("detached",), why="clone(): still in the graph", code="""
        def detached(x):
            return x.clone()
    """),
    Mutant("identity", M, loses=("detached",), why="still requiring grad", code="""
        def detached(x):
            return x
    """),
    Mutant("requires_grad_off", M, loses=("detached",), why="changes x itself (and fails on a non-leaf)", code="""
        def detached(x):
            return x.requires_grad_(False)
    """),
    Mutant("detach_requires_grad", M, loses=("detached",), why="same storage, but a new leaf that requires grad",
           code="""
        def detached(x):
            return x.detach().requires_grad_(True)
    """),
    Mutant("copy_no_graph", M, loses=("detached",), why="a copy without a graph (torch.tensor)", code="""
        def detached(x):
            return torch.tensor(x.tolist(), dtype=x.dtype)
    """),
    Mutant("frees_then_copies", M, loses=("detached",),
           why="forgery: frees x's memory so a copy may land at the same address (meta claimed sharing)", code="""
        def detached(x):
            values = x.detach().tolist()
            with torch.no_grad():
                x.set_()
            return torch.tensor(values, dtype=x.dtype)
    """),
    # -- predict
    Mutant("no_eval", M, loses=("predict",), why="dropout left on", code="""
        def predict(model, x):
            with torch.no_grad():
                return model(x)
    """),
    Mutant("eval_after", M, loses=("predict",), why="model.eval() called after the forward pass", code="""
        def predict(model, x):
            with torch.no_grad():
                out = model(x)
            model.eval()
            return out
    """),
    Mutant("no_no_grad", M, loses=("predict.no_grad",), why="output with a grad_fn", code="""
        def predict(model, x):
            model.eval()
            return model(x)
    """),
    Mutant("detach_not_no_grad", M, loses=("predict.no_grad",), why="graph built, then detached", code="""
        def predict(model, x):
            model.eval()
            return model(x).detach()
    """),
    Mutant("detach_requires_grad_off", M, loses=("predict.no_grad",),
           why="no graph because the parameters were frozen, not because of no_grad", code="""
        def predict(model, x):
            model.eval()
            model.requires_grad_(False)
            out = model(x)
            model.requires_grad_(True)
            return out
    """),
    Mutant("hook_clears_grads", M, loses=("predict.no_grad",),
           why="forgery: graph built, hooks clear every .grad after accumulation", code="""
        def predict(model, x):
            model.eval()
            for p in model.parameters():
                p.register_post_accumulate_grad_hook(lambda t: setattr(t, "grad", None))
            return model(x)
    """),
    Mutant("dropout_off_by_hand", M, loses=("predict",), why="dropout switched off by hand, BatchNorm left training",
           code="""
        def predict(model, x):
            for m in model.modules():
                if isinstance(m, nn.Dropout):
                    m.eval()
            with torch.no_grad():
                return model(x)
    """),
    # -- freeze_except_last
    Mutant("last_module", M, loses=("freeze_except_last",), why="last module is not always the last Linear", code="""
        def freeze_except_last(model):
            for p in model.parameters():
                p.requires_grad = False
            for p in model[-1].parameters():
                p.requires_grad = True
            return model
    """),
    Mutant("only_linears_frozen", M, loses=("freeze_except_last",), why="other layers' parameters left trainable",
           code="""
        def freeze_except_last(model):
            linears = [m for m in model if isinstance(m, nn.Linear)]
            for layer in linears[:-1]:
                for p in layer.parameters():
                    p.requires_grad = False
            return model
    """),
    Mutant("first_linear", M, loses=("freeze_except_last",), why="keeps the first Linear instead of the last", code="""
        def freeze_except_last(model):
            first = next(m for m in model if isinstance(m, nn.Linear))
            for p in model.parameters():
                p.requires_grad = False
            for p in first.parameters():
                p.requires_grad = True
            return model
    """),
    Mutant("returns_copy", M, loses=("freeze_except_last",), why="returns the same model object", code="""
        import copy

        def freeze_except_last(model):
            model = copy.deepcopy(model)
            last = [m for m in model if isinstance(m, nn.Linear)][-1]
            for p in model.parameters():
                p.requires_grad = False
            for p in last.parameters():
                p.requires_grad = True
            return model
    """),
    Mutant("returns_none", M, loses=("freeze_except_last",), why="returns the same model object", code="""
        def freeze_except_last(model):
            last = [m for m in model if isinstance(m, nn.Linear)][-1]
            model.requires_grad_(False)
            last.requires_grad_(True)
    """),
    Mutant("hooks_zero_grads", M, loses=("freeze_except_last",),
           why="forgery: every flag left on, hooks zero the gradients of the layers that should be frozen", code="""
        def freeze_except_last(model):
            last = [m for m in model if isinstance(m, nn.Linear)][-1]
            keep = {id(p) for p in last.parameters()}
            for p in model.parameters():
                if id(p) not in keep:
                    p.register_hook(lambda g: g * 0)
            return model
    """),
    Mutant("flags_on_copy_returned_original", M, loses=("freeze_except_last",),
           why="freezes a copy, returns the original unchanged", code="""
        import copy as _copy

        def freeze_except_last(model):
            twin = _copy.deepcopy(model)
            twin.requires_grad_(False)
            return model
    """),
    # -- correct alternatives
    alternative("autograd_variants", M, why="torch.tensor copies, grad = None, requires_grad attribute", code="""
        def quadratic_grads(w, x):
            w2 = torch.tensor(w.tolist(), dtype=w.dtype, device=w.device, requires_grad=True)
            x2 = torch.tensor(x.tolist(), dtype=x.dtype, device=x.device, requires_grad=True)
            l = (3 * w2).pow(2).sum() + (2 * x2).pow(2).sum()
            l.backward()
            return w2.grad.clone(), x2.grad.clone()

        def intermediate_grad(a, b):
            a = a.detach().requires_grad_()
            b = b.detach().requires_grad_()
            c = torch.mul(a, b)
            c.retain_grad()
            c.pow(2).sum().backward()
            return c.grad.clone()

        def accumulated_grads(x, times):
            leaf = x.clone()
            leaf.requires_grad = True
            for _ in range(times):
                leaf.pow(2).sum().backward()
            accumulated = leaf.grad.detach().clone()
            leaf.grad = None
            leaf.pow(2).sum().backward()
            return accumulated, leaf.grad.detach().clone()
    """),
    alternative("detached_views", M, why="x.data and a view of x.detach() share storage and carry no graph", code="""
        def detached(x):
            return x.data
    """),
    alternative("inference_mode", M, why="torch.inference_mode() also builds no graph", code="""
        def predict(model, x):
            model.train(False)
            with torch.inference_mode():
                out = model(x)
            return out
    """),
    alternative("set_grad_enabled", M, why="torch.set_grad_enabled(False), eval() before the block", code="""
        def predict(model, x):
            model = model.eval()
            with torch.set_grad_enabled(False):
                return model.forward(x)
    """),
    alternative("freeze_reversed", M, why="search from the end, requires_grad_ on the model", code="""
        def freeze_except_last(model):
            model.requires_grad_(False)
            for layer in reversed(list(model.children())):
                if isinstance(layer, nn.Linear):
                    layer.weight.requires_grad = True
                    if layer.bias is not None:
                        layer.bias.requires_grad = True
                    break
            return model
    """),
    alternative("autograd_grad", M, why="torch.autograd.grad instead of backward(), zero-dim safe", code="""
        def quadratic_grads(w, x):
            w = w.detach().clone().requires_grad_()
            x = x.detach().clone().requires_grad_()
            l = ((3 * w) ** 2 + (2 * x) ** 2).sum()
            dw, dx = torch.autograd.grad(l, (w, x))
            return dw, dx
    """),
    alternative("tutorial_styles", M, why="pytorch tutorials / d2l: no_grad decorator, eval() chained, loops",
                code="""
        @torch.no_grad()
        def predict(model, x):
            model.eval()
            return model(x)

        def freeze_except_last(model):
            linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
            for param in model.parameters():
                param.requires_grad = False
            for param in linears[-1].parameters():
                param.requires_grad = True
            return model

        def detached(x):
            return x.detach().view_as(x)

        def accumulated_grads(x, times):
            x = x.detach().clone()
            x.requires_grad_(True)
            for _ in range(times):
                y = (x ** 2).sum()
                y.backward()
            first = x.grad.detach().clone()
            x.grad.data.zero_()
            (x ** 2).sum().backward()
            return first, x.grad.detach().clone()
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
