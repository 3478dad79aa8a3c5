"""Printing reports for people: a Rich table on a terminal, plain lines otherwise.

Whatever comes from a submission (a student's folder name, a path, a message, an item name)
is shown as text: a Rich `Text` or `markup=False`, never parsed as Rich markup, and with every
control character (ESC, BEL, C1, bidi marks...) dropped from messages and shown escaped in names,
so a name like `[red]bob` or `\x1b]0;...\x07` cannot colour, move or retitle anything.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .grading.report import SubmissionReport, clean_text, safe_label


def label(name: Any) -> Text:
    """A name as plain text for Rich (a student, a path, an item)."""
    return Text(safe_label(name, 4096))


def message(text: Any, style: str = "") -> Text:
    """A message as plain text for Rich: newlines and tabs kept, other control characters dropped."""
    return Text(clean_text(text, 1 << 20), style=style)


def _line(console: Console, text: str) -> None:
    console.print(clean_text(text, 1 << 20), markup=False, highlight=False, emoji=False)

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
        table = Table(title=Text(f"torchdojo check — {safe_label(report.submission, 4096)}"), show_lines=False)
        for col in (labels["module"], labels["item"], labels["points"], labels["status"], labels["message"]):
            table.add_column(col, overflow="fold")
        for module in report.modules:
            first = True
            for item in module.items:
                style = STATUS_STYLE.get(item.status, "")
                table.add_row(
                    label(f"{module.name} ({_pts(module.score)}/{_pts(module.max_score)})" if first else ""),
                    label(item.name),
                    Text(f"{_pts(item.score)}/{_pts(item.max_score)}"),
                    Text(f"{STATUS_MARK.get(item.status, '')} {safe_label(item.status)}", style=style),
                    message(item.message),
                )
                first = False
            table.add_section()
        console.print(table)
    else:
        for module in report.modules:
            _line(console, f"{safe_label(module.name)}: {_pts(module.score)}/{_pts(module.max_score)}")
            for item in module.items:
                line = f"  [{safe_label(item.status)}] {safe_label(item.name)} {_pts(item.score)}/{_pts(item.max_score)}"
                if item.message:
                    line += f" — {item.message}"
                _line(console, line)
    total = f"{labels['total']}: {_pts(report.score)}/{_pts(report.max_score)}  ({labels['device']}: {report.device}, {labels['seed']}: {report.seed})"
    console.print(total, markup=False, highlight=False)
    if report.full:
        console.print(labels["full"], markup=False, highlight=False)
    else:
        nxt = first_unfinished(report)
        if nxt:
            _line(console, f"{labels['next']}: {nxt}")


def first_unfinished(report: SubmissionReport) -> str | None:
    for module in report.modules:
        for item in module.items:
            if item.status != "passed":
                return f"{safe_label(module.name)} / {safe_label(item.name)}: {clean_text(item.message)}"
    return None


def print_class(reports: Iterable[SubmissionReport], console: Console, module_names: list[str]) -> None:
    table = Table(title=Text("torchdojo grade"))
    table.add_column("student")
    for name in module_names:
        table.add_column(name.split("_", 1)[0], justify="right")
    table.add_column("total", justify="right")
    for rep in reports:
        by_name = {m.name: m for m in rep.modules}
        cells = [_pts(by_name[n].score) + "/" + _pts(by_name[n].max_score) if n in by_name else "" for n in module_names]
        table.add_row(label(rep.student or rep.submission), *map(Text, cells),
                      Text(f"{_pts(rep.score)}/{_pts(rep.max_score)}"))
    console.print(table)


def print_progress(data: dict, console: Console, lang: str = "ko") -> None:
    """The `list` view: modules, items with points and status, overall progress."""
    not_checked = {"ko": "아직 채점 안 함", "en": "not checked"}[lang]
    if console.is_terminal:
        table = Table(title=Text(f"torchdojo list — {safe_label(data['submission'], 4096)}"))
        for col in ("module", "title", "item", "points", "status"):
            table.add_column(col)
        for module in data["modules"]:
            first = True
            for item in module["items"]:
                status = item["status"] if item["status"] != "not checked" else not_checked
                table.add_row(label(module["name"] if first else ""), message(module["title"][lang] if first else ""),
                              label(item["name"]), Text(f"{_pts(item['score'])}/{_pts(item['points'])}"),
                              Text(safe_label(status), style=STATUS_STYLE.get(item["status"], "dim")))
                first = False
            table.add_section()
        console.print(table)
    else:
        for module in data["modules"]:
            _line(console, f"{safe_label(module['name'])} ({module['title'][lang]}): "
                           f"{_pts(module['score'])}/{_pts(module['max_score'])}")
            for item in module["items"]:
                status = item["status"] if item["status"] != "not checked" else not_checked
                _line(console, f"  [{safe_label(status)}] {safe_label(item['name'])} "
                               f"{_pts(item['score'])}/{_pts(item['points'])}")
    heading = {"ko": "진행도", "en": "progress"}[lang]
    console.print(f"{heading}: {data['items_passed']}/{data['items']} items, "
                  f"{_pts(data['score'])}/{_pts(data['max_score'])} points", markup=False, highlight=False)


def print_watch(report: SubmissionReport, regraded: list[str], seconds: float, console: Console,
                lang: str = "ko") -> None:
    """Watch mode: the first unfinished item and its hint on top, then the table."""
    from .hints import hint

    if console.is_terminal:
        console.clear()
    head = {"ko": "다시 채점", "en": "re-graded"}[lang]
    _line(console, f"── {head}: {', '.join(safe_label(r) for r in regraded)} ({seconds:.1f} s) ──")
    for module in report.modules:
        unfinished = next((i for i in module.items if i.status != "passed"), None)
        if unfinished:
            _line(console, f"▶ {safe_label(module.name)} / {safe_label(unfinished.name)}: {unfinished.message}")
            try:
                _, exercise, _, _, text = hint(module.name, unfinished.name, level=1, lang=lang)  # type: ignore[arg-type]
                console.print(f"  💡 {text}", markup=False, highlight=False, emoji=False)
            except Exception:
                pass
            break
    print_check(report, console, lang)
    console.print({"ko": "파일을 저장하면 다시 채점합니다 (Ctrl-C로 종료)",
                   "en": "save a file to re-grade (Ctrl-C to stop)"}[lang], markup=False, highlight=False)
