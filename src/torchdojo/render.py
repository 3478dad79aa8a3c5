"""Printing reports for people: lines that fit an 80-column terminal, and plain lines in a pipe.

Layout (check, watch, list): one line per module, one line per item (mark, name, points,
status; a name is never broken), and the message on its own indented line(s) below, wrapped
at word boundaries to the terminal's width (in a pipe: never wrapped, never cut). A module
whose items all still raise NotImplementedError is folded into one line. What the student's
own code printed follows its module, marked as theirs.

Whatever comes from a submission (a student's folder name, a path, a message, an item name,
what their code printed) is shown as text: `markup=False`, never parsed as Rich markup, and with
every control character (ESC, BEL, C1, bidi marks...) dropped from messages and shown escaped in
names, so a name like `[red]bob` or `\x1b]0;...\x07` cannot colour, move or retitle anything.
"""

from __future__ import annotations

from typing import Any, Iterable

from rich.console import Console
from rich.text import Text

from .grading.report import ModuleResult, SubmissionReport, clean_text, module_status, misplaced_files, safe_label
from .i18n import texts


def label(name: Any) -> Text:
    """A name as plain text for Rich (a student, a path, an item)."""
    return Text(safe_label(name, 4096))


def message(text: Any, style: str = "") -> Text:
    """A message as plain text for Rich: newlines and tabs kept, other control characters dropped."""
    return Text(clean_text(text, 1 << 20), style=style)


def _line(console: Console, text: str, style: str = "") -> None:
    console.print(Text(clean_text(text, 1 << 20), style=style), markup=False, highlight=False, emoji=False,
                  soft_wrap=True)


STATUS_STYLE = {"passed": "green", "failed": "red", "error": "red", "timeout": "yellow", "missing": "dim"}
STATUS_MARK = {"passed": "✔", "failed": "✘", "error": "✘", "timeout": "⏱", "missing": "·"}
STATUS_WORD = texts({
    "passed": {"ko": "통과", "en": "passed"},
    "failed": {"ko": "실패", "en": "failed"},
    "error": {"ko": "오류", "en": "error"},
    "timeout": {"ko": "시간 초과", "en": "timeout"},
    "missing": {"ko": "미구현", "en": "missing"},
    "not checked": {"ko": "아직 채점 안 함", "en": "not checked"},
})
LABELS = texts({
    "module": {"ko": "모듈", "en": "module"},
    "item": {"ko": "항목", "en": "item"},
    "points": {"ko": "점수", "en": "points"},
    "status": {"ko": "상태", "en": "status"},
    "message": {"ko": "메시지", "en": "message"},
    "total": {"ko": "총점", "en": "total"},
    "device": {"ko": "장치", "en": "device"},
    "seed": {"ko": "시드", "en": "seed"},
    "full": {"ko": "만점입니다! 🎉", "en": "Full score!"},
    "next": {"ko": "다음으로 할 일", "en": "Next up"},
    "student": {"ko": "학생", "en": "student"},
    "title": {"ko": "제목", "en": "title"},
    "not_started": {"ko": "시작 전: 항목 {n}개 모두 NotImplementedError",
                    "en": "not started: all {n} items raise NotImplementedError"},
    "output": {"ko": "여러분의 코드가 출력한 내용 (print 등, {shown})",
               "en": "your code's own output (print and such, {shown})"},
    "output_all": {"ko": "전부 {n}줄", "en": "all {n} lines"},
    "output_tail": {"ko": "{total}줄 중 마지막 {n}줄", "en": "last {n} of {total} lines"},
    "more_items": {"ko": "… 항목 {n}개 더 (torchdojo check --module {module})",
                   "en": "… {n} more items (torchdojo check --module {module})"},
    "hint_cmd": {"ko": "힌트: torchdojo hint {module}", "en": "hint: torchdojo hint {module}"},
    "progress": {"ko": "진행도: 항목 {passed}/{items}개 통과, {score}/{max}점",
                 "en": "progress: {passed}/{items} items passed, {score}/{max} points"},
    "regraded": {"ko": "다시 채점", "en": "re-graded"},
    "overview": {"ko": "전체", "en": "all"},
    "save": {"ko": "파일을 저장하면 다시 채점합니다 (Ctrl-C로 종료)", "en": "save a file to re-grade (Ctrl-C to stop)"},
    "misplaced": {"ko": "{student}: 연습 문제 파일이 한 단계 아래 {folder}/ 폴더에 있어 그 폴더에서 채점했습니다 "
                        "(다음에는 {student}/ 바로 아래에 두세요)",
                  "en": "{student}: the exercise files are one folder too deep, in {folder}/, and were "
                        "graded from there (next time put them in {student}/ itself)"},
    "notes": {"ko": "참고", "en": "notes"},
})
WHY = texts({  # why a module is 0, in the class table's notes
    "missing_file": {"ko": "파일 없음", "en": "no file"},
    "syntax_error": {"ko": "문법 오류", "en": "syntax error"},
    "import_error": {"ko": "불러오기 오류", "en": "import error"},
    "timeout": {"ko": "시간 초과", "en": "timeout"},
    "crash": {"ko": "프로세스 종료", "en": "process ended"},
    "link": {"ko": "링크", "en": "link"},
    "not_graded": {"ko": "채점 안 됨", "en": "not graded"},
    "grader_error": {"ko": "채점기 오류", "en": "grader error"},
})
OUTPUT_LINES = 20  # lines of a module's printed output shown by `check`
OUTPUT_CHARS = 3000
INDENT = "      "  # messages sit under their item


def _labels(lang: str) -> dict:
    """The labels (and the `why` words) in `lang`, as plain strings."""
    picked: dict = {key: text.pick(lang) for key, text in LABELS.items()}  # type: ignore[arg-type]
    picked["why"] = {key: text.pick(lang) for key, text in WHY.items()}  # type: ignore[arg-type]
    return picked


def _status_words(lang: str) -> dict[str, str]:
    return {key: text.pick(lang) for key, text in STATUS_WORD.items()}  # type: ignore[arg-type]


def _pts(x: float) -> str:
    return f"{x:g}"


def _width(console: Console) -> int:
    return max(40, console.width) if console.is_terminal else 0


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _cells(text))


def _wrapped(console: Console, text: str, indent: str, max_lines: int | None = None) -> list[str]:
    """`text` as lines under `indent`: wrapped at word boundaries on a terminal, one line per
    line of text in a pipe; at most `max_lines` (the last one ends with …)."""
    width = _width(console)
    lines: list[str] = []
    for raw in clean_text(text, 1 << 20).expandtabs(4).splitlines() or [""]:
        if width:
            room = max(20, width - _cells(indent))
            wrapped = Text(raw).wrap(console, room, overflow="fold")
            lines += [indent + str(part).rstrip() for part in wrapped] or [indent]
        else:
            lines.append(indent + raw)
    if max_lines is not None and len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1].rstrip() + " …"
    return lines


def not_started(module: ModuleResult) -> bool:
    """Every item of the module still raises NotImplementedError (a module not begun)."""
    return bool(module.items) and module_status(module) == "not_started"


def module_lines(module: ModuleResult, console: Console, lang: str, *, fold: bool = True,
                 message_lines: int | None = None, output_lines: int = OUTPUT_LINES,
                 max_items: int | None = None) -> list[tuple[str, str]]:
    """The (text, style) lines of one module: header, items, messages, the student's output."""
    labels = _labels(lang)
    words = _status_words(lang)
    head = f"{safe_label(module.name)}: {_pts(module.score)}/{_pts(module.max_score)}"
    full = module.max_score > 0 and module.score >= module.max_score
    if fold and not_started(module):
        text = f"{head} — {labels['not_started'].format(n=len(module.items))}"
        out = [(line, "dim") for line in _wrapped(console, text, "")]
        return out + _output_lines(module, console, lang, output_lines)
    out: list[tuple[str, str]] = [(head, "bold green" if full else "bold")]
    names = [safe_label(i.name) for i in module.items]
    name_width = min(40, max((_cells(n) for n in names), default=0))
    points = [f"{_pts(i.score)}/{_pts(i.max_score)}" for i in module.items]
    points_width = max((len(p) for p in points), default=0)
    items = list(module.items)
    hidden = 0
    if max_items is not None and len(items) > max_items:
        hidden = len(items) - max_items
        items = items[:max_items]
    for index, item in enumerate(items):
        mark = STATUS_MARK.get(item.status, "?")
        word = words.get(item.status, safe_label(item.status))
        text = f"  {mark} {_pad(names[index], name_width)}  {points[index].rjust(points_width)}"
        if item.status != "passed":
            text += f"  {word}"
        out.append((text, STATUS_STYLE.get(item.status, "")))
        following = items[index + 1] if index + 1 < len(items) else None
        # items of one exercise that fail for the same reason share one message, under the last
        message = item.text.pick(lang)  # type: ignore[arg-type]
        if message and item.status != "passed" and not (
                following is not None and following.text == item.text and following.status == item.status):
            out += [(line, "") for line in _wrapped(console, message, INDENT, message_lines)]
    if hidden:
        out.append((f"  {labels['more_items'].format(n=hidden, module=safe_label(module.name))}", "dim"))
    return out + _output_lines(module, console, lang, output_lines)


def _output_lines(module: ModuleResult, console: Console, lang: str, limit: int) -> list[tuple[str, str]]:
    """The tail of what the student's code printed, marked as theirs (nothing when it printed nothing)."""
    text = (module.output or "").strip("\n")
    if not text.strip() or limit <= 0:
        return []
    labels = _labels(lang)
    lines = text.splitlines()
    total = len(lines)
    shown = lines[-limit:]
    while len(shown) > 1 and sum(len(s) + 1 for s in shown) > OUTPUT_CHARS:
        shown = shown[1:]
    width = _width(console)
    room = max(20, width - 4) if width else 0
    cut = []
    for raw in shown:
        raw = raw.expandtabs(4)
        if room and _cells(raw) > room:  # one line of output stays one line
            while _cells(raw) > room - 1:
                raw = raw[:-1]
            raw += "…"
        cut.append(raw)
    what = labels["output_all"].format(n=total) if len(cut) == total else \
        labels["output_tail"].format(n=len(cut), total=total)
    return [(f"  ┆ {labels['output'].format(shown=what)}:", "cyan")] + [(f"  ┆ {raw}", "") for raw in cut]


def _emit(console: Console, lines: Iterable[tuple[str, str]]) -> None:
    for text, style in lines:
        _line(console, text, style if console.is_terminal else "")


def _next_item(report: SubmissionReport) -> tuple[ModuleResult, Any] | None:
    for module in report.modules:
        for item in module.items:
            if item.status != "passed":
                return module, item
    return None


def _next_lines(report: SubmissionReport, console: Console, lang: str, message_lines: int | None = 3,
                hint_text: bool = False, shown: Iterable[str] = ()) -> list[tuple[str, str]]:
    """The next unfinished item, its message (unless its module is `shown` above) and a hint."""
    labels = _labels(lang)
    found = _next_item(report)
    if found is None:
        return []
    module, item = found
    out = [(f"▶ {labels['next']}: {safe_label(module.name)} / {safe_label(item.name)}", "bold")]
    if module.name not in set(shown) or not_started(module):
        out += [(line, "") for line in _wrapped(console, item.text.pick(lang), "  ", message_lines)]  # type: ignore[arg-type]
    if hint_text:
        from .hints import hint

        try:
            _, _exercise, _, _, text = hint(module.name, item.name, level=1, lang=lang)  # type: ignore[arg-type]
        except Exception:
            text = ""
        if text:
            out += [(line, "yellow") for line in _wrapped(console, f"💡 {text}", "  ", 3)]
    out.append(("  " + labels["hint_cmd"].format(module=safe_label(module.name)), "dim"))
    return out


def print_check(report: SubmissionReport, console: Console, lang: str = "ko") -> None:
    """The whole report: every module (not-started ones folded), the total, the next step."""
    labels = _labels(lang)
    _emit(console, [(line, "bold") for line in
                    _wrapped(console, f"torchdojo check — {safe_label(report.submission, 4096)}", "")])
    for module in report.modules:
        _emit(console, module_lines(module, console, lang))
    total = (f"{labels['total']}: {_pts(report.score)}/{_pts(report.max_score)}  "
             f"({labels['device']}: {safe_label(report.device)}, {labels['seed']}: {report.seed})")
    _line(console, total, "bold" if console.is_terminal else "")
    if report.full:
        _line(console, labels["full"])
    else:
        _emit(console, _next_lines(report, console, lang))


def overview_lines(report: SubmissionReport, console: Console, lang: str) -> list[tuple[str, str]]:
    """Every module in a few words: `01 ✔ 15/15  02 3/12 ...  total 18/123`, wrapped."""
    labels = _labels(lang)
    parts = []
    for module in report.modules:
        number = safe_label(module.name).split("_", 1)[0]
        full = module.max_score > 0 and module.score >= module.max_score
        parts.append(f"{number}{' ✔' if full else ''} {_pts(module.score)}/{_pts(module.max_score)}")
    parts[0] = f"{labels['overview']}: {parts[0]}" if parts else f"{labels['overview']}:"
    parts[-1] += " —"
    parts.append(f"{labels['total']} {_pts(report.score)}/{_pts(report.max_score)}")
    width = _width(console)
    lines: list[str] = []
    for part in parts:  # a module's number and points always on one line
        if lines and (not width or _cells(lines[-1]) + 3 + _cells(part) <= width):
            lines[-1] += (" " if part.startswith(labels["total"]) else " · ") + part
        else:
            lines.append(part if not lines else "  " + part)
    return [(line, "") for line in lines]


def print_class(reports: Iterable[SubmissionReport], console: Console, module_names: list[str],
                lang: str | None = None) -> None:
    """The class table: one line per student, a column per module, the total; names and totals
    are never cut (the table is as wide as it needs, in a pipe and on a terminal). Below it,
    why a 0 is a 0 (no file, syntax error, timeout...) and files found one folder too deep."""
    from .i18n import default_lang

    labels = _labels(lang or default_lang())
    reports = list(reports)
    heads = [labels["student"], *[n.split("_", 1)[0] for n in module_names], labels["total"]]
    rows = []
    notes: list[str] = []
    for rep in reports:
        by_name = {m.name: m for m in rep.modules}
        who = safe_label(rep.student or rep.submission)
        cells = [f"{_pts(by_name[n].score)}/{_pts(by_name[n].max_score)}" if n in by_name else "" for n in module_names]
        rows.append([who, *cells, f"{_pts(rep.score)}/{_pts(rep.max_score)}"])
        why = []
        for n in module_names:
            if n in by_name:
                status = module_status(by_name[n])
                if status in labels["why"]:
                    why.append(f"{n.split('_', 1)[0]} {labels['why'][status]}")
        folder = misplaced_files(rep)
        if folder is not None:
            notes.append(labels["misplaced"].format(student=who, folder=safe_label(folder)))
        elif why:
            notes.append(f"{who}: " + ", ".join(why))
    widths = [max(_cells(str(r[c])) for r in [heads, *rows]) for c in range(len(heads))]

    def fmt(row: list[str]) -> str:
        first = _pad(row[0], widths[0])
        rest = [str(cell).rjust(widths[c + 1]) for c, cell in enumerate(row[1:])]
        return "  ".join([first, *rest]).rstrip()

    _line(console, "torchdojo grade", "bold" if console.is_terminal else "")
    _line(console, fmt(heads), "bold" if console.is_terminal else "")
    for row in rows:
        _line(console, fmt(row))
    if notes:
        _line(console, f"{labels['notes']}:")
        for note in notes:
            _emit(console, [(line, "") for line in _wrapped(console, note, "  ")])


def print_progress(data: dict, console: Console, lang: str = "ko") -> None:
    """The `list` view: modules, items with points and status, overall progress."""
    labels = _labels(lang)
    words = _status_words(lang)
    _emit(console, [(line, "bold") for line in
                    _wrapped(console, f"torchdojo list — {safe_label(data['submission'], 4096)}", "")])
    for module in data["modules"]:
        title = module["title"].get(lang) or module["title"].get("en") or ""
        _line(console, f"{safe_label(module['name'])} ({clean_text(title)}): "
                       f"{_pts(module['score'])}/{_pts(module['max_score'])}", "bold" if console.is_terminal else "")
        names = [safe_label(i["name"]) for i in module["items"]]
        name_width = min(40, max((_cells(n) for n in names), default=0))
        for name, item in zip(names, module["items"]):
            status = item["status"]
            mark = STATUS_MARK.get(status, "·")
            word = words.get(status, safe_label(status))
            _line(console, f"  {mark} {_pad(name, name_width)}  {_pts(item['score'])}/{_pts(item['points'])}  {word}",
                  STATUS_STYLE.get(status, "dim") if console.is_terminal else "")
    _line(console, labels["progress"].format(passed=data["items_passed"], items=data["items"],
                                             score=_pts(data["score"]), max=_pts(data["max_score"])))


def print_watch(report: SubmissionReport, regraded: list[str], seconds: float, console: Console,
                lang: str = "ko", height: int | None = None) -> None:
    """Watch mode, one screen: the module just saved (all its items), the next step and its
    hint, one line for every module, and the prompt. Fits `height` lines (default: the
    terminal's, 50 in a pipe); `check` shows the whole report."""
    labels = _labels(lang)
    if console.is_terminal:
        console.clear()
    height = height or (console.height if console.is_terminal else 50)
    by_name = {m.name: m for m in report.modules}
    saved = [by_name[n] for n in regraded if n in by_name]
    if len(saved) > 1:  # the first run (every module): detail only where the work is now
        found = _next_item(report)
        saved = [found[0]] if found else saved[-1:]
    names = ", ".join(safe_label(r) for r in regraded)
    if len(regraded) > 3:
        names = {"ko": f"모듈 {len(regraded)}개 전부", "en": f"all {len(regraded)} modules"}.get(lang, names)
    head = [(line, "bold") for line in
            _wrapped(console, f"── {labels['regraded']}: {names} ({seconds:.1f} s) ──", "")]
    tail = overview_lines(report, console, lang)
    if report.full:
        tail.append((labels["full"], "bold green"))
    tail.append((labels["save"], "dim"))
    room = max(8, height - 1 - len(head) - len(tail))
    detail: list[tuple[str, str]] = []
    nxt: list[tuple[str, str]] = []
    # shrink until it fits: fewer message lines, less output, then no hint text
    for message_lines, output_lines, hint_text in ((3, 8, True), (2, 4, True), (1, 2, True), (1, 0, False)):
        detail = []
        for module in saved:
            detail += module_lines(module, console, lang, message_lines=message_lines, output_lines=output_lines)
        nxt = _next_lines(report, console, lang, message_lines=message_lines, hint_text=hint_text,
                          shown=[m.name for m in saved])
        if len(detail) + len(nxt) <= room:
            break
    if len(detail) + len(nxt) > room:
        keep = max(1, room - len(nxt) - 1)
        detail = detail[:keep] + [("  …", "dim")]
    detail = (detail + nxt)[:room]
    _emit(console, head + detail + tail)
