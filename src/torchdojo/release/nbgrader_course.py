"""`torchdojo release nbgrader`: a ready nbgrader course folder.

    DIR/
      nbgrader_config.py          course id, sqlite gradebook in DIR, cell timeout
      torchdojo_graders.pack      graders + reference, packed (what the hidden tests grade with)
      source/<module>/<module>.ipynb    solutions and hidden tests (instructors only)
      release/<module>/<module>.ipynb   made by nbgrader's own generate_assignment
      gradebook.db                made by nbgrader
      README.md                   the commands to run

`--force` on an existing course rewrites what the release writes (source/<module> of the
modules released, their release/ through generate_assignment --force, the pack, the config,
README.md) and deletes nothing else: other assignments, submitted/, autograded/, feedback/ and
gradebook.db stay.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from ..seeds import new_seed
from ..course import exercises_dir, graders_dir, load_course, project_root, reference_dir
from ..errors import UsageError
from .common import prepare_out, refuse_solved_stubs, release_manifest, run_tool
from .notebook import KERNELSPEC, module_notebook, write_notebook
from .pack import read_meta, write_pack
from .points import item_points

COURSE_ID = "torchdojo"
PACK_NAME = "torchdojo_graders.pack"

CONFIG = '''\
# nbgrader course written by `torchdojo release nbgrader` (torchdojo {version}).
# Run nbgrader from this folder: paths below are relative to this file, so the folder may move.
import os

c = get_config()  # noqa: F821  (nbgrader's config loader defines it)
HERE = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "{course_id}"
c.CourseDirectory.root = HERE
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
# The first test cell of a notebook grades the whole module (torch in a fresh interpreter).
c.ExecutePreprocessor.timeout = {timeout}
c.ClearSolutions.code_stub = {{"python": "# YOUR CODE HERE\\nraise NotImplementedError()"}}
'''

README = '''\
# nbgrader course: torchdojo

Written by `torchdojo release nbgrader`. 모듈마다 과제(assignment) 하나, 노트북 하나입니다.
One assignment and one notebook per module: {modules}.

- `source/`: 정답과 숨은 테스트가 든 원본 (강사용) / solutions and hidden tests (instructors only).
- `release/`: 학생에게 줄 노트북 (nbgrader `generate_assignment`가 만듦) / what students get.
- `torchdojo_graders.pack`: 채점기와 정답 (압축) / graders and reference solutions, packed.
  숨은 테스트는 이 파일로 `torchdojo check`와 같은 채점을 합니다 / the hidden tests grade with it,
  exactly as `torchdojo check` does. Keep it next to `nbgrader_config.py`.

Run every command from this folder, with the nbgrader of the venv torchdojo is installed in:

```bash
nbgrader generate_assignment 01_tensors --force         # again after editing source/
# returned notebooks go to submitted/<student>/<assignment>/<assignment>.ipynb
nbgrader autograde 01_tensors --force                   # one Jupyter kernel per notebook
nbgrader export --to grades.csv
torchdojo grade submitted/ --csv grades-torchdojo.csv   # the same points, much faster
```

Each test cell is worth the points of its exercise's grader items. Its hidden part rebuilds the
module from the notebook's setup and answer cells, grades it in a fresh interpreter with the
sandboxed engine and returns the points (nbgrader partial credit); lost points are explained in
the cell's output. Grading seed: {seed} (set `TORCHDOJO_SEED` to change).
'''


@dataclass
class NbgraderRelease:
    root: Path
    modules: list[str]
    notebooks: list[Path]
    released: list[Path]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def nbgrader_cmd() -> list[str]:
    return [sys.executable, "-m", "nbgrader"]


def ensure_kernelspec(name: str = KERNELSPEC["name"]) -> str:
    """Make sure the kernel the notebooks name exists for this interpreter; install it if not.

    Returns where it is. Needs jupyter_client and ipykernel (the instructor extra)."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager
    except ImportError as exc:
        raise UsageError("nbgrader is not installed: pip install 'torchdojo[instructor]' "
                         "(nbgrader, nbformat, ipykernel)") from exc
    specs = KernelSpecManager().find_kernel_specs()
    if name in specs:
        return specs[name]
    try:
        from ipykernel.kernelspec import install
    except ImportError as exc:
        raise UsageError("ipykernel is not installed: pip install 'torchdojo[instructor]'") from exc
    return install(kernel_name=name, prefix=sys.prefix)


def _max_wall(modules: Iterable[str]) -> float:
    course = load_course()
    return max(course.module(m).limits_for().wall_seconds for m in modules)


def release_nbgrader(out: Path, modules: Iterable[str] | None = None, *, force: bool = False,
                     generate: bool = True, seed: int | None = None) -> NbgraderRelease:
    """Write the course folder; with `generate`, run nbgrader's generate_assignment for each module."""
    started = time.monotonic()
    course = load_course()
    names = [course.module(m).name for m in modules] if modules else course.names
    refuse_solved_stubs(names)
    if generate:
        try:
            import nbgrader  # noqa: F401
        except ImportError as exc:
            raise UsageError("nbgrader is not installed: pip install 'torchdojo[instructor]' "
                             "(nbgrader, nbformat, ipykernel)") from exc
        ensure_kernelspec()
    # --force on a course: overwrite what this release writes, delete nothing else (other
    # assignments, students' submissions, autograded copies and the gradebook stay)
    existing = [p.name for p in Path(out).iterdir()] if Path(out).is_dir() else []
    out = prepare_out(out, force, keep=existing).resolve()
    for name in names:
        shutil.rmtree(out / "source" / name, ignore_errors=True)
    points = item_points(names, graders_dir())
    notebooks, warnings = [], []
    for name in names:
        nb, warns = module_notebook(name, exercises_dir=exercises_dir(), reference_dir=reference_dir(),
                                    graders_dir=graders_dir(), item_points=points[name])
        notebooks.append(write_notebook(nb, out / "source" / name / f"{name}.ipynb"))
        warnings += warns
    if seed is None and (out / PACK_NAME).is_file():  # a re-release keeps the course's seed
        try:
            seed = read_meta(out / PACK_NAME).get("seed")
        except UsageError:
            seed = None
    seed = seed if seed is not None else new_seed()
    from .. import __version__

    (out / "torchdojo.yaml").write_text(release_manifest(names, PACK_NAME), encoding="utf-8")
    write_pack(out / PACK_NAME, project_root(), meta={"seed": seed, "modules": names, "course_id": COURSE_ID,
                                                      "torchdojo": __version__})
    timeout = int(max(1200, 6 * _max_wall(names)))
    (out / "nbgrader_config.py").write_text(CONFIG.format(version=__version__, course_id=COURSE_ID,
                                                          timeout=timeout), encoding="utf-8")
    (out / "README.md").write_text(README.format(modules=", ".join(names), seed=seed), encoding="utf-8")
    released = []
    if generate:
        for name in names:
            run_tool([*nbgrader_cmd(), "generate_assignment", name, "--force"], out,
                     f"nbgrader generate_assignment {name}")
            path = out / "release" / name / f"{name}.ipynb"
            if not path.is_file():
                raise UsageError(f"nbgrader generate_assignment {name} wrote no {path}")
            released.append(path)
    return NbgraderRelease(root=out, modules=names, notebooks=notebooks, released=released, warnings=warnings,
                           seconds=time.monotonic() - started)


# -- torchdojo's grades into nbgrader's gradebook ---------------------------------------------

@dataclass
class GradebookWrite:
    """What `write_gradebook` did: submissions and grade cells written, and why some were not."""

    submissions: int = 0
    cells: int = 0
    students: set = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{self.submissions} submission(s) of {len(self.students)} student(s), {self.cells} grade cell(s)"


def gradebook_url(gradebook: Path | str) -> str:
    """A database URL for nbgrader: a path becomes `sqlite:////abs/path`; a URL stays as it is."""
    text = str(gradebook)
    return text if "://" in text else "sqlite:///" + str(Path(text).resolve())


def course_id_of(course_dir: Path | None) -> str:
    """The course id an nbgrader_config.py sets (`c.CourseDirectory.course_id = "..."`), else ours."""
    import re

    if course_dir is not None:
        config = Path(course_dir) / "nbgrader_config.py"
        try:
            text = config.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            text = ""
        found = re.search(r"""CourseDirectory\.course_id\s*=\s*["']([^"']+)["']""", text)
        if found:
            return found.group(1)
    return COURSE_ID


def nbgrader_course_of(root: Path) -> Path | None:
    """The nbgrader course folder `root` is (or whose `submitted/` it is), else None."""
    root = Path(root).resolve()
    for folder in (root, root.parent):
        if (folder / "nbgrader_config.py").is_file() and (root == folder or root.name == "submitted"):
            return folder
    return None


def write_gradebook(reports: Iterable, gradebook: Path | str, *, course_dir: Path | None = None,
                    course_id: str | None = None) -> GradebookWrite:
    """Write torchdojo's points into nbgrader's gradebook, so formgrader and `nbgrader export`
    show the same numbers as `torchdojo grade`.

    For every report and module whose assignment the gradebook knows (released with
    `nbgrader generate_assignment`) and that the student handed in (a folder
    `<student>/<module>` beside the notebooks graded): the student and the submission are
    created when missing (nbgrader's own `add_submission`, its timestamp from the folder's
    `timestamp.txt` when there is one), and each grade cell `<exercise>_test` gets the points of
    that exercise's items as its `auto_score` (`needs_manual_grade` false). Manual scores an
    instructor gave in formgrader are kept (nbgrader counts them over the auto score)."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry

    from ..grading.report import safe_label
    from ..sandbox.files import is_link
    from .notebook import OTHER_ID, test_id
    from .points import OTHER, exercise_of

    course = load_course()
    done = GradebookWrite()
    unknown: set[str] = set()
    with Gradebook(gradebook_url(gradebook), course_id=course_id or course_id_of(course_dir)) as gb:
        for rep in reports:
            student = rep.student or Path(rep.submission).name
            folder = Path(rep.submission)
            for mod in rep.modules:
                try:
                    module = course.module(mod.name)
                    assignment = gb.find_assignment(module.name)
                except Exception as exc:  # CourseError, or MissingEntry: not released in nbgrader
                    if mod.name not in unknown:
                        unknown.add(mod.name)
                        done.warnings.append(f"{safe_label(mod.name)} is not an assignment of the gradebook "
                                             f"(release it with nbgrader generate_assignment first): "
                                             f"{type(exc).__name__}")
                    continue
                handed_in = folder / module.name
                if is_link(handed_in) or not handed_in.is_dir():
                    continue  # nothing handed in: nbgrader has no submission for it either
                gb.update_or_create_student(student)
                try:
                    gb.find_submission(module.name, student)
                except MissingEntry:
                    kwargs = {}
                    stamp = handed_in / "timestamp.txt"
                    if stamp.is_file() and not is_link(stamp):
                        try:
                            from nbgrader.utils import parse_utc

                            kwargs["timestamp"] = parse_utc(stamp.read_text(encoding="utf-8")[:100].strip())
                        except Exception:
                            pass
                    with warnings.catch_warnings():  # nbgrader's own SQLAlchemy 2 "not in session" warning
                        warnings.simplefilter("ignore")
                        gb.add_submission(module.name, student, **kwargs)
                points: dict[str, float] = {}
                for item in mod.items:
                    exercise = exercise_of(item.name, module.exercises)
                    cell = OTHER_ID if exercise == OTHER else test_id(exercise)
                    points[cell] = points.get(cell, 0.0) + float(item.score)
                for notebook in assignment.notebooks:
                    for cell in notebook.grade_cells:
                        if cell.name not in points:
                            continue
                        grade = gb.find_grade(cell.name, notebook.name, module.name, student)
                        grade.auto_score = max(0.0, min(float(cell.max_score), points[cell.name]))
                        grade.needs_manual_grade = False
                        done.cells += 1
                gb.db.commit()
                done.submissions += 1
                done.students.add(student)
    return done
