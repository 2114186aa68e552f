"""Findings where the operation that made an int negative is not in the widened
expression itself, for SL001 (a shift), SL002 (a product) and SL006 (a '~'):

- in a helper (helpers.Summaries): `u64 x = get_hi(p)` where get_hi() returns
  `p[0] << 24` as an int. The finding is at the call, with a note at the operation;
  the fix is in the helper: return an unsigned 32-bit type, which callers zero-extend.
- in an earlier statement (facts.Fact.taint): `int t = b << 24; ... u64 x = t;`.
  The finding is at the read of t, with a note at the operation; the fix reads t as
  `unsigned int` there (a cast of the shifted operand would be undone by the store).

A product is also computed unsigned by either fix (its overflow in int is undefined).
A complement's wanted upper bits cannot be known (as for SL006 itself): no fix.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening
from ..front.ir import Span
from ..front.source import Source
from ..records import Edit, Finding, Fix, Note
from .edits import cast_operand, same_line_end
from .signed_uses import refusal

# A 32-bit signed result type and its unsigned twin.
_UNSIGNED_TWIN = {"int": "unsigned int", "signed int": "unsigned int", "signed": "unsigned", "s32": "u32",
                  "__s32": "__u32", "int32_t": "uint32_t", "__int32_t": "__uint32_t"}

# op -> (what the operation is called, what a helper's result: "an int that ... in f() <it>",
# what a variable holds: "'t' holds ..., <it>")
_MADE = {
    "<<": ("shift", "can make negative (bit 31 set)", "an int that can be negative (bit 31 set)"),
    "*": ("product", "can make negative (past INT_MAX)", "an int that can pass INT_MAX and turn negative"),
    "~": ("complement", "makes negative", "a negative int"),
}


def indirect_findings(code: str, op: str, widening: Widening, analysis: ValueAnalysis, source: Source,
                      function: str, unbounded: bool | None = None) -> Iterator[Finding]:
    """The findings of rule `code` at the helper calls and variable reads among
    widening's origins whose int `op` made. unbounded, for shifts: only those whose
    count nothing bounds (True: SL007; a variable never holds one, see
    ValueAnalysis.followed_origins), or only the others (False: SL001)."""
    for origin in widening.origins:
        if source.is_system(origin):
            continue
        helper = analysis.calls.get(id(origin))
        if helper is not None:
            made = helper.made_by(op)
            if unbounded is not None:
                made = tuple(m for m in made if (m in helper.unbounded) == unbounded)
            if made:
                yield _at_call(code, op, origin, helper, made, widening, source, function, unbounded)
            continue
        carried = analysis.carried.get(id(origin))
        if carried is not None and not unbounded:
            made = sorted((o for o in carried[1].taint if o.op == op), key=lambda o: source.span(o).begin.offset)
            if made:
                yield _at_read(code, op, origin, made, widening, source, function)


def _at_call(code: str, op: str, call, helper, made, widening: Widening, source: Source, function: str,
             unbounded: bool | None = None) -> Finding:
    """`u64 x = get_hi(p)`, where get_hi() returns `p[0] << 24` as an int."""
    sink = widening.sink
    sink_type = source.type_spelling(sink)
    span = source.span(call)
    if span.in_macro:
        span = Span(span.expansion, None, span.expansion)
    call_text = source.text(call, as_used=True) or f"{helper.name}()"
    name, how, _ = _MADE[op]
    made_text = source.text(made[0], as_used=True) or f"a {name}"
    extra_bits = sink.type.bits - call.type.bits
    message = (f"'{call_text}' returns an int that '{made_text}' in {helper.name}() {how}; "
               f"it is sign-extended to '{sink_type}' here: the upper {extra_bits} bits become ones")
    if unbounded:
        message += f" (nothing in {helper.name}() bounds the count of the shift)"
    notes = tuple(Note(source.span(m).begin, f"{helper.name}() returns this {name} as an int") for m in made)
    fix = None if op == "~" else _helper_fix(helper, source)
    return Finding(code, span.begin, same_line_end(span), message, function, fix, notes, snippet=call_text)


def _at_read(code: str, op: str, read, made, widening: Widening, source: Source, function: str) -> Finding:
    """`int t = b << 24; ... u64 x = t;`, at the read of t."""
    sink = widening.sink
    sink_type = source.type_spelling(sink)
    span = source.span(read)
    name = source.text(read, as_used=True) or "the variable"
    what, _, holds = _MADE[op]
    first = source.span(made[0])
    first = first.expansion or first.begin  # a shift spelled in a macro: the line that uses it
    made_text = source.text(made[0], as_used=True) or f"a {what}"
    extra_bits = sink.type.bits - widening.from_bits
    message = (f"'{name}' holds '{made_text}' (line {first.line}), {holds}; it is sign-extended to "
               f"'{sink_type}' here: the upper {extra_bits} bits become ones")
    notes = tuple(Note(source.span(m).begin, f"this {what} is kept in '{name}' as an int") for m in made)
    fix = None if op == "~" else _read_fix(read, name, made if op == "*" else (), source)
    return Finding(code, span.begin, same_line_end(span), message, function, fix, notes, snippet=name)


def _helper_fix(helper, source: Source) -> Fix:
    """Make the helper return an unsigned int (unsafe: it changes a declaration's
    type). Refused where the code relies on a negative result. Every product it
    returns is computed unsigned too, whichever rule's fix is applied: the SL001 and
    SL002 fixes overlap at the result type, so --fix applies only one."""
    found = source.result_type_token(helper.scope)
    twin = _UNSIGNED_TWIN.get(found[2]) if found else None
    if twin is None:
        return Fix(f"make {helper.name}() return an unsigned 32-bit type", (), "", applicable=False, safe=False)
    why_not = refusal(helper.name, helper.scope)
    if why_not:
        return Fix(f"none offered: {why_not}, so it must stay signed; test for its errors before the "
                   f"result is widened, and widen it as '{twin}'", (), "", applicable=False, safe=False)
    begin, end, _ = found
    description = f"make {helper.name}() return '{twin}'"
    products = helper.made_by("*")
    if products:
        description += f" and compute the product in '{twin}'"
    casts = _product_casts(products, twin, source)
    if casts is None:
        return Fix(description, (), "", applicable=False, safe=False)
    return Fix(description, (Edit(begin.path, begin.offset, end.offset, twin), *casts), f"{twin} {helper.name}(...)",
               safe=False)


def _read_fix(read, name: str, products, source: Source) -> Fix:
    """Read the variable as an unsigned int (and compute its products unsigned);
    unsafe: the stored int may be meant to be negative."""
    description = f"read '{name}' as 'unsigned int' before it is widened"
    if products:
        description += " and compute the product in 'unsigned int'"
    span = source.span(read)
    casts = _product_casts(products, "unsigned int", source)
    if span.in_macro or span.begin.path == "" or casts is None:
        return Fix(description, (), "", applicable=False, safe=False)
    edit = Edit(span.begin.path, span.begin.offset, span.begin.offset, "(unsigned int)")
    return Fix(description, (edit, *casts), f"(unsigned int){name}", safe=False)


def _product_casts(products, type_text: str, source: Source) -> tuple[Edit, ...] | None:
    """The edits that cast each product's left operand to type_text (None if one cannot be made)."""
    edits: list[Edit] = []
    for product in products:
        cast = cast_operand(product, product.children[0], type_text, source, "multiplying", "U")
        if cast is None or not cast.applicable:
            return None
        edits.extend(cast.edits)
    return tuple(edits)


def _same_line_end(span: Span):
    return span.end if span.end and span.end.line == span.begin.line else None
