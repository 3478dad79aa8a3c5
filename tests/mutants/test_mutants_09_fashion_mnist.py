"""09_fashion_mnist: realistic mistakes lose their item; correct alternatives keep full points."""

import pytest

from mutation import Mutant, alternative, assert_mutant_scored

M = "09_fashion_mnist"

MUTANTS = [
    Mutant("no_normalize", M, loses=("build_transform",), why="ToTensor without Normalize", code="""
        def build_transform():
            return transforms.Compose([transforms.ToTensor()])
    """),
    Mutant("normalize_before_totensor", M, loses=("build_transform", "load_fashion_mnist", "train_classifier"),
           why="Normalize before ToTensor (fails on a PIL image)", code="""
        def build_transform():
            return transforms.Compose([transforms.Normalize((0.5,), (0.5,)), transforms.ToTensor()])
    """),
    Mutant("train_flag_ignored", M, loses=("load_fashion_mnist",), why="always the training split", code="""
        def load_fashion_mnist(root, train, download=False):
            return datasets.FashionMNIST(root, train=True, transform=build_transform(), download=download)
    """),
    Mutant("download_by_default", M, loses=("load_fashion_mnist.no_download",), why="download=True default",
           code="""
        def load_fashion_mnist(root, train, download=True):
            return datasets.FashionMNIST(root, train=train, transform=build_transform(), download=download)
    """),
    Mutant("download_ignored", M, loses=("load_fashion_mnist.no_download",), why="download argument ignored",
           code="""
        def load_fashion_mnist(root, train, download=False):
            return datasets.FashionMNIST(root, train=train, transform=build_transform(), download=True)
    """),
    Mutant("mnist_class", M, loses=("load_fashion_mnist", "train_classifier"), why="MNIST instead of FashionMNIST",
           code="""
        def load_fashion_mnist(root, train, download=False):
            return datasets.MNIST(root, train=train, transform=build_transform(), download=download)
    """),
    Mutant("no_flatten", M, loses=("FashionClassifier", "train_classifier"), why="Linear on [B, 1, 28, 28]", code="""
        class FashionClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(28 * 28, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                return self.fc2(torch.relu(self.fc1(x)))
    """),
    Mutant("no_super_init", M, loses=("FashionClassifier", "train_classifier"), why="no super().__init__()", code="""
        class FashionClassifier(nn.Module):
            def __init__(self):
                self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))

            def forward(self, x):
                return self.net(x)
    """),
    Mutant("softmax_output", M, loses=("FashionClassifier",), why="softmax on the output", code="""
        class FashionClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10))

            def forward(self, x):
                return torch.softmax(self.net(x), dim=1)
    """),
    Mutant("squeeze_batch", M, loses=("FashionClassifier",), why="drops the batch dim when B == 1", code="""
        class FashionClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(nn.Linear(28 * 28, 128), nn.ReLU(), nn.Linear(128, 10))

            def forward(self, x):
                return self.net(x.reshape(-1, 28 * 28)).squeeze()
    """),
    Mutant("optimizer_of_another_model", M, loses=("train_classifier",), why="model never trained", code="""
        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            training = importlib.import_module("06_training")
            train_loader, val_loader = data.make_loaders(load_fashion_mnist(root, train=True), 0.1, 32, 0)
            model = FashionClassifier().to(device)
            optimizer = torch.optim.Adam(FashionClassifier().to(device).parameters(), lr=1e-3)
            history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                                   loss_fn=nn.CrossEntropyLoss(), device=device)
            return model, history
    """),
    Mutant("history_missing", M, loses=("train_classifier",), why="returns the model only", code="""
        _train_classifier = train_classifier

        def train_classifier(root, epochs, device):
            return _train_classifier(root, epochs, device)[0]
    """),
    alternative("v2_cnn_inline_loop", M, why="transforms.v2, a small CNN, a hand-written loop without 05/06", code="""
        from torchvision.transforms import v2

        def build_transform():
            return v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5], [0.5])])

        class FashionClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4))
                self.head = nn.Linear(4 * 7 * 7, 10)

            def forward(self, x):
                return self.head(torch.flatten(self.features(x), 1))

        def train_classifier(root, epochs, device):
            full = load_fashion_mnist(root, train=True)
            n_val = len(full) // 10
            train_set, val_set = torch.utils.data.random_split(full, [len(full) - n_val, n_val])
            train_loader = torch.utils.data.DataLoader(train_set, batch_size=16, shuffle=True)
            val_loader = torch.utils.data.DataLoader(val_set, batch_size=64)
            model = FashionClassifier().to(device)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            loss_fn = nn.CrossEntropyLoss()
            history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
            for _ in range(epochs):
                history["lr"].append(optimizer.param_groups[0]["lr"])
                model.train()
                total = 0.0
                for x, y in train_loader:
                    x, y = x.to(device), y.to(device)
                    optimizer.zero_grad()
                    loss = loss_fn(model(x), y)
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * len(y)
                history["train_loss"].append(total / len(train_set))
                model.eval()
                with torch.no_grad():
                    xs, ys = zip(*[(x.to(device), y.to(device)) for x, y in val_loader])
                    logits = model(torch.cat(xs))
                    y = torch.cat(ys)
                    history["val_loss"].append(loss_fn(logits, y).item())
                    history["val_acc"].append((logits.argmax(1) == y).float().mean().item())
            return model, history
    """),
    alternative("pil_samples_transform_later", M, why="load without a transform (PIL samples), set it when training",
                code="""
        def load_fashion_mnist(root, train, download=False):
            return datasets.FashionMNIST(root=root, train=train, download=download)

        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            training = importlib.import_module("06_training")
            dataset = load_fashion_mnist(root, train=True)
            dataset.transform = build_transform()
            train_loader, val_loader = data.make_loaders(dataset, 0.2, 64, 1)
            model = FashionClassifier().to(device)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
            history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                                   loss_fn=nn.CrossEntropyLoss(), device=device)
            return model, history
    """),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=str)
def test_mutant(scorer, mutant, tmp_path):
    assert_mutant_scored(scorer, mutant, tmp_path)
