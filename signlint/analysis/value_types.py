"""The Values the value analysis computes, and the widenings it finds.

In: a CType and what is known of an expression's value. Out: a Value (an interval
and what travels with it: taint, pending extensions, lost bits, ideal_hi; see
values.py), kept within its type (type_range, fit), and the shift counts a Value
allows (shift_counts, bounded_count). A Widening is a conversion found to widen a
wrong value; an Extension is one not yet observed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..front.ir import CType, Expr


@dataclass(frozen=True, slots=True)
class Widening:
    """A tainted value converted to a wider integer type: a sign extension of a value
    that should not be negative, or a zero extension of one that lost its upper bits."""

    sink: Expr  # the conversion (implicit or explicit cast, or a pointer offset)
    origins: frozenset[Expr]  # what made the value wrong: a shift, a product, a char, a '~'
    from_bits: int  # width of the value before the conversion
    kind: str = "sign"  # 'sign' (ones come in) or 'zero' (lost upper bits stay zero)

    def __hash__(self) -> int:
        return id(self.sink)


# A promoted char's sign ones (bits 8 and up), followed like an extension but never
# reported as such: a char promoted to int is a number until it is used as a byte
# (converted to unsigned, shifted, combined with '|' '^' '&', added to assembled
# bytes). There the latent extension becomes a "char" one, reported where its
# ones can be seen, unless a truncation, a mask or a shift removes them first.
LATENT = "char-latent"


@dataclass(frozen=True, slots=True)
class Extension:
    """A widening not yet observed, and the lowest bit its ones can occupy now
    (shifts move them: `>> 8` brings them down 8 bits, `<< 32` out of a u64)."""

    widening: Widening
    low: int


@dataclass(frozen=True, slots=True)
class Value:
    lo: int | None  # None for non-integer expressions
    hi: int | None
    taint: frozenset = frozenset()  # origins that can make this (signed) value negative
    pending: frozenset = frozenset()  # Extensions not yet observed
    lost: frozenset = frozenset()  # origins of upper bits an unsigned value lost ('<<', '~')
    # An upper bound of the value with the ones of its pending extensions cleared, when it is
    # below hi: `(uint32_t)c` is at most 0xff but for the char's sign ones. None: hi.
    ideal_hi: int | None = None

    @property
    def nonneg(self) -> bool:
        return self.lo is not None and self.lo >= 0

    @property
    def ideal(self) -> int | None:
        """An upper bound of the intended value (None: it may be negative, or have
        upper bits a shift or a 32-bit '~' lost)."""
        if self.lost or any(x.widening.kind == "zero" for x in self.pending):
            return None
        if self.ideal_hi is not None:
            return self.ideal_hi
        return self.hi if self.nonneg else None


NOTHING = Value(None, None)


def type_range(t: CType, taint: frozenset = frozenset(), pending: frozenset = frozenset(),
               lost: frozenset = frozenset(), ideal_hi: int | None = None) -> Value:
    if not t.is_integer:
        return Value(None, None, frozenset(), pending)
    if t.enum_range is not None:
        return Value(*t.enum_range, taint, pending, lost, below_hi(ideal_hi, t))
    return Value(t.min, t.max, taint, pending, lost, below_hi(ideal_hi, t))


def below_hi(ideal: int | None, bound) -> int | None:
    """ideal as an ideal_hi of bound (a type or a Value): kept when it says more than its range."""
    lo, hi = (bound.min, bound.max) if isinstance(bound, CType) else (bound.lo, bound.hi)
    return ideal if ideal is not None and hi is not None and ideal >= 0 and (ideal < hi or lo < 0) else None


def fit(t: CType, lo: int, hi: int, taint=frozenset(), pending=frozenset(), lost=frozenset(),
         ideal_hi: int | None = None) -> Value:
    """[lo, hi] if the type can hold it, else the type's whole range. A value
    proven non-negative (`c + 128`) carries no taint: nothing made it negative,
    and no char's sign ones."""
    if t.is_integer and t.min <= lo and hi <= t.max:
        if lo >= 0:
            taint, pending = frozenset(), frozenset(x for x in pending if x.widening.kind != LATENT)
        return Value(lo, hi, taint, pending, lost, below_hi(ideal_hi, Value(lo, hi)))
    return type_range(t, taint, pending, lost, ideal_hi)


def shift_counts(count: Value, t: CType) -> tuple[int, int]:
    """The smallest and largest shift count; a count of unknown range can reach
    the last bit of the type (as Coverity assumes)."""
    last = t.bits - 1
    if count.lo is None or count.hi < 0:
        return 0, last
    return max(0, count.lo), min(count.hi, last)


def bounded_count(count: Value | None, t: CType) -> bool:
    """Does the code bound this shift count (a constant, a mask, an enum, a guard, a
    loop, a call's argument)? A count that its type alone bounds (an int, a u8: up
    to 255) is not: that it stays below 32 rests on facts set elsewhere (SL007). Only
    the upper bound matters: a negative count is undefined, and no one means it."""
    return count is not None and count.hi is not None and count.hi < 2 * t.bits
