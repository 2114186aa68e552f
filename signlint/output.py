"""Formatting findings for people (clang-style text) and for programs (JSON)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable

from . import __version__
from .finding import Finding
from .frontend import libclang_version
from .ir import Position


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


def _caret(line: bytes, column: int, end_column: int | None) -> str:
    """A caret under column and tildes up to end_column, tabs kept so it lines up."""
    prefix = "".join("\t" if ch == 9 else " " for ch in line[: column - 1])
    width = max(1, (end_column or column + 1) - column)
    return prefix + "^" + "~" * (width - 1)


def _where(p: Position) -> str:
    return f"{display_path(p.path)}:{p.line}:{p.column}"


def format_text(findings: Iterable[Finding], texts: dict[str, str] | None = None) -> str:
    lines = SourceLines(texts)
    out: list[str] = []
    for f in findings:
        out.append(f"{_where(f.position)}: warning: {f.message} [{f.rule}]")
        source = lines.line(f.position.path, f.position.line)
        if source:
            out.append(source.decode("utf-8", "replace"))
            end = f.end.column if f.end and f.end.line == f.position.line else None
            out.append(_caret(source, f.position.column, end))
        if f.fix:
            shown = f": {f.fix.preview}" if f.fix.preview else ""
            out.append(f"    fix: {f.fix.description}{shown}{fix_mode(f.fix)}")
        for note in f.notes:
            out.append(f"{_where(note.position)}: note: {note.message}")
        out.extend(f"    range: {line}" for line in f.explanation)
    return "\n".join(out) + ("\n" if out else "")


def fix_mode(fix) -> str:
    """How --fix treats a fix, as the text output says it."""
    if not fix.applicable:
        return " (not applied by --fix: edit by hand)"
    return "" if fix.safe else " (unsafe: applied only with --unsafe-fixes)"


def unsafe_available(findings) -> int:
    """The findings whose fix --unsafe-fixes would apply and --fix does not."""
    return sum(1 for f in findings if f.fix and f.fix.applicable and f.fix.edits and not f.fix.safe)


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
    document = {
        "signlint_version": __version__,
        "libclang_version": libclang_version(),
        "findings": [as_dict(f) for f in findings],
    }
    return json.dumps(document, indent=2) + "\n"


def incomplete_summary(with_errors: list[str], not_analysed: list[str], shown: int = 5) -> str:
    """One line naming the TUs whose findings may be missing."""
    def names(paths: list[str]) -> str:
        more = f", and {len(paths) - shown} more" if len(paths) > shown else ""
        return ", ".join(paths[:shown]) + more

    parts = []
    if with_errors:
        parts.append(f"{len(with_errors)} file(s) with parse errors ({names(with_errors)})")
    if not_analysed:
        parts.append(f"{len(not_analysed)} file(s) not analysed ({names(not_analysed)})")
    return "analysis incomplete, findings may be missing: " + "; ".join(parts)
