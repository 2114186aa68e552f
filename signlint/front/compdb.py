"""Compiler flags for each file: from compile_commands.json, cleaned for clang.

A database entry is `{"directory", "file", "arguments" | "command"}`. The
compiler, the output and dependency-file options and the source itself are
dropped; GCC-only flags that make clang report errors are removed (the kernel's
build uses several); and the entry's directory becomes clang's working directory
so relative -I paths resolve as they did for the build.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
from dataclasses import dataclass

DATABASE_NAME = "compile_commands.json"


class DatabaseError(Exception):
    pass


# Flags clang rejects or turns into errors. Exact names, then prefixes.
_GCC_ONLY = frozenset({
    "-mindirect-branch-register", "-fno-allow-store-data-races", "-fconserve-stack",
    "-fno-var-tracking-assignments", "-mno-fp-ret-in-387", "-mskip-rax-setup", "-fno-ipa-sra",
    "-mrecord-mcount", "-fno-tree-loop-im", "-fno-inline-functions-called-once", "-Werror",
    "-fsanitize=bounds-strict", "-fno-stack-clash-protection", "-mno-80387", "-fdiagnostics-show-context",
})
_GCC_ONLY_PREFIXES = (
    "-mpreferred-stack-boundary=", "-mindirect-branch=", "-mfunction-return=", "-falign-jumps=",
    "-falign-loops=", "-fmin-function-alignment=", "-Werror=", "-fplugin", "--param", "-fpatchable-function-entry",
    "-mharden-sls=", "-fzero-call-used-regs=", "-Wp,", "-fmacro-prefix-map=", "-fstack-protector-guard-reg=",
    "-fstack-protector-guard-symbol=", "-mtune=", "-fdiagnostics-color",
)
# Options whose value is the next argument and that only concern outputs.
_DROP_WITH_VALUE = frozenset({"-o", "-MF", "-MT", "-MQ", "-MJ"})
_DROP = frozenset({"-c", "-S", "-E", "-M", "-MM", "-MD", "-MMD", "-MP", "-pipe", "-save-temps"})
# Options whose value is the next argument (kept together).
_WITH_VALUE = frozenset({"-I", "-D", "-U", "-include", "-imacros", "-isystem", "-iquote", "-idirafter",
                          "-x", "-target", "--target", "-arch", "-isysroot", "--sysroot", "-imultilib"})


@dataclass(frozen=True, slots=True)
class Command:
    file: str  # absolute, real path
    directory: str
    args: tuple[str, ...]  # cleaned arguments for clang, without the file


def clean_arguments(argv: list[str], source: str | None = None, directory: str = ".") -> list[str]:
    """Keep what matters for parsing; drop the compiler, outputs, the source file
    (relative to directory) and the flags clang cannot take. argv[0] is the compiler."""
    out: list[str] = []
    skip = False
    source_real = os.path.realpath(source) if source else None
    for i, arg in enumerate(argv[1:], 1):
        if skip:
            skip = False
            continue
        if arg in _DROP_WITH_VALUE:
            skip = True
            continue
        if arg in _DROP or arg in _GCC_ONLY or arg.startswith(_GCC_ONLY_PREFIXES):
            continue
        if arg.startswith("-W") and not arg.startswith("-Wno-error"):
            continue  # warnings do not change the AST; GCC-only ones make clang complain
        if arg.startswith("-o") and len(arg) > 2 and not arg.startswith("-ob"):
            continue
        if not arg.startswith("-") and source_real and os.path.realpath(os.path.join(directory, arg)) == source_real:
            continue
        out.append(arg)
        if arg in _WITH_VALUE and i + 1 < len(argv):
            out.append(argv[i + 1])
            skip = True
    return out


def clean_flags(flags: list[str]) -> list[str]:
    """Clean flags given without a compiler in front (from the command line)."""
    return clean_arguments(["cc", *flags])


def load(path: str) -> dict[str, Command]:
    """Read a database; maps each file's real path to its command."""
    if os.path.isdir(path):
        path = os.path.join(path, DATABASE_NAME)
    try:
        with open(path, encoding="utf-8") as fh:
            entries = json.load(fh)
    except OSError as exc:
        raise DatabaseError(f"cannot read compile database {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise DatabaseError(f"compile database {path} is not valid JSON: {exc}") from None
    if not isinstance(entries, list):
        raise DatabaseError(f"compile database {path} is not a list of entries")
    commands: dict[str, Command] = {}
    for n, entry in enumerate(entries):
        try:
            directory = entry["directory"]
            file = os.path.join(directory, entry["file"])
            argv = entry["arguments"] if "arguments" in entry else split_command(entry["command"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DatabaseError(f"compile database {path}: entry {n} is malformed ({exc})") from None
        real = os.path.realpath(file)
        commands[real] = Command(real, directory, tuple(clean_arguments(argv, file, directory)))
    return commands


_WORD = re.compile(r"""(?:[^\s'"\\]+|'[^']*'|"(?:[^"\\]|\\.)*"|\\.)+""", re.S)
_PART = re.compile(r"""[^'"\\]+|'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)""", re.S)
_DOUBLE_QUOTED_ESCAPE = re.compile(r'\\([\\"])')  # as shlex: only \\ and \" inside "..."


def split_command(command: str) -> list[str]:
    """shlex.split() for a compile command, five times faster (a kernel database has
    tens of thousands of entries): words of plain, 'single-' and "double-quoted"
    parts and backslash escapes; anything else (an unclosed quote) goes to shlex."""
    words: list[str] = []
    end = 0
    for match in _WORD.finditer(command):
        if command[end : match.start()].strip():
            return shlex.split(command)
        end = match.end()
        parts = []
        for part in _PART.finditer(match.group(0)):
            single, double, escaped = part.groups()
            if single is not None:
                parts.append(single)
            elif double is not None:
                parts.append(_DOUBLE_QUOTED_ESCAPE.sub(r"\1", double))
            elif escaped is not None:
                parts.append(escaped)
            else:
                parts.append(part.group(0))
        words.append("".join(parts))
    if command[end:].strip():
        return shlex.split(command)
    return words


# Where build systems put the database, in the order they are tried in each folder
# (CMake's and Meson's usual build folders; CLion's cmake-build-*; Chromium's out/).
BUILD_FOLDERS = ("build", "builddir", "_build", "out")
BUILD_FOLDER_GLOBS = ("cmake-build-*", "build*")
SEARCHED = f"{DATABASE_NAME} in each folder upward, or in " + ", ".join(
    f"{name}/" for name in (*BUILD_FOLDERS, *BUILD_FOLDER_GLOBS))


def find_database(start: str) -> str | None:
    """compile_commands.json in start's folder or above, or in a build folder there
    (BUILD_FOLDERS, then the newest of BUILD_FOLDER_GLOBS)."""
    folder = os.path.abspath(start if os.path.isdir(start) else os.path.dirname(start) or ".")
    while True:
        found = _database_in(folder)
        if found:
            return found
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _database_in(folder: str) -> str | None:
    for name in ("", *BUILD_FOLDERS):
        candidate = os.path.join(folder, name, DATABASE_NAME)
        if os.path.isfile(candidate):
            return candidate
    globbed = {path for pattern in BUILD_FOLDER_GLOBS
               for path in glob.glob(os.path.join(glob.escape(folder), pattern, DATABASE_NAME))}
    if not globbed:
        return None
    # Several configurations (cmake-build-debug, -release): the one built last.
    return max(globbed, key=lambda path: (os.stat(path).st_mtime_ns, path))


def nearest(commands: dict[str, Command], path: str) -> Command | None:
    """For a file the database does not list (a header): the entry of the file
    nearest to it in the tree, whose include paths most likely fit (as clangd does)."""
    best, best_depth = None, -1
    folder = os.path.dirname(path)
    for command in commands.values():
        depth = len(os.path.commonpath([folder, os.path.dirname(command.file)]))
        if depth > best_depth or depth == best_depth and command.file < best.file:
            best, best_depth = command, depth
    return best


# signlint reads clang's errors only: -w spares clang the warnings (about 5% of a
# kernel TU's parse) and the diagnostics signlint would skip over.
PARSE_FLAGS = ("-w",)


def parse_arguments(command: Command | None, extra: list[str]) -> list[str]:
    """The clang arguments for one file: its database flags, then the user's."""
    args: list[str] = []
    if command is not None:
        args += ["-working-directory", command.directory, *command.args]
    return args + clean_flags(extra) + list(PARSE_FLAGS)
