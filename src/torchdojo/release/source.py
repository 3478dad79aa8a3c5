"""Cut a module's stub (exercises/) and reference (reference/) into notebook parts with `ast`.

For every exercise name of the catalogue:
- the markdown: the stub's docstrings (function, or class and its methods);
- the answer cell: the stub's ``def``/``class`` lines (docstrings go to the markdown), each
  function or method body replaced by the reference body between nbgrader's
  ``### BEGIN SOLUTION`` / ``### END SOLUTION`` markers. nbgrader's release turns each region
  into ``raise NotImplementedError()`` at the body's indentation, so the released cell is the
  stub again and every other cell still runs.

Module-level imports of the stub (and its other top-level code: given constants, helpers) go
to one locked setup cell. What only the reference has at module level (helper functions,
constants, extra imports) goes *inside* the solution region of each exercise body that uses
it, so the release shows none of it. Where that cannot work (a helper used in a class body
or a default argument, a reference method the stub lacks) the part falls back to a
top-level region and a warning says so.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CourseError

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"

Def = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@dataclass
class ExercisePart:
    name: str
    kind: str  # "function" or "class"
    markdown: str
    answer: str  # source with solution regions


@dataclass
class ModuleParts:
    module: str
    intro: str  # markdown
    setup: str  # code: imports and the stub's given top-level code
    exercises: list[ExercisePart]
    warnings: list[str] = field(default_factory=list)


# -- small ast helpers ----------------------------------------------------------------------

def _parse(path: Path) -> tuple[ast.Module, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CourseError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    try:
        return ast.parse(text, filename=str(path)), text.splitlines()
    except SyntaxError as exc:
        raise CourseError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from exc


def _docstring_node(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _segment(lines: list[str], node: ast.stmt) -> list[str]:
    return lines[_start(node) - 1:node.end_lineno]


def _shift(lines: list[str], from_col: int, to_col: int) -> list[str]:
    """Re-indent lines written at `from_col` to `to_col` (lines indented less stay as they are)."""
    out = []
    prefix = " " * from_col
    for line in lines:
        if not line.strip():
            out.append("")
        elif line.startswith(prefix):
            out.append(" " * to_col + line[from_col:])
        else:  # e.g. a continuation line of a multi-line string
            out.append(line)
    return out


def _strip_blank(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _header(lines: list[str], node: Def) -> list[str]:
    """The decorator and def/class lines of `node`, without its body."""
    first = node.body[0]
    if first.lineno > node.lineno:
        head = lines[_start(node) - 1:first.lineno - 1]
        # comment lines between the header and the body belong to the body
        while head and (not head[-1].strip() or head[-1].strip().startswith("#")):
            head = head[:-1]
        if head:
            return head
    clone = ast.parse(ast.unparse(node)).body[0]
    clone.body = [ast.Pass()]  # type: ignore[attr-defined]
    text = ast.unparse(clone).splitlines()[:-1]
    return _shift(text, 0, node.col_offset)


def _body(lines: list[str], node: Def, skip_docstring: bool = True) -> tuple[list[str], int]:
    """The body's source lines (comments included) and the column they are written at."""
    statements = list(node.body)
    doc = _docstring_node(node)
    if skip_docstring and doc is not None:
        statements = statements[1:]
    if not statements:
        return [], node.col_offset + 4
    start = statements[0].lineno
    previous_end = doc.end_lineno if (skip_docstring and doc is not None) else _header_end(node)
    # keep comment lines written right above the first statement
    while start - 1 > previous_end and lines[start - 2].strip().startswith("#"):
        start -= 1
    return _strip_blank(lines[start - 1:node.end_lineno]), statements[0].col_offset


def _header_end(node: Def) -> int:
    return node.body[0].lineno - 1 if node.body[0].lineno > node.lineno else node.lineno


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"}
    names: set[str] = set()
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    for target in targets:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
    return names


def _used_names(nodes: list[ast.AST]) -> set[str]:
    used: set[str] = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                used.add(sub.id)
    return used


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple:
    a = node.args
    return ([p.arg for p in a.posonlyargs], [p.arg for p in a.args], a.vararg.arg if a.vararg else None,
            [p.arg for p in a.kwonlyargs], a.kwarg.arg if a.kwarg else None)


BINDING_DECORATORS = {"staticmethod", "classmethod", "property", "abstractmethod", "cached_property", "overload",
                      "setter", "getter", "deleter", "dataclass"}


def _binds(decorator: ast.expr) -> bool:
    """A decorator that changes what the name is (not just what a call does)."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in BINDING_DECORATORS


def _forward(args: ast.arguments) -> str:
    """The call that passes a function's own parameters on: `a, b, *rest, k=k, **kw`."""
    parts = [p.arg for p in [*args.posonlyargs, *args.args]]
    if args.vararg:
        parts.append("*" + args.vararg.arg)
    parts += [f"{p.arg}={p.arg}" for p in args.kwonlyargs]
    if args.kwarg:
        parts.append("**" + args.kwarg.arg)
    return ", ".join(parts)


class _NeedsFallback(Exception):
    """The exercise cannot be split into stub lines and solution bodies (reason in args[0])."""


def _is_docstring_stmt(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


# -- the parts --------------------------------------------------------------------------------

class _Reference:
    """The reference file: its exercises and the module-level helpers they use."""

    def __init__(self, path: Path, exercise_names: list[str]):
        self.path = path
        self.tree, self.lines = _parse(path)
        self.defs: dict[str, Def] = {}
        self.helpers: list[tuple[ast.stmt, set[str]]] = []  # (statement, names it defines)
        for node in self.tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in exercise_names:
                self.defs[node.name] = node
            elif _is_docstring_stmt(node) and node is self.tree.body[0]:
                continue
            else:
                self.helpers.append((node, _defined_names(node)))

    def helper_lines_for(self, used: set[str], known: set[str]) -> list[str]:
        """Source (at column 0) of the helpers `used` needs, transitively, in file order.

        `known` are names the notebook already defines (the setup cell, the exercises)."""
        needed: set[int] = set()
        frontier = set(used)
        while frontier:
            name = frontier.pop()
            if name in known:
                continue
            for index, (node, names) in enumerate(self.helpers):
                if name in names and index not in needed:
                    needed.add(index)
                    frontier |= _used_names([node]) - names
        out: list[str] = []
        for index, (node, _names) in enumerate(self.helpers):
            if index in needed:
                out += _shift(_segment(self.lines, node), node.col_offset, 0)
        return out


def _region(indent: int, code: list[str]) -> list[str]:
    pad = " " * indent
    return [pad + BEGIN_SOLUTION, *code, pad + END_SOLUTION]


class _Builder:
    def __init__(self, module: str, stub_path: Path, ref_path: Path, exercise_names: list[str]):
        self.module = module
        self.names = exercise_names
        self.stub_tree, self.stub_lines = _parse(stub_path)
        self.stub_path = stub_path
        self.ref = _Reference(ref_path, exercise_names)
        self.warnings: list[str] = []
        self.stub_defs: dict[str, Def] = {}
        self.setup_nodes: list[ast.stmt] = []
        for node in self.stub_tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in exercise_names:
                self.stub_defs[node.name] = node
            elif _is_docstring_stmt(node) and node is self.stub_tree.body[0]:
                continue
            else:
                self.setup_nodes.append(node)
        missing = [n for n in exercise_names if n not in self.stub_defs]
        if missing:
            raise CourseError(f"{stub_path}: no top-level def/class for {', '.join(missing)} (course.yaml lists it)")
        missing = [n for n in exercise_names if n not in self.ref.defs]
        if missing:
            raise CourseError(f"{ref_path}: no top-level def/class for {', '.join(missing)} (course.yaml lists it)")
        self.known = set(exercise_names)
        for node in self.setup_nodes:
            self.known |= _defined_names(node)

    # -- code ----------------------------------------------------------------------------
    def _helpers_for(self, nodes: list[ast.AST], indent: int) -> list[str]:
        lines = self.ref.helper_lines_for(_used_names(nodes), self.known)
        return _shift(lines, 0, indent) if lines else []

    def function(self, stub: ast.FunctionDef | ast.AsyncFunctionDef,
                 ref: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
        stub_decorators = [ast.unparse(d) for d in stub.decorator_list]
        ref_decorators = [ast.unparse(d) for d in ref.decorator_list]
        extra = [d for d, text in zip(ref.decorator_list, ref_decorators) if text not in stub_decorators]
        if any(text not in ref_decorators for text in stub_decorators):
            raise _NeedsFallback(f"{stub.name} has decorators the reference lacks")
        if any(_binds(d) for d in extra):
            raise _NeedsFallback(f"the reference's {stub.name} has a decorator that changes how it binds")
        if _params(stub) == _params(ref):
            header = _header(self.stub_lines, stub)
        else:
            self.warnings.append(f"{self.module}.{stub.name}: the reference's parameters differ from the stub's; "
                                 "the notebook shows the reference's def line")
            header = _shift(_header(self.ref.lines, ref), ref.col_offset, stub.col_offset)
            if extra:
                raise _NeedsFallback(f"the reference's {stub.name} differs in parameters and decorators")
        indent = stub.col_offset + 4
        body, col = _body(self.ref.lines, ref)
        code = self._helpers_for(list(ref.body) + extra, indent)
        if extra:  # decorators are part of the answer: a decorated inner function, called with the same arguments
            pad = " " * indent
            code += [pad + "@" + ast.unparse(d) for d in extra]
            code += [f"{pad}{'async ' if isinstance(ref, ast.AsyncFunctionDef) else ''}def _solution("
                     f"{ast.unparse(ref.args)}):"]
            code += _shift(body, col, indent + 4) or [pad + "    pass"]
            call = f"_solution({_forward(ref.args)})"
            code.append(f"{pad}return {'await ' if isinstance(ref, ast.AsyncFunctionDef) else ''}{call}")
        else:
            code += _shift(body, col, indent)
        return header + _region(indent, code or [" " * indent + "pass"])

    def klass(self, stub: ast.ClassDef, ref: ast.ClassDef) -> list[str]:
        ref_members = {m.name: m for m in ref.body if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        stub_members = [m for m in stub.body if not (_is_docstring_stmt(m) and m is stub.body[0])]
        stub_names = {m.name for m in stub_members if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        extra_ref = [m for m in ref.body if not (_is_docstring_stmt(m) and m is ref.body[0])
                     and not (isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and m.name in stub_names)]
        outside = [*ref.bases, *ref.keywords, *ref.decorator_list]
        for member in ref_members.values():  # (decorators go inside the solution region, with their helpers)
            outside += [*member.args.defaults, *member.args.kw_defaults]
        needs_outside = self.ref.helper_lines_for(_used_names([n for n in outside if n is not None]), self.known)
        if needs_outside or any(not isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) for m in extra_ref):
            return self.fallback(stub, ref, "it uses reference helpers or class attributes outside its methods")
        if [ast.unparse(n) for n in [*stub.bases, *stub.keywords, *stub.decorator_list]] != \
                [ast.unparse(n) for n in [*ref.bases, *ref.keywords, *ref.decorator_list]]:
            return self.fallback(stub, ref, "the reference's class line (bases, decorators) differs from the stub's")
        try:
            return self._class_cell(stub, ref, ref_members, stub_members, extra_ref)
        except _NeedsFallback as why:
            return self.fallback(stub, ref, str(why))

    def _class_cell(self, stub: ast.ClassDef, ref: ast.ClassDef, ref_members: dict, stub_members: list,
                    extra_ref: list) -> list[str]:
        lines = _header(self.stub_lines, stub)
        for member in stub_members:
            if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)) and member.name in ref_members:
                lines += self.function(member, ref_members[member.name])
            else:  # given code of the stub (kept as it is)
                lines += _segment(self.stub_lines, member)
            lines.append("")
        for member in extra_ref:  # a method only the reference has: its def line shows, its body does not
            assert isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef))
            self.warnings.append(f"{self.module}.{stub.name}.{member.name}: only the reference has this method; "
                                 "the notebook shows its def line")
            header = _shift(_header(self.ref.lines, member), member.col_offset, stub.col_offset + 4)
            indent = stub.col_offset + 8
            body, col = _body(self.ref.lines, member)
            lines += header + _region(indent, self._helpers_for(list(member.body), indent) + _shift(body, col, indent))
            lines.append("")
        if len(lines) == len(_header(self.stub_lines, stub)):
            lines += _region(stub.col_offset + 4, _shift(_body(self.ref.lines, ref)[0], ref.body[0].col_offset,
                                                         stub.col_offset + 4))
        return _strip_blank(lines)

    def fallback(self, stub: Def, ref: Def, why: str) -> list[str]:
        self.warnings.append(f"{self.module}.{stub.name}: {why}; its answer cell holds the stub and the whole "
                             "reference in a top-level solution region (the released cell raises "
                             "NotImplementedError until the student replaces it)")
        stub_lines = _segment(self.stub_lines, stub)
        code = self.ref.helper_lines_for(_used_names([ref]), self.known) + _segment(self.ref.lines, ref)
        return stub_lines + [""] + _region(0, code)

    def answer(self, name: str) -> tuple[str, list[str]]:
        stub, ref = self.stub_defs[name], self.ref.defs[name]
        if isinstance(stub, ast.ClassDef) and isinstance(ref, ast.ClassDef):
            return "class", self.klass(stub, ref)
        if not isinstance(stub, ast.ClassDef) and not isinstance(ref, ast.ClassDef):
            outside = [*ref.args.defaults, *(d for d in ref.args.kw_defaults if d)]
            if self.ref.helper_lines_for(_used_names(outside), self.known):
                return "function", self.fallback(stub, ref, "its defaults use reference helpers")
            try:
                return "function", self.function(stub, ref)
            except _NeedsFallback as why:
                return "function", self.fallback(stub, ref, str(why))
        return "class" if isinstance(stub, ast.ClassDef) else "function", self.fallback(
            stub, ref, "the stub and the reference disagree on function vs class")

    # -- markdown ------------------------------------------------------------------------
    def markdown(self, name: str) -> str:
        stub = self.stub_defs[name]
        kind = "class" if isinstance(stub, ast.ClassDef) else "def"
        parts = [f"## `{name}`" + ("" if kind == "def" else " (class)"),
                 f"```python\n{_signature(self.stub_lines, stub)}\n```"]
        doc = ast.get_docstring(stub)
        if doc:
            parts.append(doc)
        if isinstance(stub, ast.ClassDef):
            for member in stub.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    mdoc = ast.get_docstring(member)
                    sig = _signature(self.stub_lines, member).strip()
                    parts.append(f"### `{name}.{member.name}`\n\n```python\n{sig}\n```" + (f"\n\n{mdoc}" if mdoc else ""))
        return "\n\n".join(parts)

    def intro(self) -> str:
        doc = ast.get_docstring(self.stub_tree) or self.module
        paragraphs = [p for p in re.split(r"\n\s*\n", doc.strip())]
        title = paragraphs[0].splitlines()
        first = f"# {title[0]}" + ("\n\n" + "\n".join(title[1:]) if len(title) > 1 else "")
        body = [p for p in paragraphs[1:] if "make check" not in p]
        body.append(NOTEBOOK_HOWTO)
        return "\n\n".join([first, *body])

    def setup(self) -> str:
        chunks = []
        for node in self.setup_nodes:
            chunks.append("\n".join(_segment(self.stub_lines, node)))
        imports = [c for c, n in zip(chunks, self.setup_nodes) if isinstance(n, (ast.Import, ast.ImportFrom))]
        others = [c for c, n in zip(chunks, self.setup_nodes) if not isinstance(n, (ast.Import, ast.ImportFrom))]
        text = "\n".join(imports)
        if others:
            text += "\n\n" + "\n\n".join(others)
        return text.strip() + "\n"


def _signature(lines: list[str], node: Def) -> str:
    head = _header(lines, node)
    return "\n".join(_shift(head, node.col_offset, 0)).rstrip()


NOTEBOOK_HOWTO = (
    "각 답안 셀에서 `# YOUR CODE HERE`와 `raise NotImplementedError()`를 지우고 직접 구현하세요. "
    "답안 셀을 지우거나 복사하지 말고, 셀의 메타데이터(이름)도 바꾸지 마세요. 점수가 적힌 잠긴 "
    "셀은 채점 셀입니다: 숨은 테스트가 제출한 노트북을 채점할 때 실행되어, `torchdojo check`와 같은 "
    "채점기로 항목마다 점수와 틀린 이유를 알려 줍니다.\n"
    "In every answer cell replace `# YOUR CODE HERE` and `raise NotImplementedError()` with "
    "your code. Do not delete, copy or rename answer cells (or edit their metadata). The locked "
    "cells with points are the test cells: their hidden tests run when your notebook is graded, "
    "with the same graders as `torchdojo check`, and say per item what is wrong."
)


def module_parts(module: str, exercise_names: list[str], stub_path: Path, ref_path: Path) -> ModuleParts:
    """Everything a notebook of `module` needs, cut from its stub and reference files."""
    builder = _Builder(module, Path(stub_path), Path(ref_path), list(exercise_names))
    parts = []
    for name in exercise_names:
        kind, lines = builder.answer(name)
        parts.append(ExercisePart(name=name, kind=kind, markdown=builder.markdown(name),
                                  answer="\n".join(_strip_blank(lines)) + "\n"))
    return ModuleParts(module=module, intro=builder.intro(), setup=builder.setup(), exercises=parts,
                       warnings=builder.warnings)


def strip_solutions(source: str) -> str:
    """What nbgrader's release makes of an answer cell (for tests and previews)."""
    out, inside = [], False
    for line in source.split("\n"):
        if BEGIN_SOLUTION in line:
            inside = True
            indent = line[:len(line) - len(line.lstrip())]
            out += [indent + "# YOUR CODE HERE", indent + "raise NotImplementedError()"]
        elif END_SOLUTION in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


__all__ = ["ModuleParts", "ExercisePart", "module_parts", "strip_solutions", "BEGIN_SOLUTION", "END_SOLUTION",
           "BEGIN_HIDDEN", "END_HIDDEN"]
