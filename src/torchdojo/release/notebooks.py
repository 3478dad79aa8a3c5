"""Returned notebooks as submissions: answer cells back into ``<module>.py`` files.

A notebook of module M contributes its ``setup`` cell and its answer cells
(``<exercise>_answer``, nbgrader's ``grade_id``) in notebook order; nothing else (students'
scratch cells, test cells, markdown) is part of the module. nbgrader's autograde executes the
same answer cells, so both graders see the same code.

``grade_notebooks(ROOT)`` grades ``ROOT/<student>/<assignment>/*.ipynb`` (nbgrader's
``submitted/`` folder, or a course folder holding one) with the sandboxed engine: one
fork server per process instead of one Jupyter kernel per notebook.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..course import Course, load_course
from ..errors import UsageError
from ..i18n import Explained, Text
from ..grading.report import ItemResult, SubmissionReport, safe_label
from ..sandbox.files import UnsafeFile, is_link, read_regular_file
from .notebook import SETUP_ID, answer_id

NOTEBOOK_BYTES = 20 * 1024 * 1024  # a returned notebook, outputs and pictures included


class NotebookProblem(Explained, UsageError):
    """A returned notebook that cannot be turned into a module (`text` says why)."""


_MAGIC = re.compile(r"^(\s*)([%!].*)$")


def _cell_source(cell: dict, where: str) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise NotebookProblem(Text(en=f"{where}: the cell's source is not text", ko=f"{where}: 셀의 내용이 텍스트가 아닙니다"))


def _python_only(source: str) -> str:
    """IPython magics and shell escapes (`%time`, `!pip`) become comments: a module is plain Python."""
    return "\n".join(_MAGIC.sub(r"\1# (notebook-only, not run) \2", line) for line in source.split("\n"))


def read_notebook(nb_path: Path, root: Path | None = None) -> dict:
    """The notebook's JSON: a regular file (never through a link), at most NOTEBOOK_BYTES, read
    without blocking; `root` (the student's folder): no folder between it and the file may be a
    link either. Anything else is a NotebookProblem naming the file."""
    nb_path = Path(nb_path)
    name = safe_label(nb_path.name)
    try:
        raw = read_regular_file(nb_path, NOTEBOOK_BYTES, root=root)
    except UnsafeFile as exc:
        raise NotebookProblem(exc.text.map(lambda t: safe_label(t, 500))) from None
    except OSError as exc:
        raise NotebookProblem(Text(en=f"{name}: cannot read the notebook ({exc.strerror or exc})",
                              ko=f"{name}: 노트북을 읽을 수 없습니다 ({exc.strerror or exc})")) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise NotebookProblem(Text(en=f"{name}: not a valid notebook: its JSON is nested far too deeply",
                              ko=f"{name}: 올바른 노트북이 아닙니다: JSON이 지나치게 깊게 중첩되어 있습니다")) from None
    except UnicodeDecodeError as exc:
        raise NotebookProblem(Text(en=f"{name}: not a notebook (not UTF-8 text)",
                              ko=f"{name}: 노트북이 아닙니다 (UTF-8 텍스트가 아님)")) from exc
    except json.JSONDecodeError as exc:
        raise NotebookProblem(
            Text(en=f"{name}: not a valid notebook: invalid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); "
            "open it in Jupyter, save it, and hand it in again",
            ko=f"{name}: 올바른 노트북이 아닙니다: {exc.lineno}번째 줄 {exc.colno}번째 칸의 JSON이 잘못되었습니다 "
               f"({exc.msg}). Jupyter에서 열어 저장한 뒤 다시 제출하세요")) from exc
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookProblem(Text(en=f"{name}: not a notebook (no list of cells)", ko=f"{name}: 노트북이 아닙니다 (셀 목록이 없음)"))
    if not data["cells"]:
        raise NotebookProblem(Text(en=f"{name}: the notebook has no cells", ko=f"{name}: 노트북에 셀이 하나도 없습니다"))
    return data


def _grade_id(cell: object) -> str | None:
    if not isinstance(cell, dict):
        return None
    meta = cell.get("metadata")
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
    return gid if isinstance(gid, str) else None


def extract_module_source(nb_path: Path, module: str, course: Course | None = None,
                          root: Path | None = None) -> str:
    """The module's Python source from a notebook: the setup cell, then the answer cells.

    Raises NotebookProblem (a UsageError naming the file and the cell) for a notebook that
    is not valid JSON, has no cells, or lacks an answer cell (deleted, or its grade_id renamed)."""
    course = course or load_course()
    mod = course.module(module)
    nb_path = Path(nb_path)
    data = read_notebook(nb_path, root)
    name = safe_label(nb_path.name)
    wanted = {answer_id(ex): ex for ex in mod.exercises}
    chosen: dict[str, int] = {}
    strangers: list[str] = []
    for index, cell in enumerate(data["cells"]):
        gid = _grade_id(cell)
        if gid is None:
            continue
        if gid in wanted or gid == SETUP_ID:
            chosen.setdefault(gid, index)  # a duplicated id: the first counts (as nbgrader does)
        elif isinstance(cell, dict) and ((cell.get("metadata") or {}).get("nbgrader") or {}).get("solution"):
            strangers.append(f"cell {index + 1} ({gid!r})")
    missing = [gid for gid in [SETUP_ID, *wanted] if gid not in chosen]
    if missing:
        extra_en = f"; answer cells with unknown names: {', '.join(strangers)}" if strangers else ""
        extra_ko = f" (이름을 알 수 없는 답안 셀: {', '.join(strangers)})" if strangers else ""
        listed = ", ".join(repr(g) for g in missing)
        raise NotebookProblem(
            Text(en=f"{name}: cell {listed} of {mod.name} is missing (deleted, or its grade_id was renamed){extra_en}; "
            f"start from a fresh copy of the released notebook and paste your code into its answer cells",
            ko=f"{name}: {mod.name}의 셀 {listed}이(가) 없습니다 (지웠거나 grade_id 이름을 바꿨습니다){extra_ko}. "
               f"배포된 노트북을 새로 받아 답안 셀에 코드를 옮겨 붙이세요"))
    chunks = [f"# {mod.name}: from the notebook {name} (setup cell and answer cells)"]
    for index in sorted(chosen.values()):
        cell = data["cells"][index]
        gid = _grade_id(cell)
        where = f"{name}: cell {index + 1} ({gid!r})"
        if cell.get("cell_type") != "code":
            raise NotebookProblem(Text(en=f"{where} is a {cell.get('cell_type')} cell, not a code cell",
                                  ko=f"{where}이(가) 코드 셀이 아니라 {cell.get('cell_type')} 셀입니다"))
        chunks.append(f"# --- cell {gid} ---\n{_python_only(_cell_source(cell, where))}")
    return "\n\n\n".join(chunks).rstrip() + "\n"


def _mode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except OSError:
        return 0


def _real_dir(path: Path) -> bool:
    """A folder, not a link to one (nothing is looked up through a link)."""
    return stat.S_ISDIR(_mode(path))


def find_notebooks(folder: Path) -> list[Path]:
    """`*.ipynb` entries of `folder`: regular files, and links too (reading one says links are refused)."""
    try:
        entries = list(Path(folder).glob("*.ipynb"))
    except OSError:
        return []
    return sorted(p for p in entries if not p.name.startswith(".")
                  and (stat.S_ISREG(_mode(p)) or stat.S_ISLNK(_mode(p))))


def notebook_for(folder: Path, module: str) -> Path | None:
    """The notebook of `module` in an assignment folder: `<module>.ipynb`, else the only one."""
    preferred = Path(folder) / f"{module}.ipynb"
    if stat.S_ISREG(_mode(preferred)) or stat.S_ISLNK(_mode(preferred)):
        return preferred
    found = find_notebooks(folder)
    return found[0] if found else None


def module_of_folder(name: str, course: Course) -> str | None:
    for mod in course.modules:
        if name == mod.name:
            return mod.name
    return None


def notebooks_to_submission(student_dir: Path, dest: Path, course: Course | None = None) -> dict[str, Text]:
    """Write `<module>.py` into `dest` for every `<assignment>/*.ipynb` of one student.

    Returns {module: message} for notebooks that could not be read (invalid JSON, no cells,
    a renamed or missing answer cell): those modules get no file. Assignment folders that are
    not course modules are ignored."""
    course = course or load_course()
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    student_dir = Path(student_dir)
    problems: dict[str, Text] = {}
    if is_link(student_dir):
        return link_problems(student_dir, course.names)
    for folder in sorted(p for p in student_dir.iterdir() if not p.name.startswith(".")):
        module = module_of_folder(folder.name, course)
        if module is None:
            continue
        if is_link(folder):
            problems[module] = _link_problem(folder)
            continue
        if not _real_dir(folder):
            continue
        candidates = find_notebooks(folder)
        if not candidates:
            continue
        preferred = notebook_for(folder, module)
        ordered = [preferred] + [c for c in candidates if c != preferred]
        first_problem: NotebookProblem | None = None
        for nb in ordered:
            try:
                source = extract_module_source(nb, module, course, root=student_dir)
            except NotebookProblem as problem:
                first_problem = first_problem or problem
                continue
            except Exception as exc:  # whatever a notebook does, it costs only its own module
                name = safe_label(nb.name)
                first_problem = first_problem or NotebookProblem(
                    Text(en=f"{name}: the notebook could not be read ({type(exc).__name__})",
                    ko=f"{name}: 노트북을 읽지 못했습니다 ({type(exc).__name__})"))
                continue
            (dest / f"{module}.py").write_text(source, encoding="utf-8")
            first_problem = None
            break
        if first_problem is not None:
            problems[module] = first_problem.text
    return problems


def _link_problem(path: Path) -> Text:
    name = safe_label(Path(path).name)
    return Text(en=f"{name} is a symbolic link: links are not accepted, hand in the folder or notebook itself",
                   ko=f"{name}은(는) 심볼릭 링크입니다: 링크는 받지 않으니 폴더나 노트북 자체를 제출하세요")


def link_problems(path: Path, modules: Iterable[str]) -> dict[str, Text]:
    """{module: the link message} for every module: a student's folder that is a link is not read."""
    problem = _link_problem(path)
    return {module: problem for module in modules}


def apply_problems(report: SubmissionReport, problems: dict[str, Text]) -> SubmissionReport:
    """Every item of a module with a notebook problem: 0 points, status error, that message."""
    for module in report.modules:
        problem = problems.get(module.name)
        if problem is None:
            continue
        items = module.items or [ItemResult("(notebook)", 0, 0, "error")]
        module.items = [ItemResult(i.name, 0, i.max_score, "error", problem) for i in items]
    return report


# -- a class of notebooks ---------------------------------------------------------------------

def notebook_class_root(root: Path, course: Course | None = None) -> Path | None:
    """`root` (or `root/submitted` in an nbgrader course folder) if it holds
    `<student>/<assignment>/*.ipynb` for a course module; else None (a folder of .py submissions)."""
    course = course or load_course()
    root = Path(root)
    candidates = [root / "submitted", root] if (root / "nbgrader_config.py").is_file() else [root]
    for base in candidates:
        if not base.is_dir():
            continue
        for student in base.iterdir():
            if not _real_dir(student) or student.name.startswith("."):
                continue
            try:
                folders = list(student.iterdir())
            except OSError:
                continue
            for folder in folders:
                if _real_dir(folder) and module_of_folder(folder.name, course) and find_notebooks(folder):
                    return base
    return None


def grade_notebooks(root: Path, *, jobs: int | None = None, modules: Iterable[str] | None = None,
                    device: str = "auto", seed: int | None = None, lang: str = "ko", skip: Iterable[str] = (),
                    on_start: Callable[[int, str], None] | None = None) -> Iterator[SubmissionReport]:
    """Grade `ROOT/<student>/<assignment>/*.ipynb` like `runner.grade` grades .py folders.

    Each student's answer cells become `<module>.py` files in a private temporary folder,
    graded with the sandboxed engine (the returned notebooks and the converted copies are
    hidden from student code). A broken notebook costs only its module, with its message."""
    from ..grading.runner import class_submissions, grade_folders

    course = load_course()
    base = notebook_class_root(root, course) or Path(root)
    skipped = set(skip)
    students = [s for s in class_submissions(base) if s[0] not in skipped]
    modules = [course.module(m).name for m in modules] if modules else None
    work = Path(tempfile.mkdtemp(prefix="torchdojo-notebooks-"))
    os.chmod(work, 0o700)
    try:
        problems: dict[str, dict[str, Text]] = {}
        paths: dict[str, Path] = {}
        folders: list[tuple[str, Path]] = []
        for number, (student, folder) in enumerate(students):
            dest = work / f"s{number}"  # not the student's name: any name, any length
            try:
                problems[student] = notebooks_to_submission(folder, dest, course)
            except Exception as exc:  # an unreadable folder costs that student only
                dest.mkdir(exist_ok=True)
                reason = Text(en=f"your folder could not be read ({type(exc).__name__})",
                                 ko=f"제출 폴더를 읽지 못했습니다 ({type(exc).__name__})")
                problems[student] = {module: reason for module in course.names}
            paths[student] = folder
            folders.append((student, dest))
        reports = grade_folders(folders, jobs=jobs,
                                modules=modules, device=device, seed=seed, lang=lang,
                                hidden=[work, Path(root), base], on_start=on_start)
        for report in reports:
            student = report.student or ""
            report.submission = str(paths.get(student, report.submission))
            yield apply_problems(report, problems.get(student, {}))
    finally:
        shutil.rmtree(work, ignore_errors=True)


__all__ = ["extract_module_source", "notebooks_to_submission", "apply_problems", "grade_notebooks",
           "notebook_class_root", "NotebookProblem", "read_notebook", "link_problems", "NOTEBOOK_BYTES"]
