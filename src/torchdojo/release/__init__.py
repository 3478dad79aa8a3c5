"""Instructor releases: an nbgrader course, a student bundle, a Gradescope autograder.

- `nbgrader_course.release_nbgrader(out, modules)`: source notebooks (solutions between
  nbgrader's markers, hidden tests that call torchdojo's graders), config, graders pack, and
  nbgrader's own `generate_assignment` for the release.
- `student.release_student(out)`: stubs, stripped quizzes, README, Makefile, the torchdojo
  wheel and the packed graders (`make check` works from the bundle's folder).
- `gradescope.release_gradescope(out)`: `setup.sh` + `run_autograder` zip;
  `gradescope.to_gradescope(report)` turns any report into Gradescope's results.json.
- `notebooks`: returned notebooks back into `<module>.py` files, and `grade_notebooks`.

Nothing here is imported by `import torchdojo`; nbgrader is needed only to generate and
autograde an nbgrader course (the `instructor` extra).
"""

__all__ = ["nbgrader_course", "student", "gradescope", "notebooks", "notebook", "notebook_check", "pack",
           "packed", "points", "source", "common"]
