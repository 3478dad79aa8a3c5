"""Gradescope: results.json from a report, the autograder zip, and what runs inside it.

- `to_gradescope(report)`: a SubmissionReport as Gradescope's results.json (one test per item).
- `release_gradescope(out)`: the autograder zip (`setup.sh`, `run_autograder`, the torchdojo
  wheel, the graders pack, `torchdojo_autograder.json`).
- `python -m torchdojo.release.gradescope [--root DIR]` (what `run_autograder` calls): grades
  `ROOT/submission` and writes `ROOT/results/results.json`. ROOT is /autograder, or
  $TORCHDOJO_AUTOGRADER_ROOT (tests use a fake tree in a temporary folder).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
import time
import random
import re
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable

from ..grading.report import SCHEMA, SubmissionReport
from ..i18n import Text

ROOT_ENV = "TORCHDOJO_AUTOGRADER_ROOT"
CONFIG_NAME = "torchdojo_autograder.json"
PACK_NAME = "torchdojo_graders.pack"


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 4)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")


def md_text(text: str) -> str:
    """Text shown as itself in Gradescope's Markdown (no link, no HTML, no emphasis from a message)."""
    return "  \n".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.splitlines())


def md_code(text: str) -> str:
    """A fenced block that no backticks inside `text` can close."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


VisibilityOf = Callable[[str, str], str]  # (module, item) -> Gradescope visibility


def to_gradescope(report: SubmissionReport, *, visibility: VisibilityOf | dict | None = None,
                  leaderboard: list[dict] | None = None) -> dict:
    """Gradescope's results.json for one submission: one test per report item.

    `status` is "passed" only at the item's full points; the item's message (Korean, then
    English) is the test's `output`, in Markdown (`output_format: "md"`): message text escaped,
    what the student's code printed in a fenced block. `visibility`: {module: "after_due_date"
    or {item or exercise: ...}} as the course manifest declares it (or a function of module and
    item); the rest is visible. `leaderboard`: entries {name, value, order}. The report's seed,
    device and isolation go to `extra_data`."""
    if isinstance(visibility, dict):
        table = visibility

        def visibility(module: str, item: str) -> str:  # noqa: F811
            value = table.get(module, "visible")
            if isinstance(value, str):
                return value
            return value.get(item) or value.get(item.split(".", 1)[0]) or "visible"
    tests: list[dict[str, Any]] = []
    summary: list[str] = []
    for m_index, module in enumerate(report.modules, start=1):
        summary.append(f"- {md_text(module.name)}: {_num(module.score)}/{_num(module.max_score)}")
        printed = (module.output or "").strip()
        for i_index, item in enumerate(module.items, start=1):
            passed = item.max_score > 0 and item.score >= item.max_score or (item.max_score == 0 and item.status == "passed")
            output = "통과 / passed" if passed else md_text(item.text.both("\n") if item.text else item.status)
            if not passed and printed:
                output += f"\n\n(출력 / your code printed)\n\n{md_code(printed[-2000:])}"
                printed = ""
            tests.append({
                "name": f"{module.name}: {item.name}",
                "number": f"{m_index}.{i_index}",
                "score": _num(item.score),
                "max_score": _num(item.max_score),
                "status": "passed" if passed else "failed",
                "output": output,
                "output_format": "md",
                "tags": [module.name],
                "visibility": visibility(module.name, item.name) if visibility else "visible",
                "extra_data": {"status": item.status},
            })
    header = (f"**torchdojo: {_num(report.score)}/{_num(report.max_score)}** "
              f"(seed {report.seed}, device {md_text(report.device)})")
    results = {
        "score": _num(report.score),
        "execution_time": int(round(report.seconds)),
        "output": "\n".join([header, "", *summary]),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"schema": SCHEMA, "seed": report.seed, "device": report.device,
                       "isolation": report.isolation, "max_score": _num(report.max_score)},
        "tests": tests,
    }
    if leaderboard:
        results["leaderboard"] = leaderboard
    return results


def failure_results(text: Text) -> dict:
    """results.json when nothing could be graded (no exercise files, a broken set-up)."""
    return {"score": 0, "output": text.both("\n"), "visibility": "visible", "stdout_visibility": "hidden",
            "tests": []}


# -- the autograder zip ------------------------------------------------------------------------

SETUP_SH = r'''#!/usr/bin/env bash
# Gradescope runs this once, as root with network, while it builds the autograder image.
# It makes a Python >= 3.11 venv in /autograder/venv with CPU torch and this torchdojo wheel.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="${TORCHDOJO_AUTOGRADER_ROOT:-/autograder}"
PY=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && \
     "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    PY="$candidate"; break
  fi
done
if [ -z "$PY" ]; then  # Ubuntu 22.04 images ship 3.10: add 3.11 from the archive
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3.11 python3.11-venv
  PY=python3.11
fi
"$PY" -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
# CPU wheels keep the image small; Gradescope has no GPU.
"$ROOT/venv/bin/python" -m pip install --quiet torch torchvision --index-url https://download.pytorch.org/whl/cpu
"$ROOT/venv/bin/python" -m pip install --quiet "$HERE"/torchdojo-*.whl
chmod 600 "$HERE/torchdojo_graders.pack"
'''

RUN_AUTOGRADER = r'''#!/usr/bin/env bash
# Gradescope runs this for every submission: grades /autograder/submission and writes
# /autograder/results/results.json. TORCHDOJO_AUTOGRADER_ROOT replaces /autograder (tests),
# TORCHDOJO_PYTHON the interpreter (default: the venv setup.sh made).
ROOT="${TORCHDOJO_AUTOGRADER_ROOT:-/autograder}"
PY="${TORCHDOJO_PYTHON:-$ROOT/venv/bin/python}"
mkdir -p "$ROOT/results"
"$PY" -m torchdojo.release.gradescope --root "$ROOT"
status=$?
if [ "$status" -ne 0 ] && [ ! -s "$ROOT/results/results.json" ]; then
  cat > "$ROOT/results/results.json" <<'JSON'
{"score": 0, "output": "채점기를 실행하지 못했습니다. 강사에게 알려 주세요.\nThe autograder could not run (torchdojo); please tell your instructor.", "visibility": "visible", "tests": []}
JSON
fi
exit 0
'''

README = '''\
# torchdojo autograder for Gradescope

Upload this zip as a Gradescope "Autograder" (Ubuntu base image). `setup.sh` builds a venv with
CPU torch and torchdojo; `run_autograder` grades the files a student uploads ({modules})
with torchdojo's graders (packed in `torchdojo_graders.pack`, unpacked only while grading) and
writes results.json: one test per grader item, the message saying what is wrong.

Students upload their exercise files (`01_tensors.py`, ...), a folder or zip holding them, or
returned notebooks (`01_tensors.ipynb`).
'''


def _add(zf: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
    zf.writestr(info, data)


def release_gradescope(out: Path, modules: Iterable[str] | None = None, *, force: bool = False,
                       wheel: Path | None = None, lang: str = "ko", seed: int | None = None) -> Path:
    """Write the Gradescope autograder zip to `out`. Its `torchdojo_autograder.json` pins the
    grading seed (`seed`, else a new one drawn now), the tests' visibility from the course
    manifest, and the leaderboard entries of the modules released."""
    from .. import __version__
    from ..course import load_course, project_root
    from .common import build_wheel, prepare_out_file
    from .pack import collect_sources, pack_bytes

    course = load_course()
    names = [course.module(m).name for m in modules] if modules else course.names
    out = prepare_out_file(Path(out), force)
    # the seed is pinned here, once: "Regrade all" on Gradescope gives every submission the same inputs
    seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    config = {"modules": names, "lang": lang, "device": "cpu", "torchdojo": __version__, "seed": seed,
              "visibility": {n: course.module(n).visibility for n in names
                             if course.module(n).visibility != "visible"},
              "leaderboard": [dict(board, module=n) for n in names for board in [LEADERBOARD.get(n)] if board]}
    with tempfile.TemporaryDirectory(prefix="torchdojo-gs-") as tmp:
        whl = build_wheel(Path(tmp), wheel)
        partial = out.with_name(out.name + ".part")
        with zipfile.ZipFile(partial, "w") as zf:
            _add(zf, "setup.sh", SETUP_SH.encode(), executable=True)
            _add(zf, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
            _add(zf, whl.name, whl.read_bytes())
            _add(zf, PACK_NAME, pack_bytes(collect_sources(project_root()), meta={"modules": names}))
            _add(zf, CONFIG_NAME, (json.dumps(config, indent=2) + "\n").encode())
            _add(zf, "README.md", README.format(modules=", ".join(names)).encode())
        os.replace(partial, out)
    return out


# -- inside the autograder -------------------------------------------------------------------

def _walk(submission: Path) -> list[Path]:
    """Every entry under `submission`, shallow first, never through a link (a link to a folder
    is listed, its contents are not), skipping hidden names and macOS's __MACOSX."""
    found: list[Path] = []
    for top, dirs, files in os.walk(submission, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__MACOSX")
        base = Path(top)
        found += [base / name for name in [*files, *dirs] if not name.startswith(".")]
    return sorted(found, key=lambda p: (len(p.parts), str(p)))


def _kind(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "gone"
    return "link" if stat.S_ISLNK(mode) else "file" if stat.S_ISREG(mode) else "other"


def collect_submission(submission: Path, dest: Path, modules: list[str]) -> dict[str, Text]:
    """Copy the exercise files found anywhere under `submission` into `dest` (flat).

    `<module>.py` files win; a `<module>.ipynb` (or any notebook in a folder named after the
    module) is converted from its answer cells. Nothing is read through a link (the scorer runs
    as root): a module whose file is a symbolic link, or too large, gets no file and a problem.
    Files are read as regular files only, size-capped, without blocking. Returns {module:
    problem} for modules that could not be taken (a link, a broken notebook)."""
    from ..course import load_course
    from ..grading.report import safe_label
    from ..sandbox.files import UnsafeFile, read_regular_file
    from .notebooks import NotebookProblem, extract_module_source

    course = load_course()
    submission = Path(submission)
    wanted = set(course.names)
    found_py: dict[str, Path] = {}
    found_nb: dict[str, Path] = {}
    for path in _walk(submission):
        kind = _kind(path)
        if kind == "gone":
            continue
        if path.suffix == ".py" and path.stem in wanted:  # a FIFO or a folder too: reading says why not
            found_py.setdefault(path.stem, path)
        elif path.suffix == ".ipynb" and kind in ("file", "link"):
            module = path.stem if path.stem in wanted else (path.parent.name if path.parent.name in wanted else None)
            if module:
                found_nb.setdefault(module, path)
    problems: dict[str, Text] = {}
    dest.mkdir(parents=True, exist_ok=True)
    for module in modules:
        if module in found_py:
            limit = course.module(module).limits_for().source_bytes
            try:
                data = read_regular_file(found_py[module], limit, root=submission)
            except UnsafeFile as exc:
                problems[module] = exc.text.map(lambda t: safe_label(t, 500))
                continue
            except OSError as exc:
                name = safe_label(found_py[module].name)
                problems[module] = Text(en=f"{name} cannot be read ({exc.strerror or exc})",
                                           ko=f"{name}을(를) 읽을 수 없습니다 ({exc.strerror or exc})")
                continue
            (dest / f"{module}.py").write_bytes(data)
        elif module in found_nb:
            try:
                source = extract_module_source(found_nb[module], module, course, root=submission)
            except NotebookProblem as problem:
                problems[module] = problem.text
                continue
            except Exception as exc:  # a notebook costs at most its own module
                name = safe_label(found_nb[module].name)
                problems[module] = Text(en=f"{name}: the notebook could not be read ({type(exc).__name__})",
                                           ko=f"{name}: 노트북을 읽지 못했습니다 ({type(exc).__name__})")
                continue
            (dest / f"{module}.py").write_text(source, encoding="utf-8")
    return problems


def run_autograder(root: Path | None = None) -> dict:
    """Grade ROOT/submission with ROOT/source's pack; write and return ROOT/results/results.json."""
    root = Path(root or os.environ.get(ROOT_ENV) or "/autograder")
    source, results_dir = root / "source", root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    try:
        results = _grade(root, source)
    except Exception as exc:  # the student must see something, never an empty autograder
        results = failure_results(Text(en=f"The autograder failed: {type(exc).__name__}: {exc}",
                                  ko=f"채점기가 실패했습니다: {type(exc).__name__}: {exc}"))
    results["execution_time"] = int(round(time.monotonic() - started))
    (results_dir / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8")
    return results


def _grade(root: Path, source: Path) -> dict:
    from ..course import load_course
    from ..grading.runner import Scorer
    from .notebooks import apply_problems
    from .pack import home_env

    config_path = source / CONFIG_NAME
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    course = load_course()
    modules = [course.module(m).name for m in config.get("modules") or course.names]
    lang = config.get("lang", "ko")
    submission = root / "submission"
    if not submission.is_dir():
        return failure_results(Text(en=f"no submission folder ({submission})", ko=f"제출 폴더가 없습니다 ({submission})"))
    work = Path(tempfile.mkdtemp(prefix="torchdojo-submission-"))
    os.chmod(work, 0o755)
    try:
        problems = collect_submission(submission, work, modules)
        if not any(work.iterdir()) and not problems:
            names = ", ".join(f"{m}.py" for m in modules)
            return failure_results(Text(en=f"No exercise files found in your submission: upload {names} "
                                   "(or notebooks of the same names).",
                                   ko=f"제출물에서 연습 문제 파일을 찾지 못했습니다: {names} 파일(또는 같은 이름의 "
                                      "노트북)을 올리세요."))
        with home_env(source / PACK_NAME):
            with Scorer(device=config.get("device", "cpu"), seed=config.get("seed"), lang=lang,
                        course=course) as scorer:
                report, values = score_with_leaderboard(scorer, work, modules, extra_hidden=[source, submission])
        apply_problems(report, problems)
        report.submission = str(submission)
        board = leaderboard_entries(config.get("leaderboard") or [], values, modules)
        return to_gradescope(report, visibility=config.get("visibility") or {}, leaderboard=board)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- the leaderboard: numbers the scorer computed, never the worker's -----------------------------
#
# A grader reports a leaderboard number by appending (BOARD_PROPERTY, {"key": ..., "value": ...}) to
# its test's `request.node.user_properties`: a value it computed in the scorer (e.g. the share of
# held-out images whose labels never entered the worker that the student's logits get right).
# The worker's own claims (its history's val_acc) are never read.

BOARD_PROPERTY = "torchdojo_leaderboard"
LEADERBOARD = {  # module -> the entry its autograder shows
    "09_fashion_mnist": {"key": "accuracy", "name": "Accuracy on held-out images (%)", "order": "desc",
                         "scale": 100.0},
}
_BOARD: dict[str, dict[str, float]] = {}  # module -> key -> value, for the run in progress


def pytest_runtest_logreport(report: Any) -> None:  # pytest hook
    for name, value in getattr(report, "user_properties", ()):
        if name == BOARD_PROPERTY and isinstance(value, dict) and isinstance(value.get("value"), (int, float)):
            module = Path(str(report.nodeid).split("::", 1)[0]).stem.removeprefix("test_")
            _BOARD.setdefault(module, {})[str(value.get("key", "value"))] = float(value["value"])


def score_with_leaderboard(scorer: Any, submission: Path, modules: list[str], **kwargs: Any
                           ) -> tuple[SubmissionReport, dict[str, dict[str, float]]]:
    """`scorer.score(...)` with this module loaded as a pytest plugin: the report and the
    leaderboard numbers the graders computed ({module: {key: value}})."""
    import importlib

    me = importlib.import_module("torchdojo.release.gradescope")  # the copy pytest loads (not __main__)
    me._BOARD.clear()
    before = os.environ.get("PYTEST_PLUGINS")
    os.environ["PYTEST_PLUGINS"] = ",".join([p for p in (before or "").split(",") if p] + [me.__name__])
    try:
        report = scorer.score(submission, modules, **kwargs)
    finally:
        if before is None:
            os.environ.pop("PYTEST_PLUGINS", None)
        else:
            os.environ["PYTEST_PLUGINS"] = before
    values = {m: dict(v) for m, v in me._BOARD.items()}
    me._BOARD.clear()
    return report, values


def leaderboard_entries(wanted: list[dict], values: dict[str, dict[str, float]], modules: list[str]) -> list[dict]:
    """Gradescope's leaderboard list: {name, value, order} per wanted entry of a graded module
    (0 when the grader never got that far, e.g. the training crashed)."""
    out = []
    for entry in wanted:
        module = entry.get("module")
        if module not in modules:
            continue
        value = values.get(module, {}).get(entry.get("key", "value"), 0.0) * float(entry.get("scale", 1.0))
        out.append({"name": str(entry.get("name", module)), "value": round(value, 2),
                    "order": "asc" if entry.get("order") == "asc" else "desc"})
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m torchdojo.release.gradescope",
                                     description="Grade ROOT/submission, write ROOT/results/results.json.")
    parser.add_argument("--root", default=None, help=f"the autograder root (default: ${ROOT_ENV} or /autograder)")
    args = parser.parse_args(argv)
    results = run_autograder(Path(args.root) if args.root else None)
    print(f"torchdojo: score {results.get('score')} written to results.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
