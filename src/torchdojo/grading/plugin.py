"""The pytest plugin behind every grader: markers, fixtures, and the item collector.

Graders are ordinary pytest files (`graders/test_<module>.py`). A test carries
`@pytest.mark.points(n)` (optionally `item="name"`; default: the test name without
`test_`) and uses the fixtures `student` and `reference` (the module's file in a
sandboxed worker), `rng` (a torch.Generator seeded per run and per test), `device`.

Run by torchdojo (`torchdojo check`), or by hand: `pytest -p torchdojo.grading.plugin
graders/test_01_tensors.py --submission reference`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

from ..sandbox.remote import ReferenceProblem, RemoteModule, StudentError, WorkerProblem
from .checks import GradeFailure
from .context import CONTEXT, RECORD, GradingContext, RunRecord, TestOutcome
from ..errors import TorchdojoError
from ..i18n import Text
from .source import StudentSource



def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("torchdojo")
    group.addoption("--submission", default=None, help="folder of the student's files to grade")
    group.addoption("--reference", default=None, help="folder of the reference solutions")
    group.addoption("--td-device", default="cpu", help="cpu or cuda")
    group.addoption("--td-seed", type=int, default=None, help="seed of the random inputs")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n, item=None): points of this check; item names the exercise")
    if config.getoption("--submission", None) or config.stash.get(CONTEXT, None) is not None:
        config.pluginmanager.register(Collector(_context(config), _record(config)), "torchdojo-collector")


def module_of(request_or_path: Any) -> str:
    path = Path(str(getattr(request_or_path, "path", request_or_path)))
    name = path.stem
    return name[len("test_"):] if name.startswith("test_") else name


def marker_of(item: pytest.Item) -> tuple[str, float | None]:
    """(item name, points or None) of a grader test's `points` marker."""
    marker = item.get_closest_marker("points")
    if marker is None:
        raise pytest.UsageError(f"{item.nodeid}: every grader test needs @pytest.mark.points(...)")
    points = marker.args[0] if marker.args else marker.kwargs.get("n")
    name = marker.kwargs.get("item") or getattr(item, "originalname", item.name).removeprefix("test_")
    return name, None if points is None else float(points)


def points_per_test(module: Any, tests: list[tuple[str, str, float | None]]) -> tuple[dict[str, float], str | None]:
    """Each test function's points, from the manifest's items; or why grader and manifest disagree.

    `tests`: (item, function, marker points or None) per collected test. An item's points are
    declared once, in the manifest; a marker may repeat them (then they must agree) or leave
    them out when the item has one test function.
    """
    functions: dict[str, dict[str, float | None]] = {}
    for item, function, points in tests:
        functions.setdefault(item, {}).setdefault(function, points)
    declared = module.items
    unknown = sorted(set(functions) - set(declared))
    missing = sorted(set(declared) - set(functions))
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"items the manifest does not list: {', '.join(unknown)}")
        if missing:
            parts.append(f"items of the manifest no grader test checks: {', '.join(missing)}")
        return {}, "; ".join(parts)
    per_function: dict[str, float] = {}
    for item, tests_of_item in functions.items():
        given = {f: p for f, p in tests_of_item.items() if p is not None}
        if len(tests_of_item) == 1 and not given:
            per_function.update({f: declared[item] for f in tests_of_item})
            continue
        if len(given) != len(tests_of_item):
            return {}, f"item {item} has several test functions: give each its points in the marker"
        if abs(sum(given.values()) - declared[item]) > 1e-9:
            return {}, (f"item {item}: the grader's markers give {sum(given.values()):g} points, "
                        f"the manifest {declared[item]:g}")
        per_function.update(given)
    return per_function, None


def _context(config: pytest.Config) -> GradingContext:
    ctx = config.stash.get(CONTEXT, None)
    if ctx is None:  # run by hand with plain pytest: the same configuration a Scorer builds
        from .runner import Scorer

        submission = config.getoption("--submission")
        if not submission:
            raise pytest.UsageError("give --submission DIR (the student's folder)")
        scorer = Scorer(device=config.getoption("--td-device"), seed=config.getoption("--td-seed"),
                        reference=config.getoption("--reference"), lang="en").start()
        ctx = scorer.context_for(Path(submission))
        config.stash[CONTEXT] = ctx
        config.add_cleanup(scorer.close)
    return ctx


def _record(config: pytest.Config) -> RunRecord:
    record = config.stash.get(RECORD, None)
    if record is None:
        record = config.stash[RECORD] = RunRecord()
    return record


@pytest.fixture(scope="session")
def grading(request: pytest.FixtureRequest) -> GradingContext:
    return _context(request.config)


@pytest.fixture(scope="session")
def device(grading: GradingContext) -> str:
    return grading.device


@pytest.fixture(scope="module")
def student(grading: GradingContext, request: pytest.FixtureRequest) -> Iterator[RemoteModule]:
    module = module_of(request)
    remote = grading.student_module(module)
    try:
        yield remote
    finally:
        remote.close()
        if remote.output_tail:
            _record(request.config).outputs[module] = remote.output_tail


@pytest.fixture(scope="module")
def reference(grading: GradingContext, request: pytest.FixtureRequest) -> RemoteModule:
    return grading.reference_module(module_of(request))


class ArtifactSink:
    """Lets a grader keep what the student's code produced (images, curves) for pictures."""

    def __init__(self, ctx: GradingContext, record: RunRecord, module: str):
        self._ctx = ctx
        self._record = record
        self._module = module

    def save(self, kind: str, **data: Any) -> None:
        """Keep plain data (tensors, lists of numbers) under `<module>/<kind>` (first save wins)."""
        if self._ctx.keep_artifacts:
            self._record.artifacts.setdefault(f"{self._module}/{kind}", data)


@pytest.fixture
def artifacts(grading: GradingContext, request: pytest.FixtureRequest) -> ArtifactSink:
    return ArtifactSink(grading, _record(request.config), module_of(request))


@pytest.fixture
def data_dir(grading: GradingContext) -> Path:
    """A fresh folder for files the student's code must read (images, FashionMNIST files).

    Use it instead of tmp_path: pytest's tmp_path is private to the scorer, and under the
    namespaces tier the student's code runs as another user that cannot read it.
    """
    return grading.new_data_dir()


@pytest.fixture(scope="module")
def source(grading: GradingContext, request: pytest.FixtureRequest) -> StudentSource:
    """The student's file of this module, parsed in the scorer (never run) for static rules."""
    module = module_of(request)
    limit = grading.limits(module).source_bytes
    return StudentSource.read(grading.submission / f"{module}.py", limit=limit, root=grading.submission)


@pytest.fixture
def seed(grading: GradingContext, request: pytest.FixtureRequest) -> int:
    return grading.seed_for(request.node.nodeid)


@pytest.fixture
def rng(seed: int) -> Any:
    import torch

    return torch.Generator().manual_seed(seed)


# -- turning pytest outcomes into item statuses --------------------------------------------

def classify(exc: BaseException | None) -> tuple[str, Text]:
    """(status, message) for how a test ended."""
    if exc is None:
        return "passed", Text()
    if isinstance(exc, StudentError) and exc.not_implemented:
        where = exc.where[-1]["function"] if exc.where else ""
        name = f"{where}: " if where and where != "<module>" else ""
        en = f"{name}not implemented yet (it still raises NotImplementedError)"
        ko = f"{name}아직 구현하지 않았습니다 (아직 NotImplementedError를 발생시킵니다)"
        return "missing", Text(ko=ko, en=en)
    if isinstance(exc, WorkerProblem):
        return exc.status, exc.text
    if isinstance(exc, GradeFailure):
        return "failed", exc.text
    if isinstance(exc, ReferenceProblem):
        return "error", Text(ko=f"채점기 문제입니다 (학생 잘못이 아님): {exc}", en=f"grader problem, not your fault: {exc}")
    if isinstance(exc, AssertionError):
        return "failed", Text.same(str(exc).strip().splitlines()[0] if str(exc).strip() else "a check failed")
    name = type(exc).__name__
    return "error", Text(ko=f"채점기가 결과를 확인하지 못했습니다 ({name}). 돌려주는 값의 타입과 구조를 확인하세요",
                         en=f"the grader could not check your result ({name}); check the type and structure of what you return")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    report = yield
    if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
        status, text = classify(call.excinfo.value if call.excinfo else None)
        # user_properties must stay plain data (junitxml and xdist serialise them)
        report.user_properties.append(("torchdojo", {"status": status, "text": text.to_dict()}))
    return report


def tampering_verdict(ctx: GradingContext, module: str) -> Text | None:
    """Why every item is 0 when the student's file of `module` reaches into torchdojo, the interpreter's
    internals or patches a library (a static check in the scorer); None for ordinary code."""
    limit = ctx.limits(module).source_bytes
    # the module and the submission's own files it imports (09 imports the student's 05 and 06)
    found: list[tuple[int, str]] = []
    todo, seen = [module], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = StudentSource.read(ctx.submission / f"{name}.py", limit=limit, root=ctx.submission)
        found += [(line, what if name == module else f"{what} in {name}.py") for line, what in source.tampering()]
        todo += [n for n in source.imports() if n not in seen and (ctx.submission / f"{n}.py").is_file()]
    if not found:
        return None
    shown = ", ".join(f"line {line}: {what}" for line, what in found[:3])
    shown_ko = ", ".join(f"{line}번째 줄: {what}" for line, what in found[:3])
    return Text(en=f"your file reaches into the grader's or Python's internals, or replaces a library function "
                   f"({shown}); an exercise never needs that, so every item of this module gets 0. Remove it",
                ko=f"파일이 채점기나 파이썬 내부에 손을 대거나 라이브러리 함수를 바꿔치기합니다 ({shown_ko}). 연습 문제에는 "
            f"필요 없는 코드이므로 이 모듈의 모든 항목이 0점입니다. 그 코드를 지우세요")


class Collector:
    """Receives pytest's reports and keeps, per test, the item, points, status and message."""

    def __init__(self, ctx: GradingContext, record: RunRecord):
        self.ctx = ctx
        self.record = record
        self._by_nodeid: dict[str, TestOutcome] = {}

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        course_errors = self._check_manifest(items)
        tampered: dict[str, Text | None] = {}
        keep, dropped = [], []
        for item in items:
            name, _ = marker_of(item)
            module = module_of(item.path)
            function = getattr(item, "originalname", item.name)
            points = self._points.get((module, function), 0.0)
            if module not in tampered and module not in course_errors:
                tampered[module] = tampering_verdict(self.ctx, module)
            outcome = TestOutcome(nodeid=item.nodeid, module=module, item=name, function=function, points=points,
                                  status="error", text=Text(ko="검사가 실행되지 않았습니다", en="the check did not run"))
            verdict = tampered.get(module)
            if module in course_errors:
                outcome.status, outcome.text = "error", course_errors[module]
                dropped.append(item)
            elif verdict:
                # the student's code is not even run: its file reaches into what grades it
                outcome.status, outcome.text = "failed", verdict
                dropped.append(item)
            else:
                keep.append(item)
            self.record.outcomes.append(outcome)
            self._by_nodeid[item.nodeid] = outcome
        if dropped:
            items[:] = keep
            config.hook.pytest_deselected(items=dropped)

    def _check_manifest(self, items: list[pytest.Item]) -> dict[str, Text]:
        """Points of every test from the manifest; {module: message} where grader and manifest disagree."""
        self._points: dict[tuple[str, str], float] = {}
        by_module: dict[str, list[tuple[str, str, float | None]]] = {}
        for item in items:
            name, points = marker_of(item)
            by_module.setdefault(module_of(item.path), []).append(
                (name, getattr(item, "originalname", item.name), points))
        errors = {}
        for module, tests in by_module.items():
            try:
                declared = self.ctx.course.module(module)
            except TorchdojoError:
                problem: str | None = "the module is not in the course manifest"
                per_function: dict[str, float] = {}
            else:
                per_function, problem = points_per_test(declared, tests)
            if problem:
                errors[module] = Text(en=f"course error, not your fault: graders/test_{module}.py and torchdojo.yaml "
                                         f"disagree ({problem})",
                                      ko=f"코스 설정 오류입니다 (학생 잘못이 아님): graders/test_{module}.py와 torchdojo.yaml이 "
                                  f"서로 다릅니다 ({problem})")
            self._points.update({(module, f): p for f, p in per_function.items()})
        return errors

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.record.collection_errors[str(report.fspath)] = str(report.longrepr)[-2000:]

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        info = dict(report.user_properties).get("torchdojo")
        outcome = self._by_nodeid.get(report.nodeid)
        if info is None or outcome is None:
            return
        if report.when == "setup" or report.when == "call":
            outcome.status, outcome.text = info["status"], Text.from_dict(info["text"])

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from .aggregate import modules_from_outcomes

        write = terminalreporter.write_line
        total = maximum = 0.0
        for module in modules_from_outcomes(self.record.outcomes):
            write(f"{module.name}: {module.score:g}/{module.max_score:g}")
            for it in module.items:
                write(f"  {it.status:8} {it.score:g}/{it.max_score:g}  {it.name}  {it.text.en}")
            total += module.score
            maximum += module.max_score
        write(f"torchdojo score: {total:g}/{maximum:g}")
