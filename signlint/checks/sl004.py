"""SL004 (opt-in): a 32-bit shift loses bits, then is widened: a u32, or an int of
unknown range shifted by a bounded count (`npages << PAGE_SHIFT`).

A shift put straight under an explicit cast to the wide type, with a count the code
bounds, is SL008's (on by default): the cast shows that the wide value was wanted."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening
from ..front.ir import Expr, Kind
from ..front.source import Source
from ..records import Finding
from .edits import cast_operand, expansion_note, place, same_line_end, snippet, strip, text_of

CODE = "SL004"
NAME = "narrow-shift-widened"
SUMMARY = "32-bit unsigned value shifted left (losing bits), then widened to 64 bits"
DEFAULT = False


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    return narrow_shifts(CODE, widenings, analysis, source, function, late_cast=False)


def narrow_shifts(code: str, widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str,
                  late_cast: bool) -> Iterator[Finding]:
    """The 32-bit unsigned shifts that lose bits and are then widened: those under a
    late cast with a bounded count (late_cast: SL008), or the others (SL004)."""
    for widening in widenings:
        if widening.kind != "zero":
            continue
        for shift in widening.origins:
            if shift.op != "<<" or source.is_system(shift):
                continue
            if is_late_cast(shift, widening.sink, analysis) != late_cast:
                continue
            operand, count = shift.children
            sink = widening.sink
            sink_type = source.type_spelling(sink)
            span = place(shift, operand, "<<", source)
            # An int of unknown range (`npages << PAGE_SHIFT`) overflows: undefined, and its bits go too.
            lost = ("nothing bounds the int, and its bits shifted past bit 31 are lost (undefined behaviour)"
                    if shift.type.signed else f"the bits shifted past bit {shift.type.bits - 1} are lost")
            message = (f"'{text_of(operand, source, 'the operand')} << {text_of(count, source, 'n')}' is computed "
                       f"in {shift.type.bits}-bit '{source.type_spelling(shift)}': {lost} before the value is "
                       f"widened to '{sink_type}' here")
            fix = cast_operand(shift, operand, sink_type, source, "shifting", "ULL", late_cast=sink, operator="<<")
            if late_cast:
                message = message.removesuffix(" here") + " by the cast after the shift, too late"
            yield Finding(code, span.begin, same_line_end(span), message, function, fix,
                          expansion_note(span, f"in this expansion it is widened to '{sink_type}'"),
                          snippet=snippet(shift, source))


def is_late_cast(shift: Expr, sink: Expr, analysis: ValueAnalysis) -> bool:
    """`(u64)(pfn << 12)`: an explicit cast to an unsigned type applied to the shift
    itself, by a count the code bounds (a count nothing bounds stays SL004's
    assumption). A cast to a signed type (`(FT_Pos)(width << 6)`, freetype) may be
    there for the sign, not the width: SL004's too."""
    if not (sink.kind is Kind.CAST and sink.explicit and sink.children) or sink.type.signed:
        return False
    return strip(sink.children[0]) is shift and not shift.type.signed and analysis.count_bounded(shift)
