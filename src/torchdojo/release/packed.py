"""Run a `torchdojo` command against a graders pack: ``python -m torchdojo.release.packed``.

    python -m torchdojo.release.packed [--pack FILE] check exercises [--json] [--module 01] ...

The pack (default: $TORCHDOJO_PACK, else ``.torchdojo/graders.pack`` or
``torchdojo_graders.pack`` in this folder or a parent) is unpacked into a private temporary
folder, TORCHDOJO_HOME points at it, the ordinary ``torchdojo`` command runs, and the folder
is removed. The student bundle's ``make check`` and the nbgrader test cells use it; the
sandbox hides TORCHDOJO_HOME's graders/ and reference/ from the student's code as usual.
"""

from __future__ import annotations

import sys
from typing import Sequence

from ..errors import TorchdojoError


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    pack_arg = None
    if args and args[0] == "--pack":
        if len(args) < 2:
            print("Error: --pack needs a file", file=sys.stderr)
            return 2
        pack_arg, args = args[1], args[2:]
    elif args and args[0].startswith("--pack="):
        pack_arg, args = args[0].split("=", 1)[1], args[1:]
    from .pack import find_pack, home_env

    try:
        pack = find_pack(pack_arg)
        with home_env(pack):
            from ..cli import main as cli_main

            try:
                cli_main.main(args=args or ["check"], prog_name="torchdojo", standalone_mode=True)
            except SystemExit as exc:  # click ends with SystemExit; keep its code, clean up first
                code = exc.code
                return code if isinstance(code, int) else (0 if code is None else 1)
            return 0
    except TorchdojoError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
