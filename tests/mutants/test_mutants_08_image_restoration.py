"""08_image_restoration: every COURSE.md "Catch" loses its item; correct alternatives keep full points.
Forgeries (a recorder filled by hand, zeros or the broken image returned) lose every item: points
rest on the restored values compared in the scorer."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "08_image_restoration"
ALL = ("restore", "restore.steps", "restore.seed", "restore.dtype", "restore.detached", "restore.no_grad")

MUTANTS = [
    Mutant("no_no_grad_rebind", M, loses=ALL, why="no no_grad update (x becomes a non-leaf, x.grad is None)",
           code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                x = x - lr * x.grad
            return x.detach()
    """),
    Mutant("no_no_grad_inplace", M, loses=ALL, why="no no_grad update (in-place on a leaf raises)", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device).requires_grad_(True)
            for _ in range(steps):
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                x -= lr * x.grad
                x.grad = None
            return x.detach()
    """),
    Mutant("growing_graph", M, loses=("restore.no_grad",),
           why="no no_grad update, kept alive with retain_grad: right numbers, but every step's graph hangs on "
               "to the previous ones", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device).requires_grad_(True)
            for _ in range(steps):
                x.retain_grad()
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                x = x - lr * x.grad
            return x.detach()
    """),
    Mutant("returns_requires_grad", M, loses=("restore.detached",), why="returning a tensor that requires grad",
           code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device).requires_grad_(True)
            for _ in range(steps):
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                with torch.no_grad():
                    x -= lr * x.grad
                x.grad = None
            return x
    """),
    Mutant("steps_capped", M, loses=("restore", "restore.steps"), why="too few steps honoured (capped at 50)",
           code="""
        _restore_ok = restore

        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            return _restore_ok(broken, corrupt, lr=lr, steps=min(steps, 50), seed=seed)
    """),
    Mutant("steps_ignored", M, loses=("restore", "restore.steps", "restore.seed", "restore.dtype"),
           why="too few steps honoured (`steps` ignored: a fixed count)", code="""
        _restore_ok = restore

        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            return _restore_ok(broken, corrupt, lr=lr, steps=100, seed=seed)
    """),
    Mutant("one_step_short", M, loses=("restore", "restore.steps", "restore.seed", "restore.dtype"),
           why="off by one: steps - 1 updates", code="""
        _restore_ok = restore

        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            return _restore_ok(broken, corrupt, lr=lr, steps=steps - 1, seed=seed)
    """),
    Mutant("lr_ignored", M, loses=("restore.steps",), why="a fixed lr of 0.8 instead of the argument", code="""
        _restore_ok = restore

        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            return _restore_ok(broken, corrupt, lr=0.8, steps=steps, seed=seed)
    """),
    Mutant("seed_ignored", M, loses=("restore", "restore.steps", "restore.seed", "restore.dtype"),
           why="starting point not from the given seed", code="""
        _restore_ok = restore

        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            return _restore_ok(broken, corrupt, lr=lr, steps=steps, seed=0)
    """),
    Mutant("float64_always", M, loses=("restore.dtype",), why="dtype fixed to float64 as in the notes", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
            x = x.to(broken.device)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = torch.dist(corrupt(x), broken.double())
                loss.backward()
                with torch.no_grad():
                    x = x - lr * x.grad
            return x.detach()
    """),
    Mutant("float32_start_kept", M, loses=("restore.dtype",),
           why="candidate left in float32 while broken is float64: only restore.dtype pays for it", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed)).to(broken.device)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                with torch.no_grad():
                    x = x - lr * x.grad
            return x.detach()
    """),
    Mutant("squared_loss", M, loses=("restore.steps", "restore.seed", "restore.dtype", "restore"),
           why="another loss (sum of squares) instead of torch.dist", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = ((corrupt(x) - broken) ** 2).sum()
                loss.backward()
                with torch.no_grad():
                    x = x - lr * x.grad
            return x.detach()
    """),
    Mutant("grads_accumulate", M, loses=ALL,
           why="in-place update without clearing x.grad: gradients accumulate", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device).requires_grad_(True)
            for _ in range(steps):
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                with torch.no_grad():
                    x -= lr * x.grad
            return x.detach()
    """),
    Mutant("steps_capped_200", M, loses=("restore.steps",), why="too few steps honoured: range(min(steps, 200))",
           code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            for _ in range(min(steps, 200)):
                x.requires_grad_(True)
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                with torch.no_grad():
                    x = x - lr * x.grad
            return x.detach()
    """),
    Mutant("computes_in_float32", M, loses=("restore.dtype",),
           why="the whole descent in float32 (broken converted too), a float32 result", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            target = broken.float()
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = torch.dist(corrupt(x), target)
                loss.backward()
                with torch.no_grad():
                    x = x - lr * x.grad
            return x.detach()
    """),
    Mutant("returns_graph_node", M, loses=("restore.detached",),
           why="returning a tensor that requires grad (a node of the graph, not the leaf)", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                with torch.no_grad():
                    x = x - lr * x.grad
            return x.requires_grad_(True) * 1.0
    """),
    # -- forgeries: nothing the worker reports about itself earns a point
    Mutant("recorder_forgery", M, loses=ALL,
           why="fills the corrupting function's recorders by hand and returns zeros (no descent at all)", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            calls = getattr(corrupt, "calls", None)
            if isinstance(calls, list):
                calls.extend([(True, True)] * (steps + 1))
            losses = getattr(corrupt, "losses", None)
            if isinstance(losses, list):
                losses.extend([0.0] * steps)
            return torch.zeros_like(broken)
    """),
    Mutant("returns_broken", M, loses=ALL, why="returns the broken image itself (right shape and dtype)", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            for _ in range(min(steps, 3)):
                corrupt(broken)
            return broken.detach().clone()
    """),
    alternative("data_update_grad_zero", M, why="x.requires_grad_() after torch.randn, x.data -= lr * x.grad, "
                "x.grad.zero_(), no torch.no_grad() block", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            gen = torch.Generator().manual_seed(seed)
            x = torch.randn(broken.shape, generator=gen, dtype=broken.dtype).requires_grad_()
            for _ in range(steps):
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                x.data -= lr * x.grad
                x.grad.zero_()
            return x.detach()
    """),
    alternative("view_into_corrupt_detach_each_step", M,
                why="update outside no_grad but detached at the start of every step; corrupt gets a view", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            for step in range(steps):
                x = x.detach().requires_grad_(True)
                hypothesis = corrupt(x.view(-1))
                loss = torch.dist(hypothesis, broken)
                loss.backward()
                x = x - lr * x.grad
                if step % 50 == 0:
                    with torch.no_grad():
                        corrupt(x)  # looking at the progress
            return x.detach()
    """),
    alternative("inplace_and_zero", M, why="in-place -= under no_grad, then grad.zero_()", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device).requires_grad_(True)
            for _ in range(steps):
                hypothesis = corrupt(x)
                loss = torch.dist(hypothesis, broken)
                loss.backward()
                with torch.no_grad():
                    x -= lr * x.grad
                    x.grad.zero_()
            return x.detach()
    """),
    alternative("add_alpha_grad_none", M, why="x.add_(grad, alpha=-lr), grad = None, detach().clone()", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            torch.manual_seed(seed)
            x = torch.randn(*broken.shape, dtype=broken.dtype).to(broken.device)
            x.requires_grad = True
            for step in range(steps):
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                with torch.no_grad():
                    x.add_(x.grad, alpha=-lr)
                x.grad = None
            return x.detach().clone()
    """),
    alternative("float32_start_converted", M, why="COURSE.md's randn (float32), then converted to broken's dtype",
                code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            g = torch.Generator().manual_seed(seed)
            x = torch.randn(broken.shape, generator=g).to(broken)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = (corrupt(x) - broken).norm()
                grad, = torch.autograd.grad(loss, x)
                with torch.no_grad():
                    x = x - lr * grad
            return x
    """),
    alternative("detach_update", M, why="update by rebinding to a detached tensor (no graph kept)", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device)
            for _ in range(steps):
                x.requires_grad_(True)
                loss = torch.dist(corrupt(x), broken)
                loss.backward()
                x = (x - lr * x.grad).detach()
            return x
    """),
    alternative("sgd", M, why="torch.optim.SGD performs the same update under no_grad", code="""
        def restore(broken, corrupt, lr=0.8, steps=20000, seed=0):
            x = torch.randn(broken.shape, generator=torch.Generator().manual_seed(seed), dtype=broken.dtype)
            x = x.to(broken.device).requires_grad_(True)
            opt = torch.optim.SGD([x], lr=lr)
            for _ in range(steps):
                opt.zero_grad()
                torch.dist(corrupt(x), broken).backward()
                opt.step()
            return x.detach()
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)


# -- messages that name the real cause (issue 14) ---------------------------------------------

BY_NAME = {m.name: m for m in MUTANTS}
HINTS = [
    # (mutant, item, words the message must hold)
    ("growing_graph", "restore.no_grad", ["outside torch.no_grad()", "at call 2 of corrupt"]),
    ("float32_start_kept", "restore.dtype", ["expected dtype float64", "dtype=broken.dtype"]),
    ("float64_always", "restore.dtype", ["expected dtype float32"]),
    ("steps_capped_200", "restore.steps", ["steps=260", "no cap"]),
    ("returns_requires_grad", "restore.detached", ["still requires grad", "x.detach()"]),
    ("recorder_forgery", "restore", ["far from the original"]),
]


@pytest.mark.parametrize("mutant, item, present", HINTS, ids=[f"{h[0]}-{h[1]}" for h in HINTS])
def test_hint_names_the_cause(mutant, item, present, tmp_path):
    from mutation import build_submission, fixed_only_scorer

    submission = build_submission(BY_NAME[mutant], tmp_path / "submission")
    (module,) = fixed_only_scorer().score(submission, [M]).modules
    message = {it.name: it.text.en for it in module.items}[item]
    for words in present:
        assert words in message, f"{mutant}/{item}: {words!r} missing from {message!r}"
