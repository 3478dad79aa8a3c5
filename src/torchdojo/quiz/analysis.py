"""Classical item analysis of one quiz over the students' latest complete attempts.

Per question:
- facility (difficulty index) p: the share of students answering it right;
- discrimination D = p(upper) - p(lower), the upper and lower groups being the 27% of students
  with the highest and lowest total scores (Kelley's 27%; at least one student each; ties in
  the total are broken by student name, so the split is reproducible);
- point-biserial r: the correlation of the item (0/1) with the REST score (the total without
  this item: the "corrected" item-total correlation, which does not count the item twice),
  scipy.stats.pointbiserialr; None when the item or the rest score does not vary;
- a distractor table: per choice, how many students of the upper group, the lower group and all
  picked it (for a multi-select question each chosen choice counts).
Per quiz: KR-20 reliability, k/(k-1) * (1 - sum(p*q) / var(total)), population variance.
Questions with D < 0 or r < 0 are flagged: the stronger students got them wrong more often.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from torchdojo.quiz.model import Quiz
from torchdojo.quiz.records import Record, Rescored, latest_attempts

GROUP_SHARE = 0.27


@dataclass
class ChoiceCount:
    number: int  # file order, 1-based
    key: bool
    upper: int
    lower: int
    total: int


@dataclass
class ItemAnalysis:
    question: str
    facility: float
    upper: float  # share right in the upper group
    lower: float
    point_biserial: float | None
    choices: list[ChoiceCount] = field(default_factory=list)
    unanswered: int = 0

    @property
    def discrimination(self) -> float:
        return self.upper - self.lower

    @property
    def flagged(self) -> bool:
        return self.discrimination < 0 or (self.point_biserial is not None and self.point_biserial < 0)


@dataclass
class QuizAnalysis:
    quiz: str
    students: list[str]  # in total-score order, highest first
    totals: list[int]
    group_size: int
    kr20: float | None
    items: list[ItemAnalysis]

    @property
    def flagged(self) -> list[ItemAnalysis]:
        return [i for i in self.items if i.flagged]

    def to_dict(self) -> dict[str, Any]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "quiz": self.quiz, "students": len(self.students), "group_size": self.group_size,
            "kr20": r(self.kr20), "mean": r(sum(self.totals) / len(self.totals)) if self.totals else None,
            "items": [{
                "question": i.question, "facility": r(i.facility), "upper": r(i.upper), "lower": r(i.lower),
                "discrimination": r(i.discrimination), "point_biserial": r(i.point_biserial),
                "flag": "negative discrimination" if i.flagged else "", "unanswered": i.unanswered,
                "choices": [{"choice": c.number, "key": c.key, "upper": c.upper, "lower": c.lower, "total": c.total}
                            for c in i.choices],
            } for i in self.items],
        }


def _kr20(matrix: list[list[int]]) -> float | None:
    import numpy as np

    x = np.asarray(matrix, dtype=float)
    n, k = x.shape
    if n < 2 or k < 2:
        return None
    totals = x.sum(axis=1)
    var = totals.var()
    if var == 0:
        return None
    p = x.mean(axis=0)
    return float(k / (k - 1) * (1 - (p * (1 - p)).sum() / var))


def _point_biserial(item: list[int], rest: list[int]) -> float | None:
    if len(set(item)) < 2 or len(set(rest)) < 2:
        return None
    from scipy.stats import pointbiserialr

    value = float(pointbiserialr(item, rest).statistic)
    return None if math.isnan(value) else value


def analyse(quiz: Quiz, attempts: dict[tuple[str, str], tuple[Record, Rescored]]) -> QuizAnalysis:
    """Item analysis of `quiz` over attempts as `latest_attempts` gives them."""
    mine = [(student, rescored) for (student, quiz_id), (_record, rescored) in attempts.items() if quiz_id == quiz.id]
    qids = [q.id for q in quiz.questions]
    mine.sort(key=lambda sr: (-sum(sr[1].correct.get(q, False) for q in qids), sr[0]))
    students = [s for s, _ in mine]
    matrix = [[int(bool(r.correct.get(q, False))) for q in qids] for _, r in mine]
    totals = [sum(row) for row in matrix]
    n = len(mine)
    g = max(1, round(GROUP_SHARE * n)) if n else 0
    upper, lower = set(range(g)), set(range(n - g, n))
    items = []
    for j, question in enumerate(quiz.questions):
        col = [row[j] for row in matrix]
        counts = {c: [0, 0, 0] for c in range(1, len(question.choices) + 1)}
        unanswered = 0
        for index, (_, rescored) in enumerate(mine):
            chosen = rescored.chosen.get(question.id)
            if chosen is None:
                unanswered += 1
                continue
            for number in chosen:
                if number in counts:
                    counts[number][2] += 1
                    counts[number][0] += index in upper
                    counts[number][1] += index in lower
        share = (lambda rows: sum(col[i] for i in rows) / len(rows)) if n else (lambda rows: 0.0)
        items.append(ItemAnalysis(
            question.id, sum(col) / n if n else 0.0, share(upper) if n else 0.0, share(lower) if n else 0.0,
            _point_biserial(col, [t - c for t, c in zip(totals, col)]) if n > 2 else None,
            [ChoiceCount(c, c in question.answer_set, *v) for c, v in counts.items()], unanswered))
    return QuizAnalysis(quiz.id, students, totals, g, _kr20(matrix), items)


def analyse_records(records: list[Record], bank: dict[str, Quiz], quiz: str | None = None) -> list[QuizAnalysis]:
    """One analysis per quiz that has complete attempts (or only `quiz`), in quiz id order."""
    attempts = latest_attempts(records, bank, quiz)
    ids = sorted({q for _, q in attempts})
    return [analyse(bank[q], attempts) for q in ids]


def format_analysis(a: QuizAnalysis, quiz: Quiz, lang: str = "en") -> str:
    """The item table and the distractor table of one quiz as plain text."""
    ko = lang == "ko"

    def f(x: float | None) -> str:
        return "   -" if x is None else f"{x:+.2f}"

    head = (f"{'문항 분석' if ko else 'Item analysis'}: {a.quiz} — {len(a.students)} "
            f"{'명' if ko else 'students'}, {'상·하위 집단' if ko else 'upper/lower groups'} {a.group_size} "
            f"{'명' if ko else 'each'} (27%), KR-20 {'-' if a.kr20 is None else f'{a.kr20:.2f}'}")
    width = max([len(i.question) for i in a.items] + [8])
    lines = [head, "",
             f"{'question':<{width}}  {'p':>5}  {'upper':>5}  {'lower':>5}  {'D':>5}  {'r_pb':>5}  flag"]
    for i in a.items:
        flag = ("⚠ 변별도 음수" if ko else "⚠ negative discrimination") if i.flagged else ""
        lines.append(f"{i.question:<{width}}  {i.facility:>5.2f}  {i.upper:>5.2f}  {i.lower:>5.2f}  "
                     f"{f(i.discrimination):>5}  {f(i.point_biserial):>5}  {flag}".rstrip())
    lines += ["", ("오답 선택 분포 (파일 순서의 보기, * 정답; 상위/하위/전체)" if ko else
                   "Distractors (choices in file order, * the key; upper / lower / all)")]
    for i in a.items:
        cells = []
        for c in i.choices:
            cells.append(f"{'*' if c.key else ' '}{c.number}: {c.upper}/{c.lower}/{c.total}")
        tail = f"  ({'무응답' if ko else 'unanswered'} {i.unanswered})" if i.unanswered else ""
        lines.append(f"{i.question:<{width}}  " + "   ".join(cells) + tail)
    return "\n".join(lines) + "\n"


ANALYSIS_COLUMNS = ["section", "quiz", "question", "facility", "upper", "lower", "discrimination", "point_biserial",
                    "flag", "choice", "key", "upper_count", "lower_count", "total_count"]


def analysis_csv(analyses: list[QuizAnalysis]) -> str:
    """One CSV table: `section` is 'quiz' (KR-20), 'item' or 'distractor' (one row per choice)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=ANALYSIS_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for a in analyses:
        d = a.to_dict()
        writer.writerow({"section": "quiz", "quiz": a.quiz, "point_biserial": "", "flag": "",
                         "facility": "" if d["kr20"] is None else f"KR-20={d['kr20']}"})
        for item in d["items"]:
            writer.writerow({"section": "item", "quiz": a.quiz, **{k: item[k] for k in (
                "question", "facility", "upper", "lower", "discrimination", "point_biserial", "flag")}})
            for c in item["choices"]:
                writer.writerow({"section": "distractor", "quiz": a.quiz, "question": item["question"],
                                 "choice": c["choice"], "key": int(c["key"]), "upper_count": c["upper"],
                                 "lower_count": c["lower"], "total_count": c["total"]})
    return buffer.getvalue()
