"""09_fashion_mnist: realistic mistakes lose their item; correct alternatives keep full points."""

import textwrap

import pytest

from mutation import Mutant, alternative, assert_mutant_scored, build_submission

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
    Mutant("per_image_normalize", M, loses=("build_transform",),
           why="each image normalised by its own mean and std", code="""
        def build_transform():
            return transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: (x - x.mean()) / x.std())])
    """),
    Mutant("untrained_made_up_history", M, loses=("train_classifier",),
           why="no training at all; a history written by hand that claims success", code="""
        def train_classifier(root, epochs, device):
            load_fashion_mnist(root, train=True)
            history = {"train_loss": [0.9 / (e + 1) for e in range(epochs)],
                       "val_loss": [0.8 / (e + 1) for e in range(epochs)],
                       "val_acc": [0.9 + 0.02 * e for e in range(epochs)],
                       "lr": [1e-3] * epochs}
            return FashionClassifier().to(device), history
    """),
    Mutant("zero_steps", M, loses=("train_classifier",), why="trains 0 effective steps (lr=0)", code="""
        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            training = importlib.import_module("06_training")
            train_loader, val_loader = data.make_loaders(load_fashion_mnist(root, train=True), 0.1, 32, 0)
            model = FashionClassifier().to(device)
            optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
            history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                                   loss_fn=nn.CrossEntropyLoss(), device=device)
            return model, history
    """),
    Mutant("trained_on_test_split", M, loses=("train_classifier",), why="trains on train=False", code="""
        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            training = importlib.import_module("06_training")
            train_loader, val_loader = data.make_loaders(load_fashion_mnist(root, train=False), 0.1, 32, 0)
            model = FashionClassifier().to(device)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                                   loss_fn=nn.CrossEntropyLoss(), device=device)
            return model, history
    """),
    Mutant("epochs_ignored", M, loses=("train_classifier",), why="always one epoch, whatever `epochs` says", code="""
        _train_classifier = train_classifier

        def train_classifier(root, epochs, device):
            return _train_classifier(root, 1, device)
    """),
    Mutant("history_contradicts_itself", M, loses=("train_classifier",),
           why="trains, then returns numbers of its own (val_acc 50% with a val_loss of 0.01)", code="""
        _train_classifier = train_classifier

        def train_classifier(root, epochs, device):
            model, _ = _train_classifier(root, epochs, device)
            return model, {"train_loss": [0.02] * epochs, "val_loss": [0.01] * epochs, "val_acc": [0.5] * epochs,
                           "lr": [1e-3] * epochs}
    """),
    Mutant("claims_in_the_model", M, loses=("train_classifier",),
           why="an untrained model that carries its own 'accuracy' and a perfect history", code="""
        def train_classifier(root, epochs, device):
            model = FashionClassifier().to(device)
            model.accuracy = 1.0
            model.correct = list(range(10))
            return model, {"train_loss": [0.0] * epochs, "val_loss": [0.0] * epochs, "val_acc": [1.0] * epochs,
                           "lr": [1e-3] * epochs}
    """),
    alternative("seed_book_sgd", M, why="the seed book's classifier: its own model (view), SGD lr 0.01, batch 64",
                code="""
        import torch.nn.functional as F
        import torch.optim as optim

        def build_transform():
            return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

        class FashionClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1 = nn.Linear(784, 128)
                self.fc2 = nn.Linear(128, 10)

            def forward(self, x):
                x = x.view(x.size(0), -1)    # [64, 1, 28, 28] -> [64, 784]
                return self.fc2(F.relu(self.fc1(x)))

        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            training = importlib.import_module("06_training")
            train_loader, val_loader = data.make_loaders(load_fashion_mnist(root, train=True), 0.2, 64, 42)
            model = FashionClassifier().to(device)
            optimizer = optim.SGD(model.parameters(), lr=0.01)
            criterion = nn.CrossEntropyLoss()
            history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                                   loss_fn=criterion, device=device)
            return model, history
    """),
    alternative("pytorch_quickstart", M, why="pytorch/tutorials quickstart: 784-512-512-10, SGD lr 1e-3, batch 64, "
                "its own train/test loops", code="""
        def build_transform():
            return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])

        class FashionClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.flatten = nn.Flatten()
                self.linear_relu_stack = nn.Sequential(
                    nn.Linear(28 * 28, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.ReLU(),
                    nn.Linear(512, 10),
                )

            def forward(self, x):
                x = self.flatten(x)
                logits = self.linear_relu_stack(x)
                return logits

        def train(dataloader, model, loss_fn, optimizer, device):
            size = len(dataloader.dataset)
            model.train()
            total = 0.0
            for batch, (X, y) in enumerate(dataloader):
                X, y = X.to(device), y.to(device)
                pred = model(X)
                loss = loss_fn(pred, y)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
                total += loss.item() * len(X)
            return total / size

        def test(dataloader, model, loss_fn, device):
            size = len(dataloader.dataset)
            num_batches = len(dataloader)
            model.eval()
            test_loss, correct = 0, 0
            with torch.no_grad():
                for X, y in dataloader:
                    X, y = X.to(device), y.to(device)
                    pred = model(X)
                    test_loss += loss_fn(pred, y).item()
                    correct += (pred.argmax(1) == y).type(torch.float).sum().item()
            test_loss /= num_batches
            correct /= size
            return test_loss, correct

        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            train_dataloader, val_dataloader = data.make_loaders(load_fashion_mnist(root, train=True), 0.1, 64, 0)
            model = FashionClassifier().to(device)
            loss_fn = nn.CrossEntropyLoss()
            optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
            history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
            for t in range(epochs):
                history["lr"].append(optimizer.param_groups[0]["lr"])
                history["train_loss"].append(train(train_dataloader, model, loss_fn, optimizer, device))
                val_loss, val_acc = test(val_dataloader, model, loss_fn, device)
                history["val_loss"].append(val_loss)
                history["val_acc"].append(val_acc)
            return model, history
    """),
    alternative("small_cnn_adam", M, why="a small CNN with Adam lr 1e-3, batch 64, through 05 and 06", code="""
        class FashionClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(
                    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                )
                self.classifier = nn.Linear(32 * 7 * 7, 10)

            def forward(self, x):
                return self.classifier(self.features(x).flatten(1))

        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            training = importlib.import_module("06_training")
            train_loader, val_loader = data.make_loaders(load_fashion_mnist(root, train=True), 0.1, 64, 0)
            model = FashionClassifier().to(device)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                                   loss_fn=nn.CrossEntropyLoss(), device=device)
            return model, history
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


# -- messages that name the real cause ----------------------------------------------------

def _items(scorer, submission):
    (module,) = scorer.score(submission, [M]).modules
    return {item.name: item for item in module.items}


def _by_name(name):
    return next(m for m in MUTANTS if m.name == name)


def test_normalize_before_totensor_names_the_line(scorer, tmp_path):
    mutant = _by_name("normalize_before_totensor")
    submission = build_submission(mutant, tmp_path / "s")
    lines = (submission / f"{M}.py").read_text(encoding="utf-8").splitlines()
    line = max(i for i, text in enumerate(lines, 1) if "transforms.Normalize((0.5,), (0.5,)), transforms.ToTensor()" in text)
    items = _items(scorer, submission)
    for name in ("build_transform", "load_fashion_mnist", "train_classifier"):
        assert f"Normalize (line {line}) comes before ToTensor" in items[name].text.en, items[name].text.en


def test_test_split_training_is_named(scorer, tmp_path):
    items = _items(scorer, build_submission(_by_name("trained_on_test_split"), tmp_path / "s"))
    assert "trained on the test split" in items["train_classifier"].text.en


def test_slow_learning_is_told_so(scorer, tmp_path):
    slow = Mutant("slow", M, loses=("train_classifier",), code="""
        def train_classifier(root, epochs, device):
            data = importlib.import_module("05_data")
            training = importlib.import_module("06_training")
            train_loader, val_loader = data.make_loaders(load_fashion_mnist(root, train=True), 0.1, 64, 0)
            model = FashionClassifier().to(device)
            optimizer = torch.optim.SGD(model.parameters(), lr=SLOW_LR)
            history = training.fit(model, train_loader, val_loader, epochs=epochs, optimizer=optimizer,
                                   loss_fn=nn.CrossEntropyLoss(), device=device)
            return model, history
    """.replace("SLOW_LR", SLOW_LR))
    item = _items(scorer, build_submission(slow, tmp_path / "s"))["train_classifier"]
    assert item.score == 0 and "learned, but slowly" in item.text.en and "Adam" in item.text.en, item.text.en


SLOW_LR = "1e-4"  # about 37% on the fixed held-out images: between guessing (25%) and the bar (50%)


def _with_broken_06(tmp_path, code):
    submission = build_submission(alternative("reference", M, code=""), tmp_path / "s")
    path = submission / "06_training.py"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n" + textwrap.dedent(code), encoding="utf-8")
    return submission


def test_failure_in_06_is_named(scorer, tmp_path):
    submission = _with_broken_06(tmp_path, """
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            raise ValueError("oops")
    """)
    item = _items(scorer, submission)["train_classifier"]
    assert item.score == 0 and "06_training.py" in item.text.en and "train_one_epoch" in item.text.en, item.text.en


def test_06_that_never_steps_is_named(scorer, tmp_path):
    submission = _with_broken_06(tmp_path, """
        def train_one_epoch(model, loader, loss_fn, optimizer, device):
            model.train()
            total = 0.0
            for x, y in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(x.to(device)), y.to(device))
                loss.backward()
                total += loss.item() * len(x)
            return total / len(loader.dataset)
    """)
    item = _items(scorer, submission)["train_classifier"]
    assert item.score == 0 and "06_training.py" in item.text.en, item.text.en
