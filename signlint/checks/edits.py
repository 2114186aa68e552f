"""The fix every rule of the family makes: widen (or re-type) an operand before the
operation that goes wrong. A cast is inserted before the operand (wrapped in
parentheses when it is itself an operation), a plain literal gets a suffix
instead, and a late cast around the operation is moved onto the operand."""

from __future__ import annotations

import re

from ..front.ir import Expr, Kind, Span
from ..front.source import Source
from ..records import Edit, Fix, Note

_PLAIN_LITERAL = re.compile(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)")


def strip(e: Expr, parens: bool = True) -> Expr:
    """The expression under implicit conversions (and parentheses)."""
    while e.children and ((e.kind is Kind.CAST and not e.explicit) or (parens and e.kind is Kind.PAREN)):
        e = e.children[-1]
    return e


def cast_operand(node: Expr, operand: Expr, type_text: str, source: Source, verb: str,
                 suffix: str | None = None, late_cast: Expr | None = None, operator: str | None = None) -> Fix | None:
    """A fix that casts `operand` of `node` to type_text ('cast before {verb}'), or
    appends `suffix` to it when it is a plain literal. A `late_cast` wrapping node
    is moved onto the operand. In a macro, the edit is made only where `operator`
    follows the operand in the same body (else the fix is left to the author)."""
    base = strip(operand, parens=False)
    operand_span = source.span(base)
    if operand_span.begin.path == "":
        return None
    manual = Fix(f"cast the operand to '{type_text}' before {verb}", (), "", applicable=False)
    if operand_span.in_macro and not (operator and source.operator_follows(operand_span, operator)):
        return manual  # editing a macro that other code uses could change that code
    edits: list[Edit] = []
    literal = source.text(base) if base.kind is Kind.LITERAL else None
    if suffix and literal and _PLAIN_LITERAL.fullmatch(literal) and operand_span.end:
        end = operand_span.end
        edits.append(Edit(end.path, end.offset, end.offset, suffix))
        description = f"give the literal a {suffix} suffix before {verb}"
    elif base.kind in (Kind.BINARY, Kind.CONDITIONAL, Kind.COMPOUND_ASSIGN):
        if operand_span.end is None:
            return manual
        at = operand_span.begin
        edits.append(Edit(at.path, at.offset, at.offset, f"({type_text})("))
        edits.append(Edit(at.path, operand_span.end.offset, operand_span.end.offset, ")"))
        description = f"cast before {verb}"
    else:
        at = operand_span.begin
        edits.append(Edit(at.path, at.offset, at.offset, f"({type_text})"))
        description = f"cast before {verb}"
    preview_span = source.span(node)
    if late_cast is not None and late_cast.explicit and strip(late_cast.children[-1]) is node:
        cast_span, inner_span = source.span(late_cast), source.span(late_cast.children[-1])
        if not (cast_span.in_macro or inner_span.in_macro) and cast_span.begin.path == operand_span.begin.path:
            # `(u64)(b << 24)`: move the cast. (One spelled in a macro, like
            # cpu_to_le64(), stays: casting the operand as well is enough.)
            edits.insert(0, Edit(cast_span.begin.path, cast_span.begin.offset, inner_span.begin.offset, ""))
            description = f"move the cast before {verb}"
            preview_span = cast_span
    preview = source.apply_to(preview_span, edits) or source.apply_to(operand_span, edits)
    return Fix(description, tuple(edits), preview, applicable=True)


def place(node: Expr, operand: Expr, operator: str | None, source: Source) -> Span:
    """Where to report node: where it is spelled, if it is written in one place
    (a macro body, say); else where the macro that assembles it is used."""
    span = source.span(node)
    if span.in_macro and not (operator and source.operator_follows(source.span(strip(operand, parens=False)),
                                                                    operator)):
        return Span(span.expansion, None, span.expansion)
    return span


def expansion_note(span: Span, message: str) -> tuple[Note, ...]:
    """A note at the macro use, for a finding placed in a macro body."""
    if span.in_macro and span.expansion != span.begin:
        return (Note(span.expansion, message),)
    return ()


def same_line_end(span: Span):
    return span.end if span.end and span.end.line == span.begin.line else None


def text_of(e: Expr, source: Source, default: str) -> str:
    return source.text(strip(e), as_used=True) or default


def snippet(e: Expr, source: Source) -> str:
    return source.text(e, as_used=True) or ""


def widened_bits(sink: Expr) -> int:
    """How wide the value becomes at a sink: the cast's type, or a pointer offset's pointer."""
    if sink.kind is Kind.CAST:
        return sink.type.bits
    return max((c.type.bits for c in sink.children if c.type.is_pointer), default=64)


def sink_type_text(sink: Expr, source: Source) -> str:
    """The type to cast to: the sink's type as spelled, or for a pointer offset an
    unsigned long (pointer-sized on every Linux target)."""
    return source.type_spelling(sink) if sink.kind is Kind.CAST else "unsigned long"
