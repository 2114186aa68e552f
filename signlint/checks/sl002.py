"""SL002: a product of non-negative values overflows int, then is widened."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening
from ..front.source import Source
from ..records import Finding
from .edits import (
    cast_operand,
    expansion_note,
    place,
    same_line_end,
    sink_type_text,
    snippet,
    text_of,
    widened_bits,
)
from .indirect import indirect_findings

CODE = "SL002"
NAME = "promoted-product-overflow"
SUMMARY = "product of non-negative narrow values overflows int, then is widened"
DEFAULT = True


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    for widening in widenings:
        if widening.kind != "sign":
            continue
        for product in widening.origins:
            if product.op != "*" or not product.type.signed or source.is_system(product):
                continue
            left, right = product.children
            sink = widening.sink
            sink_type = sink_type_text(sink, source)
            span = place(product, left, "*", source)
            a, b = analysis.values[id(left)], analysis.values[id(right)]
            message = (f"'{text_of(left, source, 'the left operand')}' (at most {a.hi:#x}) times "
                       f"'{text_of(right, source, 'the right operand')}' (at most {b.hi:#x}) is computed in int "
                       f"and can pass INT_MAX; the product is sign-extended to '{sink_type}' here: the upper "
                       f"{widened_bits(sink) - product.type.bits} bits become ones "
                       f"(and the optimiser may assume the overflow never happens)")
            fix = cast_operand(product, left, sink_type, source, "multiplying", "ULL", late_cast=sink, operator="*")
            yield Finding(CODE, span.begin, same_line_end(span), message, function, fix,
                          expansion_note(span, f"in this expansion the product is widened to '{sink_type}'"),
                          snippet=snippet(product, source))
        yield from indirect_findings(CODE, "*", widening, analysis, source, function)
