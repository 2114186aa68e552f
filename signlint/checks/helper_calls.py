"""Findings at the call of a helper whose int result an operation inside it can make
negative (helpers.Summaries): `u64 x = get_hi(p)` where get_hi() returns
`p[0] << 24` (SL001), `w * h` (SL002) or `~b` (SL006) as an int. The finding is at
the call, where the sign extension happens, with a note at each operation in the
helper; the fix is in the helper: return an unsigned 32-bit type, whose value the
caller zero-extends."""

from __future__ import annotations

from collections.abc import Iterator

from ..finding import Edit, Finding, Fix, Note
from ..ir import Span
from ..source import Source
from ..values import ValueAnalysis, Widening
from .edits import cast_operand

# A 32-bit signed result type and its unsigned twin.
_UNSIGNED_TWIN = {"int": "unsigned int", "signed int": "unsigned int", "signed": "unsigned", "s32": "u32",
                  "__s32": "__u32", "int32_t": "uint32_t", "__int32_t": "__uint32_t"}

# op -> (what the operation is called, how it makes the int negative)
_MADE = {
    "<<": ("shift", "can make negative (bit 31 set)"),
    "*": ("product", "can make negative (past INT_MAX)"),
    "~": ("complement", "makes negative"),
}


def helper_findings(code: str, op: str, widening: Widening, analysis: ValueAnalysis, source: Source,
                    function: str) -> Iterator[Finding]:
    """The findings of rule `code` at the calls among widening's origins whose helper
    returns an int that `op` made."""
    for call in widening.origins:
        helper = analysis.calls.get(id(call))
        if helper is None or source.is_system(call):
            continue
        made = helper.made_by(op)
        if made:
            yield _finding(code, op, call, helper, made, widening, source, function)


def _finding(code: str, op: str, call, helper, made, widening: Widening, source: Source, function: str) -> Finding:
    sink = widening.sink
    sink_type = source.type_spelling(sink)
    span = source.span(call)
    if span.in_macro:
        span = Span(span.expansion, None, span.expansion)
    call_text = source.text(call, as_used=True) or f"{helper.name}()"
    name, how = _MADE[op]
    made_text = source.text(made[0], as_used=True) or f"a {name}"
    extra_bits = sink.type.bits - call.type.bits
    message = (f"'{call_text}' returns an int that '{made_text}' in {helper.name}() {how}; "
               f"it is sign-extended to '{sink_type}' here: the upper {extra_bits} bits become ones")
    notes = tuple(Note(source.span(m).begin, f"{helper.name}() returns this {name} as an int") for m in made)
    end = span.end if span.end and span.end.line == span.begin.line else None
    fix = _fix(op, helper, source)
    return Finding(code, span.begin, end, message, function, fix, notes, snippet=call_text)


def _fix(op: str, helper, source: Source) -> Fix | None:
    """Make the helper return an unsigned int: its callers then zero-extend it. A
    product is also computed unsigned (its overflow in int is undefined). A
    complement's wanted upper bits cannot be known (as for SL006 itself): no fix."""
    if op == "~":
        return None
    found = source.result_type_token(helper.scope)
    twin = _UNSIGNED_TWIN.get(found[2]) if found else None
    if twin is None:
        return Fix(f"make {helper.name}() return an unsigned 32-bit type", (), "", applicable=False)
    begin, end, _ = found
    edits = [Edit(begin.path, begin.offset, end.offset, twin)]
    description = f"make {helper.name}() return '{twin}'"
    # Every product the helper returns is computed unsigned too, whichever rule's fix is
    # applied: the two fixes overlap at the result type, so --fix applies only one.
    products = helper.made_by("*")
    if products:
        description += f" and compute the product in '{twin}'"
        for product in products:
            cast = cast_operand(product, product.children[0], twin, source, "multiplying", "U")
            if cast is None or not cast.applicable:
                return Fix(description, (), "", applicable=False)
            edits.extend(cast.edits)
    return Fix(description, tuple(edits), f"{twin} {helper.name}(...)")
