"""SL006 (opt-in): a complement computed too narrow, then widened."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening
from ..front.source import Source
from ..records import Finding
from .edits import cast_operand, place, same_line_end, snippet
from .indirect import indirect_findings

CODE = "SL006"
NAME = "narrow-complement-widened"
SUMMARY = "'~' of a 32-bit or promoted narrow value widened: its upper bits are zeros or ones by accident"
DEFAULT = False


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    for widening in widenings:
        for complement in widening.origins:
            if complement.op != "~" or source.is_system(complement):
                continue
            operand = complement.children[0]
            sink = widening.sink
            sink_type = source.type_spelling(sink)
            span = place(complement, operand, None, source)
            name = source.text(operand, as_used=True) or "the operand"  # with its parentheses: ~(m | n)
            extra = sink.type.bits - widening.from_bits
            if widening.kind == "zero":
                message = (f"'~{name}' is computed in {complement.type.bits} bits; widened to '{sink_type}' here "
                           f"its upper {extra} bits are zeros (as an AND mask, it clears them)")
                fix = cast_operand(complement, operand, sink_type, source, "complementing")
            else:
                message = (f"'~{name}' complements a value promoted to int: the int is negative, and widened to "
                           f"'{sink_type}' here its upper {extra} bits are ones")
                fix = None  # which bits were meant is not knowable from the code
            yield Finding(CODE, span.begin, same_line_end(span), message, function, fix, (),
                          snippet=snippet(complement, source))
        if widening.kind == "sign":
            yield from indirect_findings(CODE, "~", widening, analysis, source, function)
