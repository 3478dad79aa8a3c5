"""Static checks of a student's source, done in the scorer (the `source` fixture).

Some rules have no outcome the scorer can judge from values alone ("no Python loops", "via
`backward()`", "no ready-made loss"). Those items also read the student's file here: it is
parsed with `ast`, never run, so nothing the student wrote can change the verdict. Together
with the outcome checks this is a deterrent, not a proof (README lists which items are which).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..sandbox.files import UnsafeFile, read_regular_file

LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

# Reaching into the grading machinery or the interpreter's own state: never needed by an exercise.
TAMPER_MODULES = {"torchdojo", "gc", "ctypes", "inspect", "builtins", "marshal", "dis",
                  "copyreg", "_thread", "faulthandler", "tracemalloc", "cffi"}
TAMPER_CALLS = {"__import__", "globals", "vars", "exec", "eval", "compile"}  # as bare names
TAMPER_ATTRIBUTES = {"__builtins__", "__code__", "__globals__", "__closure__", "__subclasses__", "__bases__",
                     "__mro__", "__dict__", "__getattribute__", "__setattr__", "__reduce__", "__reduce_ex__",
                     "_getframe", "f_back", "f_globals", "f_locals", "gi_frame", "tb_frame", "settrace",
                     "setprofile", "addaudithook", "meta_path", "path_hooks", "__torch_function__",
                     "__torch_dispatch__"}
SYS_ATTRIBUTES = {"modules"}  # sys.modules, but model.modules() is ordinary
# torch's own hooks into every operation: a mode or override could fake what a probe observes
TAMPER_TORCH_MODULES = ("torch.overrides", "torch.utils._python_dispatch", "torch._C", "torch.library",
                        "torch._dynamo", "torch.fx")
# Attribute assignment on these roots replaces a library function for everyone (a monkey patch).
PATCH_ROOTS = {"torch", "nn", "F", "functional", "optim", "np", "numpy", "torchvision", "math"}
PATCH_ALLOWED = {"backends"}  # torch.backends.cudnn.deterministic = True is ordinary tutorial code


@dataclass
class StudentSource:
    """One student file, parsed (or why it could not be)."""

    path: Path
    text: str = ""
    tree: ast.Module | None = None
    problem: str | None = None
    _defs: dict[str, list[ast.AST]] = field(default_factory=dict)  # a name's binding (and what an alias captured)
    _library_names: set[str] = field(default_factory=set)  # names bound to library modules by imports

    @classmethod
    def read(cls, path: Path, limit: int = 1024**2, root: Path | None = None) -> "StudentSource":
        source = cls(Path(path))
        try:
            raw = read_regular_file(path, limit, root=root)
            source.text = raw.decode("utf-8")
            source.tree = ast.parse(source.text, filename=Path(path).name)
        except (OSError, UnsafeFile, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            source.problem = type(exc).__name__
            return source
        # a later def replaces an earlier one, as in Python; but `_old = f` before a new `def f`
        # keeps the old body reachable through `_old`
        for node in source.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                source._defs[node.name] = [node]
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        captured = source._defs.get(node.value.id, []) if isinstance(node.value, ast.Name) else []
                        source._defs[target.id] = [node, *captured]
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.split(".")[0] in PATCH_ROOTS:
                        source._library_names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in PATCH_ROOTS:
                source._library_names.update(a.asname or a.name for a in node.names)
        return source

    @property
    def ok(self) -> bool:
        return self.tree is not None

    def definition(self, name: str) -> ast.AST | None:
        """The binding of `name` that Python would use (the last one)."""
        found = self._defs.get(name)
        return found[0] if found else None

    def reachable(self, name: str) -> list[ast.AST]:
        """The definition of `name` and every module-level definition it refers to, transitively."""
        seen: dict[str, list[ast.AST]] = {}
        todo = [name]
        while todo:
            current = todo.pop()
            nodes = self._defs.get(current)
            if not nodes or current in seen:
                continue
            seen[current] = nodes
            for node in nodes:
                for sub in _walk(node):
                    if isinstance(sub, ast.Name) and sub.id in self._defs and sub.id not in seen:
                        todo.append(sub.id)
        return [node for nodes in seen.values() for node in nodes]

    def loops(self, name: str) -> list[int]:
        """Lines of Python loops and comprehensions in `name` and what it calls in this file."""
        return sorted({n.lineno for node in self.reachable(name) for n in _walk(node) if isinstance(n, LOOP_NODES)})

    def calls(self, name: str, attributes: Iterable[str]) -> list[int]:
        """Lines where `name` (or what it calls here) calls one of `attributes` (`x.backward()`, `grad(...)`)."""
        wanted = set(attributes)
        lines = set()
        for node in self.reachable(name):
            for n in _walk(node):
                if isinstance(n, ast.Call):
                    f = n.func
                    if (isinstance(f, ast.Attribute) and f.attr in wanted) or (isinstance(f, ast.Name) and f.id in wanted):
                        lines.add(n.lineno)
        return sorted(lines)

    def mentions(self, names: Iterable[str], where: str | None = None) -> list[tuple[int, str]]:
        """(line, name) wherever one of `names` appears: a name, an attribute, an import, a string.

        `where`: only in that definition and what it reaches; None: the whole file.
        """
        wanted = set(names)
        nodes = self.reachable(where) if where else ([self.tree] if self.tree else [])
        found = set()
        for node in nodes:
            for n in _walk(node):
                for text in _names_of(n):
                    if text in wanted:
                        found.add((getattr(n, "lineno", 0), text))
        return sorted(found)

    def imports(self) -> set[str]:
        """Module names this file imports: `import x`, `from x import`, import_module('x')."""
        if self.tree is None:
            return set()
        names = set()
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Import):
                names.update(alias.name.split(".")[0] for alias in n.names)
            elif isinstance(n, ast.ImportFrom) and n.module and not n.level:
                names.add(n.module.split(".")[0])
            elif (isinstance(n, ast.Call) and _call_name(n.func) == "import_module" and n.args
                  and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str)):
                names.add(n.args[0].value.split(".")[0])
        return names

    def tampering(self) -> list[tuple[int, str]]:
        """(line, what) for code that reaches into torchdojo, the interpreter or patches a library."""
        if self.tree is None:
            return []
        found = set()
        for n in ast.walk(self.tree):
            if isinstance(n, ast.Import):
                for alias in n.names:
                    if alias.name.split(".")[0] in TAMPER_MODULES or _torch_internal(alias.name):
                        found.add((n.lineno, f"import {alias.name}"))
            elif isinstance(n, ast.ImportFrom):
                module = n.module or ""
                named = [f"{module}.{a.name}" for a in n.names]
                if module.split(".")[0] in TAMPER_MODULES or any(_torch_internal(m) for m in [module, *named]):
                    found.add((n.lineno, f"from {n.module} import ..."))
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name in TAMPER_ATTRIBUTES:
                found.add((n.lineno, f"def {n.name}"))
            elif isinstance(n, ast.Name) and (n.id in TAMPER_CALLS or n.id == "__builtins__"):
                found.add((n.lineno, n.id))
            elif isinstance(n, ast.Attribute) and (
                    n.attr in TAMPER_ATTRIBUTES
                    or (n.attr in SYS_ATTRIBUTES and _ends_with(n.value, "sys"))
                    or n.attr == "sys"):
                found.add((n.lineno, f".{n.attr}"))
            elif (isinstance(n, ast.Call) and _call_name(n.func) == "import_module"
                  and not (n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, str))):
                found.add((n.lineno, "import_module of a computed name"))
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in ("setattr", "delattr")
                  and n.args and (_patched_root(ast.Attribute(value=n.args[0], attr="x"), self._library_names)
                                  is not None or _is_type_of(n.args[0]))):
                found.add((n.lineno, f"{n.func.id} on a library module"))
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and _names_module(n.value):
                found.add((n.lineno, repr(n.value[:40])))
            elif isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                targets = n.targets if isinstance(n, (ast.Assign, ast.Delete)) else [n.target]
                for target in targets:
                    root = _patched_root(target, self._library_names)
                    if root:
                        found.add((n.lineno, f"assignment to {root}"))
                    elif isinstance(target, ast.Attribute) and _is_type_of(target.value):
                        found.add((n.lineno, "assignment to an attribute of type(...)"))
        return sorted(found)


def _torch_internal(module: str) -> bool:
    return any(module == m or module.startswith(m + ".") for m in TAMPER_TORCH_MODULES)


def _call_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _names_module(text: str) -> bool:
    """'torchdojo.sandbox', 'gc', 'ctypes': a string that names a forbidden module (for __import__,
    importlib.import_module, sys.modules[...]); 09 imports '05_data' that way, which is fine."""
    root = text.split(".")[0]
    return root in TAMPER_MODULES and text.replace(".", "").replace("_", "").isalnum()


def _walk(node: ast.AST):
    return ast.walk(node)


def _names_of(n: ast.AST) -> list[str]:
    if isinstance(n, ast.Name):
        return [n.id]
    if isinstance(n, ast.Attribute):
        return [n.attr]
    if isinstance(n, (ast.Import, ast.ImportFrom)):
        out = []
        for alias in n.names:
            out.extend(alias.name.split("."))
            if alias.asname:
                out.append(alias.asname)
        if isinstance(n, ast.ImportFrom) and n.module:
            out.extend(n.module.split("."))
        return out
    if isinstance(n, ast.Constant) and isinstance(n.value, str):
        return [n.value]
    return []


def _ends_with(node: ast.AST, name: str) -> bool:
    """`sys` or `torch.sys` or `os.sys`: an expression that names the module `name`."""
    return (isinstance(node, ast.Name) and node.id == name) or (isinstance(node, ast.Attribute) and node.attr == name)


def _is_type_of(node: ast.AST) -> bool:
    """`type(model)` or `model.__class__`: assigning into it patches a class for every instance."""
    return ((isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "type")
            or (isinstance(node, ast.Attribute) and node.attr == "__class__"))


def _patched_root(target: ast.AST, aliases: set[str] = frozenset()) -> str | None:  # type: ignore[assignment]
    """`torch.x.y = ...` -> 'torch.x.y' when its root is a library module (not torch.backends)."""
    if not isinstance(target, ast.Attribute):
        return None
    chain = []
    node: ast.AST = target
    while isinstance(node, ast.Attribute):
        chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or (node.id not in PATCH_ROOTS and node.id not in aliases):
        return None
    chain.append(node.id)
    chain.reverse()
    if any(part in PATCH_ALLOWED for part in chain[1:]):
        return None
    return ".".join(chain)
