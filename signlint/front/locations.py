"""Where the expressions of one translation unit are written, and what is written there.

In: ir.Expr trees (their libclang cursors) and function cursors of one parsed
TU. Out: Positions and Spans (spelling, expansion, the end of an expression
spelled in a macro), the text of the files, the spelling of a type, and real
paths of the file names clang reports (relative to its working directory).
"""

from __future__ import annotations

import ctypes
import os

from ..records import Position
from .ir import Expr, Kind, Span
from .libclang import ci, library

# Typedefs clang gives sizeof and pointer differences; gcc does not know them.
_CLANG_ONLY_TYPEDEFS = frozenset({"__size_t", "__signed_size_t", "__ptrdiff_t"})

# Real paths of the file names clang reports, per working directory: a kernel TU
# includes hundreds of headers, mostly the same ones in every TU of a run.
_REAL_PATHS: dict[tuple[str, str], str] = {}


def file_tokens(tu, file_name: str) -> list:
    """The tokens of one file of a parsed TU (a header it includes, say), in order."""
    handle = ci.File.from_name(tu, file_name)
    size = os.path.getsize(file_name)
    extent = ci.SourceRange.from_locations(ci.SourceLocation.from_offset(tu, handle, 0),
                                           ci.SourceLocation.from_offset(tu, handle, size))
    return list(tu.get_tokens(extent=extent))


class Locations:
    """The location and text questions about one TU; cwd is clang's working
    directory, unsaved the files given as text (name -> text) instead of read."""

    def __init__(self, cwd: str, unsaved: dict[str, str] | None = None):
        self._cwd = cwd
        self._file_names: dict[int, str | None] = {}
        self._texts: dict[str, bytes] = {os.path.realpath(k): v.encode() for k, v in (unsaved or {}).items()}

    def real(self, name: str) -> str:
        """The real path of a file name clang reports."""
        key = (self._cwd, name)
        real = _REAL_PATHS.get(key)
        if real is None:
            real = _REAL_PATHS[key] = os.path.realpath(os.path.join(self._cwd, name))
        return real

    def span(self, expr: Expr) -> Span:
        """Where the expression is spelled; see ir.Span."""
        extent = expr.handle.extent
        begin = self._position(extent.start, spelling=True)
        expansion = self._position(extent.start, spelling=False)
        in_macro = (begin.path, begin.offset) != (expansion.path, expansion.offset)
        end: Position | None
        if in_macro:
            end = self._macro_end(expr, begin)
        else:
            end = self._position(extent.end, spelling=False)
            if end.path != begin.path or end.offset < begin.offset:
                end = None
        return Span(begin, end, expansion if in_macro else None)

    def expansion_range(self, expr: Expr) -> tuple[Position, Position]:
        """Where the macro uses that produce the expression begin and end."""
        extent = expr.handle.extent
        return self._position(extent.start, spelling=False), self._position(extent.end, spelling=False)

    def result_type_token(self, scope) -> tuple[Position, Position, str] | None:
        """Where a function's result type is written, as the one or two tokens just
        before its name (`int`, `s32`, `signed int`), and their text; None when
        the declaration is not spelled plainly (a macro, a pointer)."""
        name = scope.location
        tokens = [t for t in scope.get_tokens() if t.location.file and t.location.file.name == name.file.name]
        at = next((i for i, t in enumerate(tokens) if t.location.offset == name.offset), None)
        if not at:
            return None
        first = at - 1
        if tokens[first].spelling == "int" and first > 0 and tokens[first - 1].spelling == "signed":
            first -= 1
        begin = self._position(tokens[first].extent.start, spelling=True)
        end = self._position(tokens[at - 1].extent.end, spelling=True)
        return begin, end, " ".join(t.spelling for t in tokens[first:at])

    def _macro_end(self, expr: Expr, begin: Position) -> Position | None:
        """The end of an expression spelled in a macro, when all of it is spelled in
        one place (else None): follow the last child down to a token, or to a
        parenthesis or call closed on the same logical line."""
        if not begin.path:  # a token pasted by `##` is spelled in clang's scratch buffer, no file
            return None
        text = self.file_bytes(begin.path)
        last = expr
        suffixes: list[Kind] = []  # subscripts (a ']' follows the index) and members (`->name` follows the base)
        while True:
            if last.kind in (Kind.PAREN, Kind.CALL):
                start = self._position(last.handle.extent.start, spelling=True)
                if start.path != begin.path or not one_logical_line(text, begin.offset, start.offset):
                    return None
                end = _closing_paren(text, start.offset, call=last.kind is Kind.CALL)
                break
            if not last.children:
                if last.kind is Kind.OTHER:
                    return None  # a statement expression, say: more than one token, its end unknown
                start = self._position(last.handle.extent.start, spelling=True)
                if start.path != begin.path or not one_logical_line(text, begin.offset, start.offset):
                    return None
                end = start.offset + _token_length(text, start.offset)
                break
            if last.kind in (Kind.SUBSCRIPT, Kind.MEMBER):
                suffixes.append(last.kind)
            last = last.children[-1]
        for kind in reversed(suffixes):
            if end is None:
                break
            while text[end : end + 1] in (b" ", b"\t"):
                end += 1
            if kind is Kind.SUBSCRIPT:
                end = end + 1 if text[end : end + 1] == b"]" else None
                continue
            arrow = 2 if text.startswith(b"->", end) else 1 if text[end : end + 1] == b"." else 0
            if not arrow:
                end = None
                continue
            end += arrow
            while text[end : end + 1] in (b" ", b"\t"):
                end += 1
            length = _token_length(text, end)
            end = end + length if length and (text[end : end + 1].isalpha() or text[end : end + 1] == b"_") else None
        if end is None:
            return None
        return Position(begin.path, start.line, start.column + end - start.offset, end)

    def _position(self, loc, spelling: bool) -> Position:
        lib = library()
        f, line, col, off = ctypes.c_void_p(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        fn = lib.clang_getSpellingLocation if spelling else lib.clang_getFileLocation
        fn(loc, ctypes.byref(f), ctypes.byref(line), ctypes.byref(col), ctypes.byref(off))
        key = f.value or 0
        name = self._file_names.get(key)
        if name is None:
            name = ci._CXString.from_result(lib.clang_getFileName(f)) if f.value else ""
            name = self.real(name) if name else ""
            self._file_names[key] = name
        return Position(name, line.value, col.value, off.value)

    def type_spelling(self, expr: Expr) -> str:
        """The expression's type as written (typedef names kept), without qualifiers;
        a typeof() is spelled as the type it stands for."""
        t = expr.handle.type
        spelling = t.spelling
        if "typeof" in spelling or spelling in _CLANG_ONLY_TYPEDEFS:
            spelling = t.get_canonical().spelling
        for qualifier in ("const ", "volatile "):
            spelling = spelling.replace(qualifier, "")
        return spelling.strip()

    def is_system(self, expr: Expr) -> bool:
        return expr.handle.extent.start.is_in_system_header

    def file_bytes(self, path: str) -> bytes:
        text = self._texts.get(path)
        if text is None:
            with open(path, "rb") as fh:
                text = fh.read()
            self._texts[path] = text
        return text


def _token_length(text: bytes, offset: int) -> int:
    """Length of the C token starting at offset (identifiers, numbers, punctuators)."""
    if offset >= len(text):
        return 0
    first = text[offset : offset + 1]
    end = offset + 1
    if first.isalnum() or first == b"_":
        while end < len(text) and (text[end : end + 1].isalnum() or text[end : end + 1] in (b"_", b".")):
            end += 1
        return end - offset
    for punct in (b"<<=", b">>=", b"...", b"->", b"++", b"--", b"<<", b">>", b"<=", b">=", b"==", b"!=",
                  b"&&", b"||", b"*=", b"/=", b"%=", b"+=", b"-=", b"&=", b"^=", b"|=", b"##"):
        if text.startswith(punct, offset):
            return len(punct)
    return 1


def _closing_paren(text: bytes, offset: int, call: bool) -> int | None:
    """Offset just past the ')' matching the '(' at offset (after a name, for a
    call), within one logical line (a macro body); None if it is not there."""
    i = offset
    if call:
        i += _token_length(text, i)
        while i < len(text) and text[i : i + 1] in (b" ", b"\t"):
            i += 1
    if text[i : i + 1] != b"(":
        return None
    depth = 0
    while i < len(text):
        ch = text[i : i + 1]
        if ch == b"\n" and text[i - 1 : i] != b"\\":
            return None
        if ch == b"(":
            depth += 1
        elif ch == b")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def one_logical_line(text: bytes, start: int, end: int) -> bool:
    """Is text[start:end] in order and on one logical line (a macro body goes on
    over backslash-newlines)?"""
    return start <= end and b"\n" not in text[start:end].replace(b"\\\n", b"")
