"""A class's results on disk, one JSON line per submission, written as each one is known.

An interrupted `grade` keeps what was done; `grade --resume` reads the journal, skips those
students and reuses the journal's seed so every student of the class gets the same inputs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
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
        for number, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by an interruption: that student is graded again
            if data.get("journal") == FORMAT:
                self.seed, self.device = data.get("seed"), data.get("device")
            elif "student" in data and "modules" in data:
                try:
                    self.done[data["student"]] = submission_from_dict(data)
                except (KeyError, TypeError) as exc:
                    raise UsageError(f"{self.path}:{number}: not a torchdojo result line ({exc})") from exc

    def start(self, seed: int, device: str) -> None:
        if self.seed is None:
            self.seed, self.device = seed, device
            self._append({"journal": FORMAT, "seed": seed, "device": device})

    def record(self, report: SubmissionReport) -> None:
        self.done[report.student or report.submission] = report
        self._append(report.to_dict())

    def _append(self, data: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(data, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
