"""Feedback to hand back: one Markdown file per student with their items, points and messages.

Only what the report holds goes in (item names, points, status, the messages in the chosen
language): never grader or reference source. File names are made safe from the student's
folder name; every text is escaped for Markdown so a message cannot become a link or HTML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

from ..grading.report import SubmissionReport, clean_text, safe_label
from ..i18n import texts

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~])")
_UNSAFE_NAME = re.compile(r"[^\w.-]+", re.UNICODE)

_T = texts({
    "title": {"en": "Feedback", "ko": "채점 결과"},
    "total": {"en": "Total", "ko": "총점"},
    "item": {"en": "item", "ko": "항목"},
    "points": {"en": "points", "ko": "점수"},
    "status": {"en": "status", "ko": "상태"},
    "message": {"en": "what to fix", "ko": "고칠 점"},
    "seed": {"en": "Graded with seed {seed}: `torchdojo check --seed {seed}` replays these inputs.",
             "ko": "시드 {seed}로 채점했습니다. `torchdojo check --seed {seed}`로 같은 입력을 다시 볼 수 있습니다."},
})


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(clean_text(text).split()))


def _pts(x: float) -> str:
    return str(int(x) if float(x).is_integer() else round(float(x), 2))


def feedback_markdown(rep: SubmissionReport, lang: str = "ko") -> str:
    t = {k: v.pick(lang) for k, v in _T.items()}  # type: ignore[arg-type]
    student = safe_label(rep.student or rep.submission)
    lines = [f"# {t['title']}: {_md(student)}", "",
             f"**{t['total']}: {_pts(rep.score)}/{_pts(rep.max_score)}**", ""]
    for mod in rep.modules:
        lines += [f"## {_md(mod.name)}: {_pts(mod.score)}/{_pts(mod.max_score)}", "",
                  f"| {t['item']} | {t['points']} | {t['status']} | {t['message']} |", "|---|---|---|---|"]
        for item in mod.items:
            message = item.text.pick(lang)  # type: ignore[arg-type]
            full = item.max_score > 0 and item.score >= item.max_score
            lines.append(f"| {_md(item.name)} | {_pts(item.score)}/{_pts(item.max_score)} | {_md(item.status)} | "
                         f"{'' if full else _md(message)} |")
        lines.append("")
    lines.append(t["seed"].format(seed=rep.seed))
    return "\n".join(lines) + "\n"


def file_name(student: str) -> str:
    name = _UNSAFE_NAME.sub("_", student).strip("._") or "student"
    return name[:120] + ".md"


def write_feedback(reports: Iterable[SubmissionReport], out: Path, lang: str = "ko") -> list[Path]:
    """One `<student>.md` per report in `out` (created); returns the files written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for rep in reports:
        name = file_name(safe_label(rep.student or rep.submission))
        stem, n = name[:-3], 2
        while name in used:
            name, n = f"{stem}-{n}.md", n + 1
        used.add(name)
        path = out / name
        if path.is_symlink():
            path.unlink()
        path.write_text(feedback_markdown(rep, lang), encoding="utf-8")
        written.append(path)
    return written
