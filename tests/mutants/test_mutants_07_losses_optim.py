"""07_losses_optim: every COURSE.md "Catch" loses its item; correct alternatives keep full points.
Also: the reference's ManualAdam, which the grader trusts, moves exactly like torch.optim.Adam."""

import importlib.util
import textwrap

import pytest
import torch

from mutation import ROOT, Mutant, alternative, assert_mutant_scored
from torchdojo.course import load_course

M = "07_losses_optim"
ADAM = ("ManualAdam", "ManualAdam.hyperparams", "ManualAdam.skip_none")
CE = ("cross_entropy", "cross_entropy.stable")

# A ManualAdam whose step() body is given by each mutant (STEP is the loop over parameters).
ADAM_TEMPLATE = """
class ManualAdam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = lr, betas, eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def step(self):
        self.t += 1
        b1, b2 = self.betas
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v):
                if p.grad is None:
                    continue
                g = p.grad
{STEP}

    def zero_grad(self):
        for p in self.params:
            p.grad = None
"""


def adam(step: str) -> str:
    body = "\n".join(" " * 16 + line for line in textwrap.dedent(step).strip().splitlines())
    return ADAM_TEMPLATE.replace("{STEP}", body)


MUTANTS = [
    # -- cross_entropy
    Mutant("naive_softmax", M, loses=("cross_entropy.stable",), why="naive softmax: exp overflows to inf/nan",
           code="""
        def cross_entropy(logits, targets):
            e = torch.exp(logits)
            p = e / e.sum(dim=1, keepdim=True)
            return -torch.log(p[torch.arange(len(targets)), targets]).mean()
    """),
    Mutant("log_of_softmax", M, loses=("cross_entropy.stable",),
           why="log taken after a separate softmax: probabilities that underflow to 0 give -inf", code="""
        def cross_entropy(logits, targets):
            p = torch.softmax(logits, dim=1)
            return -torch.log(p[torch.arange(len(targets)), targets]).mean()
    """),
    Mutant("ce_sum", M, loses=CE, why="sum instead of mean over the batch", code="""
        def cross_entropy(logits, targets):
            picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
            return (torch.logsumexp(logits, dim=1) - picked).sum()
    """),
    Mutant("ce_no_log", M, loses=CE, why="forgetting the log (-softmax[target])", code="""
        def cross_entropy(logits, targets):
            p = torch.softmax(logits, dim=1)
            return -(p[torch.arange(len(targets)), targets]).mean()
    """),
    Mutant("ce_python_float", M, loses=CE, why="a Python float (.item()) instead of a tensor", code="""
        def cross_entropy(logits, targets):
            picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
            return (torch.logsumexp(logits, dim=1) - picked).mean().item()
    """),
    Mutant("ce_detached", M, loses=CE, why="right value, but cut off from the graph (no gradient)",
           code="""
        def cross_entropy(logits, targets):
            picked = logits.gather(1, targets.unsqueeze(1)).squeeze(1)
            return torch.tensor((torch.logsumexp(logits, dim=1) - picked).mean().item(), dtype=logits.dtype)
    """),
    Mutant("ce_wrong_class", M, loses=CE, why="the loss of the wrong class (targets ignored)", code="""
        def cross_entropy(logits, targets):
            return (torch.logsumexp(logits, dim=1) - logits[:, 0]).mean()
    """),
    Mutant("ce_calls_torch", M, loses=CE, why="not by hand: nn.CrossEntropyLoss (F.cross_entropy inside)", code="""
        def cross_entropy(logits, targets):
            return torch.nn.CrossEntropyLoss()(logits, targets)
    """),
    # -- mse
    Mutant("mse_sum", M, loses=("mse",), why="sum instead of mean", code="""
        def mse(pred, target):
            return ((pred - target) ** 2).sum()
    """),
    Mutant("mse_abs", M, loses=("mse",), why="no square (absolute error)", code="""
        def mse(pred, target):
            return (pred - target).abs().mean()
    """),
    Mutant("mse_len", M, loses=("mse",), why="wrong mean: divided by len(pred)", code="""
        def mse(pred, target):
            return ((pred - target) ** 2).sum() / len(pred)
    """),
    Mutant("mse_dim0", M, loses=("mse",), why="wrong mean: over dim 0 only", code="""
        def mse(pred, target):
            return ((pred - target) ** 2).mean(dim=0)
    """),
    Mutant("mse_calls_torch", M, loses=("mse",), why="not by hand: F.mse_loss", code="""
        import torch.nn.functional as F

        def mse(pred, target):
            return F.mse_loss(pred, target)
    """),
    # -- ManualAdam
    Mutant("no_bias_correction", M, loses=ADAM, why="no bias correction", code=adam("""
        m.mul_(b1).add_((1 - b1) * g)
        v.mul_(b2).add_((1 - b2) * g * g)
        p -= self.lr * m / (v.sqrt() + self.eps)
    """)),
    Mutant("eps_inside_sqrt", M, loses=ADAM, why="eps inside the square root",
           code=adam("""
        m.mul_(b1).add_((1 - b1) * g)
        v.mul_(b2).add_((1 - b2) * g * g)
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        p -= self.lr * m_hat / torch.sqrt(v_hat + self.eps)
    """)),
    Mutant("betas_swapped", M, loses=ADAM, why="wrong beta usage: m = (1-b1)*m + b1*g", code=adam("""
        m.mul_(1 - b1).add_(b1 * g)
        v.mul_(1 - b2).add_(b2 * g * g)
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
    """)),
    Mutant("t_off_by_one", M, loses=ADAM, why="bias correction with t one too far (t + 1)", code=adam("""
        m.mul_(b1).add_((1 - b1) * g)
        v.mul_(b2).add_((1 - b2) * g * g)
        m_hat = m / (1 - b1 ** (self.t + 1))
        v_hat = v / (1 - b2 ** (self.t + 1))
        p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
    """)),
    Mutant("grad_not_squared", M, loses=ADAM, why="v accumulates g instead of g * g", code=adam("""
        m.mul_(b1).add_((1 - b1) * g)
        v.mul_(b2).add_((1 - b2) * g.abs())
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
    """)),
    Mutant("rebinding_p", M, loses=ADAM, why="p = p - ... rebinds a local name: parameters never change",
           code=adam("""
        m.mul_(b1).add_((1 - b1) * g)
        v.mul_(b2).add_((1 - b2) * g * g)
        m_hat = m / (1 - b1 ** self.t)
        v_hat = v / (1 - b2 ** self.t)
        p = p - self.lr * m_hat / (v_hat.sqrt() + self.eps)
    """)),
    Mutant("hyperparams_ignored", M, loses=("ManualAdam.hyperparams", "ManualAdam.skip_none"),
           why="lr, betas and eps fixed to the defaults", code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                super().__init__(params)
    """),
    Mutant("zero_grad_noop", M, loses=("ManualAdam.zero_grad",), why="zero_grad that does nothing", code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            def zero_grad(self):
                pass
    """),
    Mutant("zero_grad_none_crash", M, loses=("ManualAdam.zero_grad",),
           why="zero_grad fails while the grads are still None (first batch)", code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            def zero_grad(self):
                for p in self.params:
                    p.grad.zero_()
    """),
    Mutant("step_without_no_grad", M, loses=ADAM, why="step not under no_grad (in-place on a leaf raises)",
           code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            def step(self):
                for p in self.params:
                    if p.grad is not None:
                        p -= self.lr * p.grad.sign()
    """),
    Mutant("no_skip_none", M, loses=("ManualAdam.skip_none",), why="parameters whose .grad is None not skipped",
           code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            @torch.no_grad()
            def step(self):
                for p, state in zip(self.params, self.state):
                    state["step"] += 1
                    t = state["step"]
                    state["m"].mul_(self.beta1).add_(p.grad, alpha=1 - self.beta1)
                    state["v"].mul_(self.beta2).addcmul_(p.grad, p.grad, value=1 - self.beta2)
                    m_hat = state["m"] / (1 - self.beta1 ** t)
                    v_hat = state["v"] / (1 - self.beta2 ** t)
                    p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
    """),
    Mutant("generator_kept", M, loses=("ManualAdam",), why="params kept as given: a generator is used up",
           code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self.params = params
                self.lr, self.beta1, self.beta2, self.eps = lr, betas[0], betas[1], eps
                self.state = {}

            @torch.no_grad()
            def step(self):
                for p in self.params:
                    if p.grad is None:
                        continue
                    s = self.state.setdefault(p, {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
                    s["step"] += 1
                    s["m"].mul_(self.beta1).add_(p.grad, alpha=1 - self.beta1)
                    s["v"].mul_(self.beta2).addcmul_(p.grad, p.grad, value=1 - self.beta2)
                    m_hat = s["m"] / (1 - self.beta1 ** s["step"])
                    v_hat = s["v"] / (1 - self.beta2 ** s["step"])
                    p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
    """),
    Mutant("wraps_torch_adam", M, loses=ADAM + ("ManualAdam.zero_grad",),
           why="torch.optim.Adam inside instead of the update by hand", code="""
        class ManualAdam:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self.opt = torch.optim.Adam(params, lr=lr, betas=betas, eps=eps)

            def step(self):
                self.opt.step()

            def zero_grad(self):
                self.opt.zero_grad()
    """),
    # -- forgeries and ready-made losses in disguise (read from the source in the scorer)
    Mutant("ce_alias_before_watch", M, loses=CE,
           why="F.cross_entropy imported under another name at module level, before any runtime watch", code="""
        from torch.nn.functional import cross_entropy as _xent

        def cross_entropy(logits, targets):
            return _xent(logits, targets)
    """),
    Mutant("ce_nll_loss", M, loses=CE, why="not by hand: F.nll_loss after log_softmax", code="""
        import torch.nn.functional as F

        def cross_entropy(logits, targets):
            return F.nll_loss(F.log_softmax(logits, dim=1), targets)
    """),
    Mutant("ce_nn_nllloss", M, loses=CE, why="not by hand: nn.NLLLoss after log_softmax", code="""
        from torch import nn

        def cross_entropy(logits, targets):
            return nn.NLLLoss()(torch.log_softmax(logits, dim=1), targets)
    """),
    Mutant("ce_getattr_string", M, loses=CE, why="not by hand: F.cross_entropy fetched by its name", code="""
        import torch.nn.functional as F

        _LOSS = getattr(F, "cross_entropy")

        def cross_entropy(logits, targets):
            return _LOSS(logits, targets)
    """),
    Mutant("ce_obfuscated_lookup", M, loses=CE,
           why="F.cross_entropy looked up by a computed name at call time (the static read misses it, the watch "
               "in the worker sees the call)", code="""
        import torch.nn.functional as F

        def cross_entropy(logits, targets):
            return getattr(F, "cross_" + "entropy")(logits, targets)
    """),
    Mutant("mse_alias_before_watch", M, loses=("mse",), why="F.mse_loss imported under another name", code="""
        from torch.nn.functional import mse_loss as _sq

        def mse(pred, target):
            return _sq(pred, target)
    """),
    # assigning to a torch module's attribute is tampering: the whole module is lost, unrun
    Mutant("adam_subclass_restores_functional", M, loses=tuple(load_course(ROOT).module(M).items),
           why="torch.optim.Adam subclass whose step() puts the real functional back (around any watch)", code="""
        import torch.optim.adam as _adam_module

        _real_adam = _adam_module.adam
        _real_init = torch.optim.Adam.__init__

        class ManualAdam(torch.optim.Adam):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                _real_init(self, params, lr=lr, betas=betas, eps=eps)

            def step(self):
                watched = _adam_module.adam
                _adam_module.adam = _real_adam
                try:
                    return super().step()
                finally:
                    _adam_module.adam = watched
    """),
    Mutant("adam_wrapper_alias", M, loses=ADAM + ("ManualAdam.zero_grad",),
           why="a wrapper around torch.optim.Adam imported under another name", code="""
        from torch.optim import Adam as _Engine

        _engine_init = _Engine.__init__

        class _Quiet(_Engine):
            def __init__(self, *args, **kwargs):
                _engine_init(self, *args, **kwargs)

        class ManualAdam:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self.opt = _Quiet(params, lr=lr, betas=betas, eps=eps, foreach=False)

            def step(self):
                self.opt.step()

            def zero_grad(self):
                self.opt.zero_grad()
    """),
    Mutant("adam_obfuscated_subclass", M, loses=ADAM + ("ManualAdam.zero_grad",),
           why="a subclass of torch.optim.Adam reached by a computed name (the static read misses it; the driver "
               "sees a torch Adam object)", code="""
        class ManualAdam(getattr(torch.optim, "Ad" + "am")):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                super().__init__(params, lr=lr, betas=betas, eps=eps)
    """),
    Mutant("none_as_zero", M, loses=("ManualAdam.skip_none",),
           why="a parameter whose .grad is None treated as a zero gradient: its momentum keeps moving it", code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            @torch.no_grad()
            def step(self):
                for p, state in zip(self.params, self.state):
                    g = p.grad if p.grad is not None else torch.zeros_like(p)
                    state["step"] += 1
                    t = state["step"]
                    state["m"].mul_(self.beta1).add_(g, alpha=1 - self.beta1)
                    state["v"].mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
                    m_hat = state["m"] / (1 - self.beta1 ** t)
                    v_hat = state["v"] / (1 - self.beta2 ** t)
                    p -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
    """),
    Mutant("generator_used_in_init", M, loses=("ManualAdam",),
           why="params kept as given and iterated in __init__: a generator is used up before the first step",
           code="""
        class ManualAdam:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self.params = params
                self.lr, self.betas, self.eps, self.t = lr, betas, eps, 0
                self.m = [torch.zeros_like(p) for p in self.params]
                self.v = [torch.zeros_like(p) for p in self.params]

            @torch.no_grad()
            def step(self):
                self.t += 1
                b1, b2 = self.betas
                for p, m, v in zip(self.params, self.m, self.v):
                    if p.grad is None:
                        continue
                    m.mul_(b1).add_(p.grad, alpha=1 - b1)
                    v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                    p -= self.lr * (m / (1 - b1 ** self.t)) / ((v / (1 - b2 ** self.t)).sqrt() + self.eps)

            def zero_grad(self):
                for p in self.params:
                    p.grad = None
    """),
    Mutant("zero_grad_half", M, loses=("ManualAdam.zero_grad",), why="zero_grad clears only the first parameter",
           code="""
        _Adam = ManualAdam

        class ManualAdam(_Adam):
            def zero_grad(self):
                self.params[0].grad = None
    """),
    # -- correct alternatives
    alternative("losses_other_ways", M, why="log_softmax / manual max shift; (d ** 2).sum() / numel", code="""
        import torch.nn.functional as F

        def cross_entropy(logits, targets):
            shifted = logits - logits.max(dim=1, keepdim=True).values
            log_probs = shifted - torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
            return -log_probs[torch.arange(logits.shape[0]), targets].sum() / logits.shape[0]

        def mse(pred, target):
            d = pred - target
            return (d * d).sum() / d.numel()
    """),
    alternative("log_softmax_gather", M, why="F.log_softmax + gather, torch.mean", code="""
        import torch.nn.functional as F

        def cross_entropy(logits, targets):
            return -torch.mean(F.log_softmax(logits, dim=-1).gather(-1, targets[:, None]))

        def mse(pred, target):
            return torch.mean(torch.square(pred - target))
    """),
    alternative("adam_optimizer_subclass", M,
                why="a torch.optim.Optimizer subclass (param_groups/state), zero_grad inherited, global t, "
                    "grad.zero_() style", code="""
        class ManualAdam(torch.optim.Optimizer):
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

            @torch.no_grad()
            def step(self):
                for group in self.param_groups:
                    b1, b2 = group["betas"]
                    for p in group["params"]:
                        if p.grad is None:
                            continue
                        state = self.state[p]
                        if not state:
                            state["t"] = 0
                            state["m"] = torch.zeros_like(p)
                            state["v"] = torch.zeros_like(p)
                        state["t"] += 1
                        t = state["t"]
                        state["m"] = b1 * state["m"] + (1 - b1) * p.grad
                        state["v"] = b2 * state["v"] + (1 - b2) * p.grad ** 2
                        m_hat = state["m"] / (1 - b1 ** t)
                        v_hat = state["v"] / (1 - b2 ** t)
                        p.sub_(group["lr"] * m_hat / (torch.sqrt(v_hat) + group["eps"]))
    """),
    alternative("adam_state_dict_per_param", M, why="state dict keyed by parameter, made on first use, p.add_",
                code="""
        class ManualAdam:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self.params = list(params)
                self.lr, self.betas, self.eps = lr, betas, eps
                self.state = {}

            def step(self):
                b1, b2 = self.betas
                with torch.no_grad():
                    for p in self.params:
                        if p.grad is None:
                            continue
                        s = self.state.setdefault(p, {"t": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)})
                        s["t"] += 1
                        s["m"] = b1 * s["m"] + (1 - b1) * p.grad
                        s["v"] = b2 * s["v"] + (1 - b2) * p.grad * p.grad
                        m_hat = s["m"] / (1 - b1 ** s["t"])
                        v_hat = s["v"] / (1 - b2 ** s["t"])
                        p.add_(-self.lr * m_hat / (v_hat.sqrt() + self.eps))

            def zero_grad(self):
                for p in self.params:
                    p.grad = None
    """),
    alternative("ce_logsumexp_indexing", M, why="logsumexp minus advanced indexing, imported log_softmax unused",
                code="""
        from torch.nn.functional import log_softmax

        def cross_entropy(logits, targets):
            rows = torch.arange(logits.shape[0])
            return torch.mean(torch.logsumexp(logits, dim=-1) - logits[rows, targets])
    """),
    alternative("self_checks_under_main", M,
                why="the student compares with F.cross_entropy and torch.optim.Adam under __main__ (never run)",
                code="""
        if __name__ == "__main__":
            import torch.nn.functional as F

            logits, targets = torch.randn(4, 3), torch.tensor([0, 2, 1, 1])
            print(cross_entropy(logits, targets), F.cross_entropy(logits, targets), F.nll_loss)
            print(mse(logits, logits * 2), F.mse_loss(logits, logits * 2), torch.nn.MSELoss)
            w = torch.zeros(3, requires_grad=True)
            print(ManualAdam([w]), torch.optim.Adam([w]))
    """),
    alternative("adam_data_and_zero", M, why="p.data updates, lazily made state, zero_grad with zero_()",
                code="""
        class ManualAdam:
            def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
                self.params = [p for p in params]
                self.lr = lr
                self.b1, self.b2 = betas
                self.eps = eps
                self.t = 0
                self.m, self.v = {}, {}

            def step(self):
                self.t += 1
                for i, p in enumerate(self.params):
                    if p.grad is None:
                        continue
                    g = p.grad.data
                    self.m[i] = self.b1 * self.m.get(i, 0) + (1 - self.b1) * g
                    self.v[i] = self.b2 * self.v.get(i, 0) + (1 - self.b2) * g * g
                    step_size = self.lr / (1 - self.b1 ** self.t)
                    denom = self.v[i].sqrt() / (1 - self.b2 ** self.t) ** 0.5 + self.eps
                    p.data.addcdiv_(self.m[i], denom, value=-step_size)

            def zero_grad(self):
                for p in self.params:
                    if p.grad is not None:
                        p.grad.zero_()
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)


def _reference():
    spec = importlib.util.spec_from_file_location("reference_07", ROOT / "reference" / f"{M}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("case", ["defaults", "hyperparams", "unused_param", "part_time"])
def test_reference_adam_matches_torch(case):
    """The grader compares students with the reference's ManualAdam: it must be torch.optim.Adam's twin."""
    from torchdojo.coursekit.m07_losses_optim import adam_run, variant_run

    g = torch.Generator().manual_seed(7)
    f64 = torch.float64
    X = torch.randn(15, 3, generator=g, dtype=f64)
    Y = 1.5 * X @ (2 * torch.randn(3, 2, generator=g, dtype=f64)) + torch.randn(2, generator=g, dtype=f64)
    init = [0.5 * torch.randn(3, 2, generator=g, dtype=f64), 0.5 * torch.randn(2, generator=g, dtype=f64),
            torch.tensor(1.1, dtype=f64)]
    options = {"defaults": {"pass_generator": True},
               "hyperparams": {"opt_kwargs": {"lr": 0.04, "betas": (0.7, 0.95), "eps": 0.03}},
               "unused_param": {"opt_kwargs": {"lr": 0.01}, "unused_at": 1, "loss_scale": 1e-3},
               "part_time": {"opt_kwargs": {"lr": 0.01}, "unused_at": 0, "part_time": (2, 5), "loss_scale": 1e-3},
               }[case]
    checkpoints = [1, 2, 3, 10, 50, 150]
    ours = adam_run(_reference().ManualAdam, init, X, Y, 150, checkpoints, **options)
    theirs = adam_run(torch.optim.Adam, init, X, Y, 150, checkpoints, **options)
    assert ours["torch_adam"] == 0
    torch.testing.assert_close(ours["trajectory"], theirs["trajectory"], rtol=1e-12, atol=1e-14)
    # the scorer's replay of Adam (for the messages) is torch.optim.Adam's twin too
    options.pop("pass_generator", None)
    replay = variant_run("correct", init, X, Y, 150, checkpoints, **options)
    torch.testing.assert_close(replay, theirs["trajectory"], rtol=1e-12, atol=1e-14)
    assert float((theirs["trajectory"][-1] - theirs["trajectory"][0]).abs().max()) > 0.05  # it did move


def test_reference_losses_match_torch():
    import torch.nn.functional as F

    ref = _reference()
    g = torch.Generator().manual_seed(3)
    for scale in (1.0, 1000.0):
        logits = torch.randn(6, 5, generator=g) * scale
        targets = torch.randint(0, 5, (6,), generator=g)
        torch.testing.assert_close(ref.cross_entropy(logits, targets), F.cross_entropy(logits, targets))
    pred, target = torch.randn(4, 3, 2, generator=g), torch.randn(4, 3, 2, generator=g)
    torch.testing.assert_close(ref.mse(pred, target), F.mse_loss(pred, target))


# -- hints that name the real cause (issue 14) -------------------------------------------------

BY_NAME = {m.name: m for m in MUTANTS}
HINTS = [
    # (mutant, item, words the message must hold, words it must not hold)
    ("no_bias_correction", "ManualAdam", ["WITHOUT bias correction"], []),
    ("no_bias_correction", "ManualAdam.hyperparams", ["WITHOUT bias correction"], []),
    ("eps_inside_sqrt", "ManualAdam", ["INSIDE the square root"], ["bias correction"]),
    ("eps_inside_sqrt", "ManualAdam.hyperparams", ["INSIDE the square root"], ["bias correction"]),
    ("t_off_by_one", "ManualAdam.hyperparams", ["starts at 2"], ["WITHOUT"]),
    ("betas_swapped", "ManualAdam.hyperparams", ["wrong way round"], ["bias correction"]),
    ("hyperparams_ignored", "ManualAdam.hyperparams", ["DEFAULT lr"], ["bias correction"]),
    ("generator_used_in_init", "ManualAdam", ["generator", "__init__", "list(params)"], ["rebinds"]),
    ("generator_kept", "ManualAdam", ["generator", "first step()", "list(params)"], ["rebinds"]),
    ("rebinding_p", "ManualAdam", ["rebinds a local name"], ["generator"]),
    ("none_as_zero", "ManualAdam.skip_none", ["kept moving"], []),
    ("ce_alias_before_watch", "cross_entropy", ["cross_entropy (line"], []),
    ("adam_subclass_restores_functional", "ManualAdam", ["replaces a library function", "_adam_module.adam"], []),
]


@pytest.mark.parametrize("mutant, item, present, absent", HINTS, ids=[f"{h[0]}-{h[1]}" for h in HINTS])
def test_hint_names_the_cause(scorer, tmp_path, mutant, item, present, absent):
    from mutation import build_submission, fixed_only_scorer

    submission = build_submission(BY_NAME[mutant], tmp_path / "submission")
    (module,) = fixed_only_scorer().score(submission, [M]).modules
    message = {it.name: it.text.en for it in module.items}[item]
    for words in present:
        assert words in message, f"{mutant}/{item}: {words!r} missing from {message!r}"
    for words in absent:
        assert words not in message, f"{mutant}/{item}: {words!r} should not be in {message!r}"
