"""The class at a glance: per module and per item, who passes, scores, and the failures grouped.

`build_overview(reports)` turns the SubmissionReports of a class (from `grade`, or read back
from its journal with `load_journal_reports`) into a `ClassOverview`; `format_overview` makes
the terminal text of it. Failure messages are grouped by their text with numbers masked, so
"expected shape [5], got [7]" and "expected shape [3], got [4]" count as one cause; the group
shows its most frequent wording.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..i18n import texts
from ..errors import UsageError
from ..grading.report import SubmissionReport, clean_text, safe_label

HIST_BINS = 5  # a module's histogram: share of its points in 0-20%, ..., 80-100%

_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else round(float(x), 2)


def message_key(text: str) -> str:
    """The group a failure message belongs to: numbers masked, spaces collapsed, case folded."""
    return " ".join(_NUMBER.sub("#", text).split()).casefold()[:300]


@dataclass
class FailureGroup:
    message: str  # its most frequent wording
    count: int
    students: list[str] = field(default_factory=list)
    status: str = "failed"  # the most frequent status (missing: not done; module: the whole module failed)


@dataclass
class ItemStats:
    module: str
    name: str
    max_score: float
    students: int = 0
    passed: int = 0
    total: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    failures: list[FailureGroup] = field(default_factory=list)  # most common first

    @property
    def failed(self) -> int:
        return self.students - self.passed

    @property
    def share_passed(self) -> float:
        return self.passed / self.students if self.students else 0.0

    @property
    def mean(self) -> float:
        return self.total / self.students if self.students else 0.0

    @property
    def not_done(self) -> int:
        """Students whose file or function is missing (or still a stub) for this item."""
        return self.statuses.get("missing", 0)

    @property
    def causes(self) -> list[FailureGroup]:
        """The failure groups of attempted work (not the stubs and missing files), most common first."""
        return [g for g in self.failures if g.status not in ("missing", "module")]

@dataclass
class ModuleStats:
    name: str
    max_score: float
    scores: list[float] = field(default_factory=list)  # one per student who has this module
    items: list[ItemStats] = field(default_factory=list)

    @property
    def students(self) -> int:
        return len(self.scores)

    @property
    def full(self) -> int:
        return sum(1 for s in self.scores if self.max_score > 0 and s >= self.max_score)

    @property
    def share_full(self) -> float:
        return self.full / self.students if self.students else 0.0

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores) if self.scores else 0.0

    @property
    def median(self) -> float:
        return statistics.median(self.scores) if self.scores else 0.0

    def histogram(self, bins: int = HIST_BINS) -> list[int]:
        """Students per bin of the module's points: [0, 20%), [20%, 40%), ..., [80%, 100%]."""
        counts = [0] * bins
        for score in self.scores:
            share = score / self.max_score if self.max_score else 0.0
            counts[min(bins - 1, max(0, int(share * bins)))] += 1
        return counts


@dataclass
class SimilarPair:
    """Two students whose files of one module look alike (copydetect's similarity, 0..1)."""

    module: str
    first: str
    second: str
    similarity: float  # the larger of the two directions
    first_share: float = 0.0  # share of the first's tokens found in the second
    second_share: float = 0.0


@dataclass
class StudentRow:
    student: str
    score: float
    max_score: float
    modules: dict[str, tuple[float, float]]
    problems: list[str]  # modules with an error, timeout or missing file, e.g. "01_tensors: error"

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


@dataclass
class ClassOverview:
    modules: list[ModuleStats]
    students: list[StudentRow]
    seed: int | None = None
    device: str = ""
    lang: str = "en"
    similar: list[SimilarPair] = field(default_factory=list)
    similarity_threshold: float | None = None

    @property
    def max_score(self) -> float:
        return sum(m.max_score for m in self.modules)

    @property
    def mean_percent(self) -> float:
        return statistics.fmean([s.percent for s in self.students]) if self.students else 0.0

    @property
    def median_percent(self) -> float:
        return statistics.median([s.percent for s in self.students]) if self.students else 0.0

    def item(self, module: str, name: str) -> ItemStats:
        for m in self.modules:
            if m.name == module:
                for item in m.items:
                    if item.name == name:
                        return item
        raise KeyError(f"{module}.{name}")

    def module(self, name: str) -> ModuleStats:
        for m in self.modules:
            if m.name == name:
                return m
        raise KeyError(name)

    def common_causes(self, count: int = 8) -> list[tuple[ItemStats, FailureGroup]]:
        """The largest failure groups of attempted work across the class, e.g. (predict, "ran in
        training mode"): by students concerned, then by their share of the item's failures."""
        pairs = [(i, g) for m in self.modules for i in m.items for g in i.causes]
        return sorted(pairs, key=lambda p: (-p[1].count, -p[1].count / max(1, p[0].failed),
                                            p[0].module, p[0].name))[:count]

    def to_dict(self) -> dict:
        return {
            "schema": "torchdojo.overview/1", "seed": self.seed, "device": self.device,
            "students": len(self.students), "max_score": _num(self.max_score),
            "mean_percent": round(self.mean_percent, 1), "median_percent": round(self.median_percent, 1),
            "modules": [{
                "name": m.name, "max_score": _num(m.max_score), "students": m.students, "full": m.full,
                "share_full": round(m.share_full, 4), "mean": round(m.mean, 2), "median": _num(m.median),
                "histogram": m.histogram(),
                "items": [{
                    "name": i.name, "max_score": _num(i.max_score), "students": i.students, "passed": i.passed,
                    "share_passed": round(i.share_passed, 4), "mean": round(i.mean, 2),
                    "statuses": dict(i.statuses),
                    "failures": [{"message": f.message, "count": f.count, "status": f.status, "students": f.students}
                                 for f in i.failures],
                } for i in m.items],
            } for m in self.modules],
            "similar": [{"module": p.module, "first": p.first, "second": p.second,
                         "similarity": round(p.similarity, 4)} for p in self.similar],
        }


def _message(item, lang: str) -> str:
    return clean_text(item.text.pick(lang) or item.status, 500)


def build_overview(reports: Iterable[SubmissionReport], *, lang: str = "en",
                   similar: Sequence[SimilarPair] = (), similarity_threshold: float | None = None) -> ClassOverview:
    """Statistics of a class from its reports (one per student), modules and items in report order."""
    reports = list(reports)
    modules: dict[str, ModuleStats] = {}
    items: dict[tuple[str, str], ItemStats] = {}
    groups: dict[tuple[str, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    group_students: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    group_status: dict[tuple[str, str], dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    rows: list[StudentRow] = []
    for rep in reports:
        student = safe_label(rep.student or rep.submission)
        problems = []
        per_module: dict[str, tuple[float, float]] = {}
        for mod in rep.modules:
            stats = modules.setdefault(mod.name, ModuleStats(mod.name, mod.max_score))
            stats.max_score = max(stats.max_score, mod.max_score)
            stats.scores.append(mod.score)
            per_module[mod.name] = (mod.score, mod.max_score)
            texts = {message_key(_message(i, lang)) for i in mod.items}
            whole = (len(mod.items) > 1 and len(texts) == 1 and mod.score == 0
                     and all(i.status in ("error", "timeout") for i in mod.items))
            if mod.items and all(i.status == "missing" for i in mod.items):
                problems.append(f"{mod.name}: missing")
            elif whole:  # one cause for the whole module (a syntax error, a crash on import)
                problems.append(f"{mod.name}: {mod.items[0].status}: {_message(mod.items[0], lang)}")
            for it in mod.items:
                key = (mod.name, it.name)
                if key not in items:
                    items[key] = ItemStats(mod.name, it.name, it.max_score)
                    stats.items.append(items[key])
                s = items[key]
                s.students += 1
                s.total += it.score
                s.statuses[it.status] += 1
                if it.max_score > 0 and it.score >= it.max_score or it.max_score == 0 and it.status == "passed":
                    s.passed += 1
                else:
                    text = _message(it, lang)
                    k = "(whole module) " + message_key(text) if whole else message_key(text)
                    groups[key][k][text] += 1
                    group_students[key][k].append(student)
                    group_status[key][k]["module" if whole else it.status] += 1
        rows.append(StudentRow(student, rep.score, rep.max_score, per_module, problems))
    for key, stats in items.items():
        found = []
        for k, wordings in groups[key].items():
            wording, _ = sorted(wordings.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            status = group_status[key][k].most_common(1)[0][0]
            found.append(FailureGroup(wording, sum(wordings.values()), sorted(group_students[key][k]), status))
        stats.failures = sorted(found, key=lambda g: (-g.count, g.message))
    first = reports[0] if reports else None
    pairs = sorted(similar, key=lambda p: (-p.similarity, p.module, p.first, p.second))
    return ClassOverview(list(modules.values()), sorted(rows, key=lambda r: r.student),
                         seed=first.seed if first else None, device=first.device if first else "", lang=lang,
                         similar=pairs, similarity_threshold=similarity_threshold)


def load_journal_reports(path: Path) -> tuple[list[SubmissionReport], int | None]:
    """The reports of a `grade` journal (the last line of each student wins) and its seed."""
    from ..grading.journal import Journal

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{safe_label(str(path), 4096)}: no such journal (채점 기록 파일이 없습니다)")
    journal = Journal(path)
    journal._read()
    if not journal.done:
        raise UsageError(f"{safe_label(str(path), 4096)}: holds no results (결과가 없습니다)")
    return sorted(journal.done.values(), key=lambda r: r.student or ""), journal.seed


# -- the terminal text ------------------------------------------------------------------------

_TEXT = texts({
    "title": {"en": "Class overview", "ko": "반 전체 요약"},
    "students": {"en": "students", "ko": "학생"},
    "mean": {"en": "mean", "ko": "평균"},
    "median": {"en": "median", "ko": "중앙값"},
    "full": {"en": "full", "ko": "만점"},
    "module": {"en": "module", "ko": "모듈"},
    "item": {"en": "item", "ko": "항목"},
    "pass": {"en": "pass", "ko": "통과"},
    "hist": {"en": "histogram (0-20-40-60-80-100% of points)", "ko": "분포 (점수의 0-20-40-60-80-100%)"},
    "causes": {"en": "Most common failures (stubs and missing files left out)",
               "ko": "가장 흔한 실패 (손대지 않은 문제·없는 파일 제외)"},
    "of_failures": {"en": "of failures on", "ko": "실패:"},
    "problems": {"en": "Submissions with errors, timeouts or missing files",
                 "ko": "오류·시간 초과·파일 없음이 있는 제출물"},
    "similar": {"en": "Similar pairs (copydetect, threshold {t:.0%})", "ko": "비슷한 제출물 (copydetect, 기준 {t:.0%})"},
    "none": {"en": "none", "ko": "없음"},
    "not_done": {"en": "({n} not done)", "ko": "({n}명 안 함)"},
    "top": {"en": "most common failure (share of the item's failures)", "ko": "가장 흔한 실패 (그 항목 실패 중 비율)"},
})


def _t(key: str, lang: str) -> str:
    return _TEXT[key].pick(lang)  # type: ignore[arg-type]


def _bar(counts: list[int], width: int = 1) -> str:
    blocks = " ▁▂▃▄▅▆▇█"
    top = max(counts) if counts and max(counts) else 1
    return "".join((blocks[round(8 * c / top)] if c else "·") * width for c in counts)


def _pts(x: float) -> str:
    return str(_num(x))


def _fit(text: str, cells: int) -> str:
    """`text` cut to `cells` terminal columns (wide Korean characters count two), with an ellipsis."""
    from rich.cells import cell_len, set_cell_size

    text = str(text).replace("\r", " ").replace("\n", " ").replace("\t", " ")
    if cell_len(text) <= cells:
        return text
    return set_cell_size(text, max(0, cells - 1)).rstrip() + "…"


def _pad(text: str, cells: int, right: bool = False) -> str:
    from rich.cells import cell_len

    text = _fit(text, cells)
    gap = " " * max(0, cells - cell_len(text))
    return gap + text if right else text + gap


def format_overview(ov: ClassOverview, *, lang: str | None = None, width: int = 100,
                    causes: int = 8) -> str:
    """The overview as plain text lines that fit `width` columns (names and messages cut to fit)."""
    lang = lang or ov.lang
    out: list[str] = []
    head = (f"{_t('title', lang)}: {len(ov.students)} {_t('students', lang)}, "
            f"{_t('mean', lang)} {ov.mean_percent:.1f}%, {_t('median', lang)} {ov.median_percent:.1f}%")
    if ov.seed is not None:
        head += f" (seed {ov.seed})"
    out += [_fit(head, width), ""]
    name_w = max([len(m.name) for m in ov.modules] + [6])
    out.append(_fit(f"{_pad(_t('module', lang), name_w)}  {_pad('max', 5, True)}  {_pad(_t('mean', lang), 6, True)}  "
                    f"{_pad(_t('median', lang), 6, True)}  {_pad(_t('full', lang), 6, True)}  {_t('hist', lang)}", width))
    for m in ov.modules:
        hist = m.histogram()
        out.append(_fit(f"{_pad(m.name, name_w)}  {_pts(m.max_score):>5}  {m.mean:>6.1f}  {_pts(m.median):>6}  "
                        f"{m.share_full:>6.0%}  {_bar(hist, 2)}  {' '.join(map(str, hist))}", width))
    out.append("")
    item_w = min(36, max([len(f"{i.module}.{i.name}") for m in ov.modules for i in m.items] + [10]))
    out.append(_fit(f"{_pad(_t('item', lang), item_w)}  {_pad('pts', 4, True)}  {_pad(_t('pass', lang), 5, True)}  "
                    f"{_pad(_t('mean', lang), 5, True)}  {_t('top', lang)}", width))
    for m in ov.modules:
        for i in m.items:
            cause = ""
            if i.causes:
                group = i.causes[0]
                cause = f"{group.count / i.failed:.0%}: {group.message}"
            room = max(10, width - item_w - 22)
            tail = _t("not_done", lang).format(n=i.not_done) if i.not_done else ""
            if tail:
                from rich.cells import cell_len

                cause = (_fit(cause, room - cell_len(tail) - 2) + "  " if cause else "") + tail
            out.append(f"{_pad(f'{i.module}.{i.name}', item_w)}  {_pts(i.max_score):>4}  {i.share_passed:>5.0%}  "
                       f"{i.mean:>5.2f}  {_fit(cause, room)}".rstrip())
    out.append("")
    out.append(_fit(f"{_t('causes', lang)}:", width))
    shown = 0
    for i, group in ov.common_causes(causes):
        out.append(_fit(f"  {group.count / i.failed:.0%} {_t('of_failures', lang)} {i.module}.{i.name} "
                        f"({group.count}/{i.failed}): {group.message}", width))
        shown += 1
    if not shown:
        out.append(f"  {_t('none', lang)}")
    problems = [r for r in ov.students if r.problems]
    if problems:
        out += ["", f"{_t('problems', lang)}:"]
        for r in problems:
            for problem in r.problems:
                out.append(_fit(f"  {r.student}: {problem}", width))
    if ov.similarity_threshold is not None:
        out += ["", _t("similar", lang).format(t=ov.similarity_threshold) + ":"]
        for p in ov.similar:
            out.append(_fit(f"  {p.similarity:.0%}  {p.module}: {p.first} ~ {p.second}", width))
        if not ov.similar:
            out.append(f"  {_t('none', lang)}")
    return "\n".join(out) + "\n"
