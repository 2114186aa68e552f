"""SL005 (opt-in): a shift into the sign bit of an int, without widening."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening
from ..front.ir import Expr
from ..front.source import Source
from ..records import Edit, Finding, Fix
from .edits import cast_operand, expansion_note, place, same_line_end, snippet, text_of

CODE = "SL005"
NAME = "shift-into-sign-bit"
SUMMARY = "left shift sets the sign bit of an int: undefined behaviour, even when the bits are right"
DEFAULT = False


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    widened = {id(o) for w in widenings if w.kind == "sign" for o in w.origins}  # SL001 reports those
    for shift in analysis.sign_shifts:
        if id(shift) in widened or source.is_system(shift):
            continue
        operand, count = shift.children
        span = place(shift, operand, "<<", source)
        message = (f"'{text_of(operand, source, 'the operand')} << {text_of(count, source, 'n')}' can shift a set "
                   f"bit into the sign bit of an int: undefined behaviour in ISO C (-fsanitize=shift reports it), "
                   f"even where the resulting bits are the intended ones")
        yield Finding(CODE, span.begin, same_line_end(span), message, function, _fix(shift, operand, source),
                      expansion_note(span, "in this expansion the shift overflows"), snippet=snippet(shift, source))


def _fix(shift: Expr, operand: Expr, source: Source) -> Fix | None:
    """Shift in unsigned int, and read the bits back as the int the code expects:
    `(int)((unsigned int)b << 24)` keeps every value (and `>> 24`, `< 0` after it)."""
    inner = cast_operand(shift, operand, "unsigned int", source, "shifting", "U", operator="<<")
    span = source.span(shift)
    if inner is None or not inner.applicable or span.in_macro or span.end is None:
        return inner
    edits = (Edit(span.begin.path, span.begin.offset, span.begin.offset, "(int)("), *inner.edits,
             Edit(span.end.path, span.end.offset, span.end.offset, ")"))
    return Fix("shift in unsigned int", edits, source.apply_to(span, list(edits)), applicable=True)
