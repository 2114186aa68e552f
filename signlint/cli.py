"""The `signlint` command's entry point.

`signlint kbuild ...` runs once per source file in a kernel build, so it goes
straight to signlint.kbuild without loading click, the report formats or the
configuration; every other command is the click application in signlint.commands.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["kbuild"]:
        from .run.kbuild import main as kbuild_main

        sys.exit(kbuild_main(args[1:]))
    from .run.commands import main as commands_main

    commands_main(args)


def __getattr__(name: str):
    """signlint.cli.cli, split_extra, ... as before the split (loads click)."""
    if name.startswith("__"):  # the import system probing (__path__, ...): not a reason to load click
        raise AttributeError(name)
    from .run import commands

    try:
        return getattr(commands, name)
    except AttributeError:
        raise AttributeError(f"module 'signlint.cli' has no attribute '{name}'") from None
