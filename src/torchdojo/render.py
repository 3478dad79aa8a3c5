"""Printing reports for people: a Rich table on a terminal, plain lines otherwise."""

from __future__ import annotations

from typing import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .grading.report import SubmissionReport

STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "yellow", "missing": "dim"}
STATUS_MARK = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "⏱", "missing": "·"}
LABELS = {
    "ko": {"module": "모듈", "item": "항목", "points": "점수", "status": "상태", "message": "메시지",
           "total": "총점", "device": "장치", "seed": "시드", "full": "만점입니다! 🎉",
           "next": "다음으로 할 일"},
    "en": {"module": "module", "item": "item", "points": "points", "status": "status", "message": "message",
           "total": "total", "device": "device", "seed": "seed", "full": "Full score!",
           "next": "Next up"},
}


def _pts(x: float) -> str:
    return f"{x:g}"


def print_check(report: SubmissionReport, console: Console, lang: str = "ko") -> None:
    labels = LABELS.get(lang, LABELS["en"])
    if console.is_terminal:
        table = Table(title=f"torchdojo check — {report.submission}", show_lines=False)
        for col in (labels["module"], labels["item"], labels["points"], labels["status"], labels["message"]):
            table.add_column(col, overflow="fold")
        for module in report.modules:
            first = True
            for item in module.items:
                style = STATUS_STYLE.get(item.status, "")
                table.add_row(
                    f"{module.name} ({_pts(module.score)}/{_pts(module.max_score)})" if first else "",
                    item.name,
                    f"{_pts(item.score)}/{_pts(item.max_score)}",
                    Text(f"{STATUS_MARK.get(item.status, '')} {item.status}", style=style),
                    item.message,
                )
                first = False
            table.add_section()
        console.print(table)
    else:
        for module in report.modules:
            console.print(f"{module.name}: {_pts(module.score)}/{_pts(module.max_score)}", markup=False, highlight=False)
            for item in module.items:
                line = f"  [{item.status}] {item.name} {_pts(item.score)}/{_pts(item.max_score)}"
                if item.message:
                    line += f" — {item.message}"
                console.print(line, markup=False, highlight=False)
    total = f"{labels['total']}: {_pts(report.score)}/{_pts(report.max_score)}  ({labels['device']}: {report.device}, {labels['seed']}: {report.seed})"
    console.print(total, markup=False, highlight=False)
    if report.full:
        console.print(labels["full"], markup=False, highlight=False)
    else:
        nxt = first_unfinished(report)
        if nxt:
            console.print(f"{labels['next']}: {nxt}", markup=False, highlight=False)


def first_unfinished(report: SubmissionReport) -> str | None:
    for module in report.modules:
        for item in module.items:
            if item.status != "passed":
                return f"{module.name} / {item.name}: {item.message}"
    return None


def print_class(reports: Iterable[SubmissionReport], console: Console, module_names: list[str]) -> None:
    table = Table(title="torchdojo grade")
    table.add_column("student")
    for name in module_names:
        table.add_column(name.split("_", 1)[0], justify="right")
    table.add_column("total", justify="right")
    for rep in reports:
        by_name = {m.name: m for m in rep.modules}
        cells = [_pts(by_name[n].score) + "/" + _pts(by_name[n].max_score) if n in by_name else "" for n in module_names]
        table.add_row(rep.student or rep.submission, *cells, f"{_pts(rep.score)}/{_pts(rep.max_score)}")
    console.print(table)


def print_progress(data: dict, console: Console, lang: str = "ko") -> None:
    """The `list` view: modules, items with points and status, overall progress."""
    not_checked = {"ko": "아직 채점 안 함", "en": "not checked"}[lang]
    if console.is_terminal:
        table = Table(title=f"torchdojo list — {data['submission']}")
        for col in ("module", "title", "item", "points", "status"):
            table.add_column(col)
        for module in data["modules"]:
            first = True
            for item in module["items"]:
                status = item["status"] if item["status"] != "not checked" else not_checked
                table.add_row(module["name"] if first else "", module["title"][lang] if first else "", item["name"],
                              f"{_pts(item['score'])}/{_pts(item['points'])}",
                              Text(status, style=STATUS_STYLE.get(item["status"], "dim")))
                first = False
            table.add_section()
        console.print(table)
    else:
        for module in data["modules"]:
            console.print(f"{module['name']} ({module['title'][lang]}): {_pts(module['score'])}/{_pts(module['max_score'])}",
                          markup=False, highlight=False)
            for item in module["items"]:
                status = item["status"] if item["status"] != "not checked" else not_checked
                console.print(f"  [{status}] {item['name']} {_pts(item['score'])}/{_pts(item['points'])}",
                              markup=False, highlight=False)
    label = {"ko": "진행도", "en": "progress"}[lang]
    console.print(f"{label}: {data['items_passed']}/{data['items']} items, "
                  f"{_pts(data['score'])}/{_pts(data['max_score'])} points", markup=False, highlight=False)


def print_watch(report: SubmissionReport, regraded: list[str], seconds: float, console: Console,
                lang: str = "ko") -> None:
    """Watch mode: the first unfinished item and its hint on top, then the table."""
    from .hints import hint

    if console.is_terminal:
        console.clear()
    head = {"ko": "다시 채점", "en": "re-graded"}[lang]
    console.print(f"── {head}: {', '.join(regraded)} ({seconds:.1f} s) ──", markup=False, highlight=False)
    for module in report.modules:
        unfinished = next((i for i in module.items if i.status != "passed"), None)
        if unfinished:
            console.print(f"▶ {module.name} / {unfinished.name}: {unfinished.message}", markup=False, highlight=False)
            try:
                _, exercise, _, _, text = hint(module.name, unfinished.name, level=1, lang=lang)  # type: ignore[arg-type]
                console.print(f"  💡 {text}", markup=False, highlight=False)
            except Exception:
                pass
            break
    print_check(report, console, lang)
    console.print({"ko": "파일을 저장하면 다시 채점합니다 (Ctrl-C로 종료)",
                   "en": "save a file to re-grade (Ctrl-C to stop)"}[lang], markup=False, highlight=False)
