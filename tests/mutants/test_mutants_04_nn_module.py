"""04_nn_module: every COURSE.md "Catch" loses its item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "04_nn_module"
MLP_ITEMS = ("MLP.init", "MLP.layers", "MLP.forward", "MLP.batch_of_one")

MUTANTS = [
    Mutant("no_super_init", M, loses=MLP_ITEMS, why="no super().__init__() (AttributeError explained)", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("super_init_last", M, loses=MLP_ITEMS, why="super().__init__() after assigning the layers", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)
                super().__init__()

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("layers_in_forward", M, loses=("MLP.layers", "MLP.forward", "MLP.batch_of_one"),
           why="layers built in forward", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.sizes = (in_features, hidden, out_features)

            def forward(self, x):
                i, h, o = self.sizes
                self.fc1 = nn.Linear(i, h).to(x.device)
                self.fc2 = nn.Linear(h, o).to(x.device)
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("fresh_layer_in_forward", M, loses=("MLP.forward", "MLP.batch_of_one"),
           why="layers built in forward (fc1 exists, but forward uses a new layer each call)", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                fc1 = nn.Linear(self.fc1.in_features, self.fc1.out_features).to(x.device)
                return self.fc2(torch.relu(fc1(x.flatten(1))))
    """),
    Mutant("layers_in_list", M, loses=("MLP.layers", "MLP.forward", "MLP.batch_of_one"),
           why="layers in a plain list: parameters not registered (an optimizer would never see them)", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.layers = [nn.Linear(in_features, hidden), nn.Linear(hidden, out_features)]

            @property
            def fc1(self):
                return self.layers[0]

            @property
            def fc2(self):
                return self.layers[1]

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("softmax_output", M, loses=("MLP.forward", "MLP.batch_of_one"), why="softmax on the output", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return torch.softmax(self.fc2(torch.relu(self.fc1(x.flatten(1)))), dim=1)
    """),
    Mutant("log_softmax_output", M, loses=("MLP.forward", "MLP.batch_of_one"), why="log-softmax on the output",
           code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return torch.log_softmax(self.fc2(torch.relu(self.fc1(x.flatten(1)))), dim=1)
    """),
    Mutant("squeeze_batch", M, loses=("MLP.batch_of_one",), why="B == 1: squeeze drops the batch dim", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1)))).squeeze()
    """),
    Mutant("squeeze_input", M, loses=("MLP.batch_of_one",), why="B == 1: squeeze before flattening", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                x = x.squeeze()
                x = x.reshape(len(x), -1) if x.dim() > 1 else x
                return self.fc2(torch.relu(self.fc1(x)))
    """),
    Mutant("no_relu", M, loses=("MLP.forward", "MLP.batch_of_one"), why="no activation between the layers", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return self.fc2(self.fc1(x.flatten(1)))
    """),
    Mutant("swapped_sizes", M, loses=("MLP.layers", "MLP.forward", "MLP.batch_of_one"),
           why="hidden and out_features swapped", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, out_features)
                self.fc2 = nn.Linear(out_features, hidden)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("not_a_module", M, loses=MLP_ITEMS, why="class MLP not derived from nn.Module", code="""
        class MLP:
            def __init__(self, in_features=784, hidden=128, out_features=10):
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def __call__(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("counts_frozen", M, loses=("count_parameters.frozen",), why="counts frozen parameters too", code="""
        def count_parameters(model):
            return sum(p.numel() for p in model.parameters())
    """),
    Mutant("counts_state_dict", M, loses=("count_parameters", "count_parameters.frozen"),
           why="counts the state_dict (buffers, frozen parameters)", code="""
        def count_parameters(model):
            return sum(t.numel() for t in model.state_dict().values())
    """),
    Mutant("counts_tensors", M, loses=("count_parameters", "count_parameters.frozen"),
           why="counts parameter tensors, not elements", code="""
        def count_parameters(model):
            return len([p for p in model.parameters() if p.requires_grad])
    """),
    Mutant("returns_tensor", M, loses=("count_parameters", "count_parameters.frozen"), why="result must be an int",
           code="""
        def count_parameters(model):
            return torch.stack([torch.tensor(p.numel()) for p in model.parameters() if p.requires_grad]).sum()
    """),
    Mutant("returns_float", M, loses=("count_parameters", "count_parameters.frozen"), why="result must be an int",
           code="""
        def count_parameters(model):
            return float(sum(p.numel() for p in model.parameters() if p.requires_grad))
    """),
    Mutant("top_level_only", M, loses=("count_parameters", "count_parameters.frozen"),
           why="misses the parameters of nested modules", code="""
        def count_parameters(model):
            total = 0
            for layer in model.children():
                for p in layer._parameters.values():
                    if p is not None and p.requires_grad:
                        total += p.numel()
            return total
    """),
    Mutant("no_bias", M, loses=("MLP.layers", "MLP.forward", "MLP.batch_of_one"), why="layers without bias",
           code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden, bias=False)
                self.fc2 = nn.Linear(hidden, out_features, bias=False)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("sigmoid_activation", M, loses=("MLP.forward", "MLP.batch_of_one"), why="sigmoid instead of ReLU",
           code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return self.fc2(torch.sigmoid(self.fc1(x.flatten(1))))
    """),
    Mutant("relu_on_output", M, loses=("MLP.forward", "MLP.batch_of_one"), why="ReLU on the logits too",
           code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return torch.relu(self.fc2(torch.relu(self.fc1(x.flatten(1)))))
    """),
    Mutant("flatten_everything", M, loses=("MLP.forward", "MLP.batch_of_one"),
           why="x.flatten() without start_dim merges the batch into the features", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten())))
    """),
    Mutant("weights_copied_at_init", M, loses=("MLP.forward", "MLP.batch_of_one"),
           why="forgery: forward uses copies of the weights taken at construction, not the layers", code="""
        import torch.nn.functional as F

        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)
                self.frozen = [t.detach().clone() for t in (self.fc1.weight, self.fc1.bias, self.fc2.weight,
                                                            self.fc2.bias)]

            def forward(self, x):
                w1, b1, w2, b2 = (t.to(x.device) for t in self.frozen)
                return F.linear(torch.relu(F.linear(x.flatten(1), w1, b1)), w2, b2)
    """),
    Mutant("parameters_overridden", M, loses=("MLP.layers", "MLP.forward", "MLP.batch_of_one"),
           why="layers in a plain list, parameters() overridden to look registered", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.plain = [nn.Linear(in_features, hidden), nn.Linear(hidden, out_features)]

            @property
            def fc1(self):
                return self.plain[0]

            @property
            def fc2(self):
                return self.plain[1]

            def parameters(self, recurse=True):
                return iter([self.fc1.weight, self.fc1.bias, self.fc2.weight, self.fc2.bias])

            def named_parameters(self, *args, **kwargs):
                return iter(zip(["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], self.parameters()))

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    """),
    Mutant("counts_every_module", M, loses=("count_parameters", "count_parameters.frozen"),
           why="sums parameters() of every submodule: nested ones counted again", code="""
        def count_parameters(model):
            return sum(p.numel() for m in model.modules() for p in m.parameters() if p.requires_grad)
    """),
    Mutant("counts_shared_twice", M, loses=("count_parameters",),
           why="a shared layer counted twice (named_parameters without removing duplicates)", code="""
        def count_parameters(model):
            return sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False) if p.requires_grad)
    """),
    Mutant("counts_only_with_grad", M, loses=("count_parameters", "count_parameters.frozen"),
           why="counts parameters that have a .grad (none before training)", code="""
        def count_parameters(model):
            return sum(p.numel() for p in model.parameters() if p.grad is not None)
    """),
    Mutant("constant_count", M, loses=("count_parameters", "count_parameters.frozen"),
           why="forgery: the default MLP's count typed in", code="""
        def count_parameters(model):
            return 784 * 128 + 128 + 128 * 10 + 10
    """),
    alternative("functional_relu_view", M, why="F.relu, view, super(MLP, self), layers as a Sequential too", code="""
        import torch.nn.functional as F

        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super(MLP, self).__init__()
                self.in_features = in_features
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)
                self.net = nn.Sequential(self.fc1, nn.ReLU(), self.fc2)

            def forward(self, x):
                return self.net(x.view(-1, self.in_features))

        def count_parameters(model):
            return sum(p.numel() for name, p in model.named_parameters() if p.requires_grad)
    """),
    alternative("flatten_layer_matmul", M, why="nn.Flatten, manual x @ W.T + b, relu by clamp", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.flatten = nn.Flatten()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                h = (self.flatten(x) @ self.fc1.weight.T + self.fc1.bias).clamp(min=0)
                return F.linear(h, self.fc2.weight, self.fc2.bias)

        import torch.nn.functional as F

        def count_parameters(model):
            total = 0
            for p in model.parameters():
                if p.requires_grad:
                    total += int(torch.tensor(p.shape).prod())
            return total
    """),
    alternative("view_minus_one_784", M, why="x.view(-1, 784), as tutorials write it (inputs are [B, 1, 28, 28] or "
                "[B, 784])", code="""
        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x.view(-1, 784))))
    """),
    alternative("torch_flatten_sequential", M, why="nn.Sequential inside MLP, torch.flatten(x, 1), a filter on "
                "requires_grad with np.prod (PyTorch forums)", code="""
        import numpy as np

        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super().__init__()
                self.layers = nn.Sequential(nn.Linear(in_features, hidden), nn.ReLU(), nn.Linear(hidden, out_features))
                self.fc1 = self.layers[0]
                self.fc2 = self.layers[2]

            def forward(self, x):
                return self.layers(torch.flatten(x, 1))

        def count_parameters(model):
            model_parameters = filter(lambda p: p.requires_grad, model.parameters())
            return sum([np.prod(p.size()) for p in model_parameters])
    """),
    alternative("size_zero_view_and_loop", M, why="x.view(x.size(0), -1), F.relu, a loop with +=", code="""
        import torch.nn.functional as F

        class MLP(nn.Module):
            def __init__(self, in_features=784, hidden=128, out_features=10):
                super(MLP, self).__init__()
                self.fc1 = nn.Linear(in_features, hidden)
                self.fc2 = nn.Linear(hidden, out_features)

            def forward(self, x):
                x = x.view(x.size(0), -1)
                x = F.relu(self.fc1(x))
                x = self.fc2(x)
                return x

        def count_parameters(model):
            total = 0
            for name, parameter in model.named_parameters():
                if not parameter.requires_grad:
                    continue
                total += parameter.numel()
            return total
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
