"""SL003: a plain or signed char byte used as an unsigned byte."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis.values import ValueAnalysis, Widening, is_char_promotion
from ..front.ir import Expr, Kind
from ..front.source import Source
from ..records import Finding
from .edits import cast_operand, place, same_line_end, snippet, strip, text_of

CODE = "SL003"
NAME = "signed-char-byte"
SUMMARY = "plain or signed char byte used as an unsigned byte: bytes >= 0x80 sign-extend"
DEFAULT = True


def _how(use: Expr, source: Source) -> str:
    """What goes wrong where the byte is used."""
    if use.kind is Kind.CAST:
        return f"converted to '{source.type_spelling(use)}', its upper bits become ones"
    if use.kind is Kind.SUBSCRIPT:
        return "used as an array index, it indexes before the array"
    if use.op in ("==", "!="):
        return "compared with a value above 0x7f, the comparison never holds"
    verb = {"<<": "shifted", "|": "OR-ed with other bits", "^": "XOR-ed with other bits",
            "&": "masked with bits above the byte", "+": "added as a byte",
            "-": "subtracted as a byte"}.get(use.op, f"used in '{use.op}'")
    return f"{verb}, its upper bits become ones"


def check(widenings: list[Widening], analysis: ValueAnalysis, source: Source, function: str) -> Iterator[Finding]:
    seen: set[int] = set()
    combined = [(origin, w.sink) for w in widenings if w.kind == "char" for origin in w.origins]
    for promotion, use in [*analysis.char_uses, *combined]:
        if id(promotion) in seen or source.is_system(promotion):
            continue
        seen.add(id(promotion))
        byte = promotion.children[-1] if is_char_promotion(promotion) else promotion  # or the char itself
        char_type = byte.type
        span = place(byte, byte, None, source)
        name = text_of(byte, source, "the byte")
        kind = "plain 'char', signed on this target" if char_type.is_plain_char else "'signed char'"
        subject = f"a byte in '{name}'" if source.quoted_as_macro_use(strip(byte)) else f"'{name}'"
        message = f"{subject} is a {kind}: a byte >= 0x80 reads as negative, and {_how(use, source)}"
        if char_type.is_plain_char:
            message += " (on targets where char is unsigned, such as Arm, PowerPC, RISC-V and s390, it is right)"
        fix = cast_operand(byte, byte, "unsigned char", source, "using it as a byte")
        yield Finding(CODE, span.begin, same_line_end(span), message, function, fix, (),
                      snippet=snippet(byte, source))
