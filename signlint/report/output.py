"""Formatting findings for people (clang-style text) and for programs (JSON)."""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterable

from .. import __version__
from ..records import Finding, Position


def display_path(path: str) -> str:
    """Relative to the working folder when the file is under it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


class SourceLines:
    """Reads source lines on demand, once per file."""

    def __init__(self, texts: dict[str, str] | None = None) -> None:
        """texts: {real path: text} shown instead of the file (--staged)."""
        self._files: dict[str, list[bytes]] = {
            path: text.encode("utf-8").split(b"\n") for path, text in (texts or {}).items()}

    def line(self, path: str, number: int) -> bytes:
        lines = self._files.get(path)
        if lines is None and self._files:
            lines = self._files.get(os.path.realpath(path))
        if lines is None:
            try:
                with open(path, "rb") as fh:
                    lines = fh.read().split(b"\n")
            except OSError:
                lines = []
            self._files[path] = lines
        return lines[number - 1].rstrip(b"\r") if 0 < number <= len(lines) else b""


QUOTE_LIMIT = 200  # bytes of a source line quoted whole; a longer one (a generated table) is cut
QUOTE_CONTEXT = 60  # bytes kept on each side of the finding in a cut line


def _quoted(line: bytes, column: int, end_column: int | None) -> tuple[bytes, int, int | None]:
    """The part of the line to quote, and the columns in it: all of it, or for a long
    line the finding and QUOTE_CONTEXT bytes around it, '...' marking what was cut."""
    if len(line) <= QUOTE_LIMIT:
        return line, column, end_column
    start = max(0, column - 1 - QUOTE_CONTEXT)
    stop = min(len(line), max(column, (end_column or column + 1) - 1) + QUOTE_CONTEXT, start + QUOTE_LIMIT)
    while start > 0 and 0x80 <= line[start] < 0xC0:  # not inside a UTF-8 character
        start -= 1
    while stop < len(line) and 0x80 <= line[stop] < 0xC0:
        stop += 1
    head, tail = b"..." if start else b"", b"..." if stop < len(line) else b""
    shift = len(head) - start
    end = None if end_column is None else min(end_column, stop + 1) + shift
    return head + line[start:stop] + tail, column + shift, end


def _caret(line: bytes, column: int, end_column: int | None) -> str:
    """A caret under column and tildes up to end_column (libclang's columns count
    bytes), tabs kept and characters counted as the terminal shows them, so that it
    lines up after 'é' or '名' too."""
    prefix = "".join("\t" if ch == "\t" else " " * _cells(ch)
                     for ch in line[: column - 1].decode("utf-8", "replace"))
    span = line[column - 1 : (end_column or column + 1) - 1].decode("utf-8", "replace")
    width = max(1, sum(_cells(ch) for ch in span))
    return prefix + "^" + "~" * (width - 1)


def _cells(ch: str) -> int:
    """Terminal columns of a character: 2 for wide East Asian ones, 0 for combining marks."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _where(p: Position) -> str:
    return f"{display_path(p.path)}:{p.line}:{p.column}"


COLOR_MODES = ("auto", "always", "never")
# clang's colours: bold locations, bold magenta warnings, bold black notes, green carets.
_BOLD, _MAGENTA, _GREY, _GREEN, _RESET = "\033[1m", "\033[1;35m", "\033[1;30m", "\033[1;32m", "\033[0m"


def use_color(mode: str, stream, environ) -> bool:
    """--color: always, never, or (auto) on a terminal unless NO_COLOR is set
    (no-color.org: any non-empty value) or TERM is dumb."""
    if mode != "auto":
        return mode == "always"
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def format_text(findings: Iterable[Finding], texts: dict[str, str] | None = None, color: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines = SourceLines(texts)
    out: list[str] = []
    for f in findings:
        out.append(f"{paint(_BOLD, _where(f.position) + ':')} {paint(_MAGENTA, 'warning:')} "
                   f"{paint(_BOLD, f'{f.message} [{f.rule}]')}")
        source = lines.line(f.position.path, f.position.line)
        if source:
            end = f.end.column if f.end and f.end.line == f.position.line else None
            shown, column, end = _quoted(source, f.position.column, end)
            out.append(shown.decode("utf-8", "replace"))
            out.append(paint(_GREEN, _caret(shown, column, end)))
        if f.fix:
            shown = f": {f.fix.preview}" if f.fix.preview else ""
            out.append(f"    fix: {f.fix.description}{shown}{fix_mode(f.fix)}")
        for note in f.notes:
            out.append(f"{paint(_BOLD, _where(note.position) + ':')} {paint(_GREY, 'note:')} {note.message}")
        out.extend(f"    range: {line}" for line in f.explanation)
    return "\n".join(out) + ("\n" if out else "")


def fix_mode(fix) -> str:
    """How --fix treats a fix, as the text output says it."""
    if not fix.applicable:
        return " (not applied by --fix: edit by hand)"
    return "" if fix.safe else " (unsafe: applied only with --unsafe-fixes)"


def footer(findings: list[Finding], unsafe_fixes: bool) -> str:
    """The text report's last line: how many findings, how many --fix would fix,
    and how many more --unsafe-fixes would (unless it is on already)."""
    applicable = [f for f in findings if f.fix and f.fix.applicable and f.fix.edits]
    safe = sum(1 for f in applicable if f.fix.safe)
    unsafe = len(applicable) - safe
    text = f"Found {len(findings)} finding(s); {safe + unsafe if unsafe_fixes else safe} fixable with --fix"
    if unsafe and not unsafe_fixes:
        text += (f", {unsafe} more with --fix --unsafe-fixes (they change a declaration's type or read a "
                 "stored int as unsigned: review them)")
    return text + ".\n"


def as_dict(f: Finding) -> dict:
    return {
        "rule": f.rule,
        "path": display_path(f.position.path),
        "line": f.position.line,
        "column": f.position.column,
        "end_line": f.end.line if f.end else None,
        "end_column": f.end.column if f.end else None,
        "message": f.message,
        "function": f.function,
        "snippet": f.snippet,
        "fix": None if f.fix is None else {
            "description": f.fix.description,
            "preview": f.fix.preview,
            "applicable": f.fix.applicable,
            "safe": f.fix.safe,
            "edits": [{"path": display_path(e.path), "start_offset": e.start, "end_offset": e.end, "text": e.text}
                      for e in f.fix.edits],
        },
        "notes": [{"path": display_path(n.position.path), "line": n.position.line, "column": n.position.column,
                   "message": n.message} for n in f.notes],
        **({"explanation": list(f.explanation)} if f.explanation else {}),
    }


def format_json(findings: Iterable[Finding]) -> str:
    from ..front.libclang import libclang_version  # here: text output (kbuild mode) loads no libclang

    document = {
        "signlint_version": __version__,
        "libclang_version": libclang_version(),
        "findings": [as_dict(f) for f in findings],
    }
    return json.dumps(document, indent=2) + "\n"


def _listed(items: list[str], shown: int = 5) -> str:
    """The first `shown` items, and how many more."""
    more = f", and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def too_deep_warning(places: list[str]) -> str:
    """The warning for the expressions of one TU left out as nested too deeply ('path:line')."""
    return f"{_listed(places)}: not analysed: nested too deeply for signlint's walk (the rest of the file was analysed)"


def incomplete_summary(with_errors: list[str], not_analysed: list[str], partly_analysed: list[str] = (),
                       shown: int = 5) -> str:
    """One line naming the TUs whose findings may be missing."""
    parts = [f"{len(paths)} file(s) {how} ({_listed(paths, shown)})"
             for paths, how in ((with_errors, "with parse errors"), (not_analysed, "not analysed"),
                                (partly_analysed, "partly analysed")) if paths]
    return "analysis incomplete, findings may be missing: " + "; ".join(parts)
