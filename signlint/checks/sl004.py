"""SL004 (opt-in): a 32-bit unsigned shift loses bits, then is widened."""

from __future__ import annotations

from collections.abc import Iterator

from ..finding import Finding
from ..source import Source
from ..values import ValueAnalysis, Widening
from .edits import cast_operand, expansion_note, place, same_line_end, snippet, text_of

CODE = "SL004"
NAME = "narrow-shift-widened"
SUMMARY = "32-bit unsigned value shifted left (losing bits), then widened to 64 bits"
DEFAULT = False


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    for widening in widenings:
        if widening.kind != "zero":
            continue
        for shift in widening.origins:
            if shift.op != "<<" or source.is_system(shift):
                continue
            operand, count = shift.children
            sink = widening.sink
            sink_type = source.type_spelling(sink)
            span = place(shift, operand, "<<", source)
            message = (f"'{text_of(operand, source, 'the operand')} << {text_of(count, source, 'n')}' is computed "
                       f"in {shift.type.bits}-bit '{source.type_spelling(shift)}': the bits shifted past bit "
                       f"{shift.type.bits - 1} are lost before the value is widened to '{sink_type}' here")
            fix = cast_operand(shift, operand, sink_type, source, "shifting", "ULL", late_cast=sink, operator="<<")
            yield Finding(CODE, span.begin, same_line_end(span), message, function, fix,
                          expansion_note(span, f"in this expansion it is widened to '{sink_type}'"),
                          snippet=snippet(shift, source))
