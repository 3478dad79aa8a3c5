"""A class's results on disk, one JSON line per submission, written as each one is known.

An interrupted `grade` keeps what was done; `grade --resume` reads the journal, skips those
students and reuses the journal's seed so every student of the class gets the same inputs.

Lines are pure ASCII JSON (`ensure_ascii=True`): no character of a message (U+2028, NEL, a
lone surrogate) can split a line or fail to encode. Reading splits on "\n" only and skips any
line that is not a result (cut short, garbled, another shape): that student is graded again.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .report import SubmissionReport, submission_from_dict

FORMAT = "torchdojo.grades/1"


@dataclass
class Journal:
    path: Path
    seed: int | None = None
    device: str | None = None
    done: dict[str, SubmissionReport] = field(default_factory=dict)

    @classmethod
    def open(cls, path: Path, *, resume: bool) -> "Journal":
        journal = cls(Path(path))
        if resume and journal.path.exists():
            journal._read()
        else:
            journal.path.parent.mkdir(parents=True, exist_ok=True)
            journal.path.write_text("", encoding="utf-8")
        return journal

    def _read(self) -> None:
        text = self.path.read_text(encoding="utf-8", errors="replace")
        header = False
        for line in text.split("\n"):  # never str.splitlines: it also splits on U+2028, NEL, \x1c...
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except (ValueError, RecursionError):
                continue  # a line cut short by an interruption: that student is graded again
            if not isinstance(data, dict):
                continue
            if data.get("journal") == FORMAT and not header:
                seed = data.get("seed")
                if isinstance(seed, int) and not isinstance(seed, bool):
                    self.seed, self.device, header = seed, data.get("device"), True
            elif isinstance(data.get("student"), str) and "modules" in data:
                try:
                    report = submission_from_dict(data)
                except (KeyError, TypeError, ValueError, AttributeError, RecursionError):
                    continue  # not a result line after all: that student is graded again
                self.done[report.student or data["student"]] = report

    def start(self, seed: int, device: str) -> None:
        if self.seed is None:
            self.seed, self.device = seed, device
            self._append({"journal": FORMAT, "seed": seed, "device": device})

    def record(self, report: SubmissionReport) -> None:
        self.done[report.student or report.submission] = report
        self._append(report.to_dict())

    def _append(self, data: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(data, ensure_ascii=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
