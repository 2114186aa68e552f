"""SL001: a promoted narrow value shifted into bit 31, then sign-extended.

What to match comes from values.ValueAnalysis: every observable widening of an int
that only a left shift can have made negative. This module says what to report
and how to fix it: cast the shifted operand to the sink's type before the shift
(or give a literal a ULL suffix), and for a late cast, move the cast there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..analysis.values import Value, ValueAnalysis, Widening, shift_counts
from ..front.ir import Expr, Kind, Span
from ..front.source import Source
from ..records import Finding, Fix, Note
from .edits import cast_operand, strip
from .indirect import indirect_findings

CODE = "SL001"
NAME = "promoted-shift-sign-extension"
SUMMARY = "narrow unsigned value promoted to int, shifted into bit 31, then sign-extended"
DEFAULT = True

def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    return sign_extended_shifts(CODE, widenings, analysis, source, function, unbounded=False)


def sign_extended_shifts(code: str, widenings: list[Widening], analysis: ValueAnalysis, source: Source,
                         function: str, unbounded: bool) -> Iterator[Finding]:
    """The sign-extended shifts whose count the code bounds (SL001), or whose count
    nothing bounds (unbounded: SL007), here or in a helper."""
    for widening in widenings:
        if widening.kind != "sign":
            continue
        for shift in sorted(widening.origins, key=lambda s: source.span(s).begin.offset):
            if (shift.op == "<<" and shift.type.signed and not source.is_system(shift)
                    and analysis.count_bounded(shift) != unbounded):
                yield _finding(code, shift, widening, analysis, source, function)
        yield from indirect_findings(code, "<<", widening, analysis, source, function, unbounded)


def _finding(code: str, shift: Expr, widening: Widening, analysis: ValueAnalysis, source: Source,
             function: str) -> Finding:
    operand, count = shift.children
    sink = widening.sink
    # An offset added to a pointer is widened to the pointer's size: an unsigned
    # long on every Linux target.
    sink_type = "unsigned long" if _is_pointer_offset(sink) else source.type_spelling(sink)
    operand_value = analysis.values[id(operand)]
    count_value = analysis.values[id(count)]
    span = _where(shift, operand, source)
    operand_text = source.text(strip(operand), as_used=True) or ""
    if operand_text and operand_text == source.text(shift, as_used=True):  # a macro use spells it all: GET(p)
        operand_text = ""
    count_text = _count_text(count, count_value, shift, source)
    message = _message(shift, operand, operand_text, count_text, operand_value, count_value, sink, sink_type, source)
    if not analysis.count_bounded(shift):
        message += f" (nothing in this function bounds the count '{count_text}'{_reaches(shift, operand_value)})"
    notes = []
    if span.in_macro and span.expansion != span.begin:
        notes.append(Note(span.expansion, f"in this expansion the int is sign-extended to '{sink_type}'"))
    else:
        sink_span = source.span(sink)
        if not sink_span.in_macro and sink_span.begin.line != span.begin.line:
            notes.append(Note(sink_span.begin, f"sign-extended to '{sink_type}' here"))
    end = span.end if span.end and span.end.line == span.begin.line else None
    snippet = source.text(shift, as_used=True) or f"{operand_text} << {count_text}"
    return Finding(code, span.begin, end, message, function, _fix(shift, operand, sink, sink_type, source),
                   tuple(notes), snippet=snippet)


def _reaches(shift: Expr, operand_value: Value) -> str:
    """From which count the shifted value can reach the sign bit."""
    if operand_value.hi is None or operand_value.hi <= 0:
        return ""
    first = shift.type.bits - operand_value.hi.bit_length()
    return f": from {first} on, bit {shift.type.bits - 1} is set"


def _count_text(count: Expr, value: Value, shift: Expr, source: Source) -> str:
    """The shift count as written if it is short and written in one place, else
    its value if it is a constant, else as the macros that make it are used."""
    text = source.text(count)
    if text and (_SIMPLE_COUNT.fullmatch(text) or value.lo != value.hi):
        return text
    if value.lo == value.hi:
        return str(value.lo)
    used = source.text(count, as_used=True)
    return used if used and used != source.text(shift, as_used=True) else "n"


_SIMPLE_COUNT = re.compile(r"\(?\s*[A-Za-z_0-9]+\s*\)?|[A-Za-z_0-9]+\s*[-+*]\s*[A-Za-z_0-9]+")


def _is_pointer_offset(sink: Expr) -> bool:
    return sink.kind is not Kind.CAST


def _where(shift: Expr, operand: Expr, source: Source) -> Span:
    """Where to report the shift: where it is spelled, if it is spelled in one place
    (a macro body, say); else where the macro that assembles it is used."""
    span = source.span(shift)
    if span.in_macro and not source.operator_follows(source.span(strip(operand, parens=False)), "<<"):
        return Span(span.expansion, None, span.expansion)
    return span


def _message(shift, operand, operand_text, count_text, operand_value: Value, count_value: Value,
             sink, sink_type: str, source: Source) -> str:
    if _is_pointer_offset(sink):
        extra_bits = max((c.type.bits for c in sink.children if c.type.is_pointer), default=64) - shift.type.bits
        where = "as a pointer offset"
    else:
        extra_bits = sink.type.bits - shift.type.bits
        where = f"by the cast to '{sink_type}' after the shift" if sink.explicit else f"to '{sink_type}' here"
    base = strip(operand)
    if base.kind is Kind.LITERAL or operand_value.lo == operand_value.hi:
        state = "is a negative int" if count_value.lo == count_value.hi else "can be a negative int"
        return (f"'{operand_text} << {count_text}' {state} (bit 31 set); it is sign-extended "
                f"{where}: the upper {extra_bits} bits become ones")
    klo, khi = shift_counts(count_value, shift.type)
    if count_value.lo == count_value.hi:
        threshold = 1 << (shift.type.bits - 1 - khi)
        when = f"{operand_text or 'it'} >= {threshold:#x}"
    else:
        when = f"{operand_text or 'it'} << {count_text} reaches bit {shift.type.bits - 1}"
    subject = f"'{operand_text}'" if operand_text else "the shifted value"
    return (f"{subject} ({_describe(base, operand_value, source)}) is promoted to int; "
            f"'<< {count_text}' can set bit {shift.type.bits - 1}, and the int is sign-extended {where}: "
            f"the upper {extra_bits} bits become ones when {when}")


def _describe(base: Expr, value: Value, source: Source) -> str:
    if base.kind is Kind.MEMBER and base.bitfield_width:
        return f"{base.bitfield_width}-bit unsigned bit-field"
    if base.type.is_integer and not base.type.signed and base.type.bits < 32:
        return f"'{source.type_spelling(base)}', {base.type.bits}-bit unsigned"
    return f"at most {value.hi:#x}"


def _fix(shift: Expr, operand: Expr, sink: Expr, sink_type: str, source: Source) -> Fix | None:
    suffix = "LL" if sink.type.is_integer and sink.type.signed else "ULL"
    return cast_operand(shift, operand, sink_type, source, "shifting", suffix, late_cast=sink, operator="<<")
