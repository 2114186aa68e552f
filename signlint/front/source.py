"""Source text around the expressions of one translation unit: spans (from the
front end), the text they cover, and how that text reads after edits."""

from __future__ import annotations

from ..records import Edit, Position
from .ir import Expr, Span
from .locations import one_logical_line
from .translation_unit import TranslationUnit


class Source:
    def __init__(self, tu: TranslationUnit):
        self.locations = tu.locations
        self._spans: dict[int, tuple[Expr, Span]] = {}  # keeps e alive so its id stays unique

    def span(self, e: Expr) -> Span:
        found = self._spans.get(id(e))
        if found is None:
            found = self._spans[id(e)] = (e, self.locations.span(e))
        return found[1]

    def type_spelling(self, e: Expr) -> str:
        return self.locations.type_spelling(e)

    def is_system(self, e: Expr) -> bool:
        return self.locations.is_system(e)

    def result_type_token(self, scope) -> tuple[Position, Position, str] | None:
        return self.locations.result_type_token(scope)

    def text(self, e: Expr, as_used: bool = False) -> str | None:
        """The expression as written, when it is written in one piece, on one line
        (white space folded: it is quoted in messages); with as_used, one assembled
        by macros is shown as the macros are used (`readw(p)`)."""
        found = self._written(e, as_used)
        if found is None:
            return None
        data, start, end, _ = found
        return " ".join(data[start:end].decode("utf-8", "replace").split())

    def quoted_as_macro_use(self, e: Expr) -> bool:
        """Does text(e, as_used=True) quote the whole macro use e sits in, not e
        itself (`CACHE_EXT(ext)` for its `s[0]`)?"""
        found = self._written(e, True)
        return found is not None and found[3]

    def _written(self, e: Expr, as_used: bool) -> tuple[bytes, int, int, bool] | None:
        """The file's bytes, where e's text starts and ends there, and whether the
        start was moved back to the macro use e's text begins inside."""
        span = self.span(e)
        begin, end = span.begin, span.end
        if end is None and span.in_macro and as_used:
            begin, end = self.locations.expansion_range(e)
            if not self.spelled_together(begin, end):
                return None
        if end is None or not begin.path:
            return None
        data = self.locations.file_bytes(begin.path)
        start = _macro_use_start(data, begin.offset, end.offset) if as_used else begin.offset
        return data, start, end.offset, start != begin.offset

    def apply_to(self, span: Span, edits: list[Edit]) -> str:
        """The text of span with the edits that fall inside it applied ('' if unknown)."""
        if span.end is None or not span.begin.path:
            return ""
        lo, hi = span.begin.offset, span.end.offset
        data = self.locations.file_bytes(span.begin.path)
        out, cursor = [], lo
        for edit in sorted(edits, key=lambda ed: (ed.start, ed.end)):
            if edit.path != span.begin.path or edit.start < lo or edit.end > hi:
                return ""
            out.append(data[cursor : edit.start].decode("utf-8", "replace"))
            out.append(edit.text)
            cursor = edit.end
        out.append(data[cursor:hi].decode("utf-8", "replace"))
        return "".join(out)

    def spelled_together(self, first: Position, last: Position) -> bool:
        """Are both written in one place: the same file, in order, on one logical
        line (a macro body continues over backslash-newlines)?"""
        if not first.path or first.path != last.path:
            return False
        return one_logical_line(self.locations.file_bytes(first.path), first.offset, last.offset)

    def operator_follows(self, span: Span, operator: str) -> bool:
        """Is the operand spelled in one piece and followed by operator there (so
        the operation is written in that place, a macro body say)?"""
        if span.end is None or not span.begin.path:
            return False
        rest = self.locations.file_bytes(span.begin.path)[span.end.offset : span.end.offset + 200]
        return rest.replace(b"\\\n", b" ").lstrip(b" \t").startswith(operator.encode())


def _macro_use_start(data: bytes, start: int, end: int) -> int:
    """Where a quoted expression starts, moved back over a macro's name and '(' when the
    expression begins in the macro's argument and ends in its body: `s[0]` of
    `CACHE_EXT(ext)` spans `ext)`, and is quoted as the whole use."""
    depth = 0
    for byte in data[start:end]:
        depth += {40: 1, 41: -1}.get(byte, 0)  # '(' and ')'
    at = start
    while depth < 0 and at > 0:
        at -= 1
        depth += {40: 1, 41: -1}.get(data[at], 0)
    if at == start:
        return start
    name = at
    while name > 0 and (chr(data[name - 1]).isalnum() or data[name - 1] == 95):  # '_'
        name -= 1
    return name
