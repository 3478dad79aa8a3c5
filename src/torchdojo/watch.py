"""Watch mode: grade once, then re-grade only the module whose file was saved."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from .course import load_course
from .grading.report import SubmissionReport
from .grading.runner import Scorer, validate_submission
from .grading.state import load_state, save_state


def merged_report(directory: Path, template: SubmissionReport) -> SubmissionReport:
    """All modules' latest results (from the state file) in course order."""
    state = load_state(directory)
    modules = [state[name] for name in load_course().names if name in state]
    return SubmissionReport(submission=str(directory), modules=modules, device=template.device,
                            seed=template.seed, isolation=template.isolation, lang=template.lang,
                            artifacts=template.artifacts)


def watch(directory: Path, *, device: str = "auto", lang: str = "ko", artifacts: bool = False,
          on_report: Callable[[SubmissionReport, list[str], float], None],
          stop: threading.Event | None = None, debounce_ms: int = 200) -> None:
    """Call `on_report(report, regraded_modules, seconds)` after the first run and after each save."""
    import logging

    import watchfiles

    logging.getLogger("watchfiles").setLevel(logging.ERROR)  # no "KeyboardInterrupt caught" line on Ctrl-C
    course = load_course()
    directory = Path(directory)
    validate_submission(directory, course)
    files = {m.filename: m.name for m in course.modules}
    def stamps() -> dict[str, int]:
        return {name: (directory / name).stat().st_mtime_ns for name in files if (directory / name).exists()}

    with Scorer(device=device, lang=lang, course=course) as scorer:
        started = time.monotonic()
        before = stamps()
        report = scorer.score(directory, artifacts=artifacts)
        save_state(directory, report)
        on_report(merged_report(directory, report), course.names, time.monotonic() - started)

        def only_exercises(_change: watchfiles.Change, path: str) -> bool:
            return Path(path).name in files and Path(path).parent.resolve() == directory.resolve()

        first = True
        for changes in watchfiles.watch(directory, watch_filter=only_exercises, debounce=debounce_ms, step=50,
                                        stop_event=stop, raise_interrupt=False, yield_on_timeout=True,
                                        rust_timeout=500):
            names = {Path(path).name for _change, path in changes}
            if first:  # the watcher is up now: catch saves made while the first run was grading
                first = False
                now = stamps()
                names |= {name for name in now if now[name] != before.get(name)}
            modules = sorted({files[name] for name in names})
            if not modules:
                continue
            started = time.monotonic()
            report = scorer.score(directory, modules, artifacts=artifacts)
            save_state(directory, report)
            on_report(merged_report(directory, report), modules, time.monotonic() - started)
