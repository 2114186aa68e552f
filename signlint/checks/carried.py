"""Findings where a variable is widened that holds an int an earlier statement made
negative: `int t = b << 24; ... u64 x = t;` (SL001), `int n = w * h; ... size_t s =
n;` (SL002), `int m = ~b; ... u64 k = m;` (SL006). context.py follows the value
from the assignment to the read (Fact.taint); the finding is at the read, where
the sign extension happens, with a note at the operation. The fix reads the
variable as `unsigned int` there: its bits are the intended 32-bit value, and
an unsigned int is zero-extended."""

from __future__ import annotations

from collections.abc import Iterator

from ..finding import Edit, Finding, Fix, Note
from ..source import Source
from ..values import ValueAnalysis, Widening
from .edits import cast_operand

# op -> (what the operation is called, what it does to the int)
_MADE = {
    "<<": ("shift", "an int that can be negative (bit 31 set)"),
    "*": ("product", "an int that can pass INT_MAX and turn negative"),
    "~": ("complement", "a negative int"),
}


def carried_findings(code: str, op: str, widening: Widening, analysis: ValueAnalysis, source: Source,
                     function: str) -> Iterator[Finding]:
    """The findings of rule `code` at the reads among widening's origins of variables
    holding an int that `op` made."""
    for read in widening.origins:
        carried = analysis.carried.get(id(read))
        if carried is None or source.is_system(read):
            continue
        made = sorted((o for o in carried[1].taint if o.op == op), key=lambda o: source.span(o).begin.offset)
        if made:
            yield _finding(code, op, read, made, widening, source, function)


def _finding(code: str, op: str, read, made, widening: Widening, source: Source, function: str) -> Finding:
    sink = widening.sink
    sink_type = source.type_spelling(sink)
    span = source.span(read)
    name = source.text(read, as_used=True) or "the variable"
    what, holds = _MADE[op]
    first = source.span(made[0])
    first = first.expansion or first.begin  # a shift spelled in a macro: the line that uses it
    made_text = source.text(made[0], as_used=True) or f"a {what}"
    extra_bits = sink.type.bits - widening.from_bits
    message = (f"'{name}' holds '{made_text}' (line {first.line}), {holds}; it is sign-extended to "
               f"'{sink_type}' here: the upper {extra_bits} bits become ones")
    notes = tuple(Note(source.span(m).begin, f"this {what} is kept in '{name}' as an int") for m in made)
    end = span.end if span.end and span.end.line == span.begin.line else None
    return Finding(code, span.begin, end, message, function, _fix(op, read, name, made, source), notes,
                   snippet=name)


def _fix(op: str, read, name: str, made, source: Source) -> Fix | None:
    """Read the variable as an unsigned int; a product is also computed unsigned (its
    overflow in int is undefined). A complement's wanted upper bits cannot be known."""
    if op == "~":
        return None
    description = f"read '{name}' as 'unsigned int' before it is widened"
    span = source.span(read)
    if span.in_macro or span.begin.path == "":
        return Fix(description, (), "", applicable=False)
    edits = [Edit(span.begin.path, span.begin.offset, span.begin.offset, "(unsigned int)")]
    if op == "*":
        description += " and compute the product in 'unsigned int'"
        for product in made:
            cast = cast_operand(product, product.children[0], "unsigned int", source, "multiplying", "U")
            if cast is None or not cast.applicable:
                return Fix(description, (), "", applicable=False)
            edits.extend(cast.edits)
    return Fix(description, tuple(edits), f"(unsigned int){name}")
