"""What every command group shares: errors in the reader's language, exit status 2 for bad input.

- library errors (`TorchdojoError`) become 'Error: ...' ('오류: ...' in Korean) on stderr and
  exit status 2, never a traceback;
- Click's own usage errors ("Error: No such option", "Missing argument", ...) and "Aborted!"
  are shown in Korean when the language is Korean (`--lang ko` on the command line, else
  TORCHDOJO_LANG, else the locale, else Korean), by `LocalizedGroup`, the `torchdojo` group's class.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

import click

from .errors import TorchdojoError
from .i18n import Text


def _lang_from_args(args: Sequence[str] | None) -> str:
    from .i18n import default_lang

    args = list(sys.argv[1:] if args is None else args)
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args) and args[index + 1] in ("ko", "en"):
            return args[index + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in ("ko", "en"):
            return arg.split("=", 1)[1]
    return default_lang()


ERROR_WORD = Text(ko="오류", en="Error")
ABORTED = Text(ko="중단했습니다!", en="Aborted!")

# Click's messages (click 8) and their Korean; the names and values inside stay as they are.
_CLICK_KO: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^No such option:? '?(.+?)'?\.?(?: Did you mean (.+?)\?)?$", re.S),
     lambda m: f"그런 옵션이 없습니다: {m.group(1)}" + (f" ({m.group(2)}을(를) 쓰려던 건가요?)" if m.group(2) else "")),
    (re.compile(r"^No such command '(.+?)'\.(?: Did you mean '?(.+?)'?\?)?$"),
     lambda m: f"그런 명령이 없습니다: '{m.group(1)}'" + (f" ('{m.group(2)}'을(를) 쓰려던 건가요?)" if m.group(2) else "")),
    (re.compile(r"^Missing argument '(.+)'\.$"), lambda m: f"인자 '{m.group(1)}'이(가) 빠졌습니다"),
    (re.compile(r"^Missing option '(.+)'\.$"), lambda m: f"옵션 '{m.group(1)}'이(가) 빠졌습니다"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), lambda m: f"옵션 '{m.group(1)}'에는 값이 필요합니다"),
    (re.compile(r"^Option '(.+)' requires (\d+) arguments\.$"),
     lambda m: f"옵션 '{m.group(1)}'에는 값이 {m.group(2)}개 필요합니다"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), lambda m: f"예상하지 못한 인자가 더 있습니다: {m.group(1)}"),
    (re.compile(r"^Invalid value for (.+?): (.+?) is not one of (.+)\.$", re.S),
     lambda m: f"{m.group(1)}의 값이 올바르지 않습니다: {m.group(2)}은(는) {m.group(3)} 중 하나가 아닙니다"),
    (re.compile(r"^Invalid value for (.+?): (.+?) is not a valid integer( range)?\.$", re.S),
     lambda m: f"{m.group(1)}의 값이 올바르지 않습니다: {m.group(2)}은(는) 정수가 아닙니다"),
    (re.compile(r"^Invalid value for (.+?): (.+?) is not in the range (.+)\.$", re.S),
     lambda m: f"{m.group(1)}의 값이 올바르지 않습니다: {m.group(2)}은(는) {m.group(3)} 범위가 아닙니다"),
    (re.compile(r"^Invalid value for (.+?): (?:File|Directory|Path) (.+?) does not exist\.$", re.S),
     lambda m: f"{m.group(1)}의 값이 올바르지 않습니다: {m.group(2)}이(가) 없습니다"),
    (re.compile(r"^Invalid value for (.+?): (.+)$", re.S), lambda m: f"{m.group(1)}의 값이 올바르지 않습니다: {m.group(2)}"),
]


def click_message_ko(text: str) -> str:
    """Click's English message in Korean (unchanged when it is not one Click writes)."""
    for pattern, make in _CLICK_KO:
        match = pattern.match(text.strip())
        if match:
            return make(match)
    return text


def show_click_error(exc: click.ClickException, lang: str) -> None:
    """What `exc.show()` prints, in `lang`."""
    if lang != "ko":
        exc.show()
        return
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click.UsageError) and ctx is not None:
        click.echo(ctx.get_usage().replace("Usage:", "사용법:", 1), err=True)
        if ctx.command.get_help_option(ctx) is not None:
            click.echo(f"도움말: '{ctx.command_path} {ctx.help_option_names[0]}'", err=True)
        click.echo("", err=True)
    click.echo(f"{ERROR_WORD.ko}: {click_message_ko(exc.format_message())}", err=True)


class LocalizedGroup(click.Group):
    """A Click group whose own messages (usage errors, "Aborted!") follow the reader's language."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        lang = _lang_from_args(args)
        try:
            value = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as exc:
            show_click_error(exc, lang)
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt, EOFError):
            click.echo(ABORTED.pick(lang), err=True)
            sys.exit(1)
        # a command's return value is not an exit status (as in Click's standalone mode); ctx.exit(N) is
        sys.exit(value if isinstance(value, int) and not isinstance(value, bool) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        super().invoke(ctx)
        return None


def library_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into 'Error: ...' ('오류: ...') on stderr and exit status 2, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TorchdojoError as exc:
            lang = kwargs.get("lang") if kwargs.get("lang") in ("ko", "en") else _lang_from_args(None)
            click.echo(f"{ERROR_WORD.pick(lang)}: {exc}", err=True)
            sys.exit(2)

    return wrapper


def class_export_options(command: Callable) -> Callable:
    """The class exports `grade` and `report` share: JUnit XML, Canvas CSV, per-student feedback."""
    options = [
        click.option("--junitxml", "junit_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="Write JUnit XML (a suite per student, a case per item) for CI dashboards."),
        click.option("--canvas", "canvas_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="Write a Canvas gradebook CSV (needs --roster)."),
        click.option("--roster", "roster_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help="CSV mapping folders to Canvas: folder,student,id,sis_user_id,sis_login_id,section."),
        click.option("--assignment", default="torchdojo", show_default=True,
                     help="Canvas assignment name; NAME (ID) updates that assignment."),
        click.option("--feedback", "feedback_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="Write one Markdown file per student (items, points, messages) into this folder."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
