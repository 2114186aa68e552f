"""The value analysis's rule for each kind of expression (values.ValueAnalysis).

In: an expression and the Values of its children. Out: its own Value, and what
the rule observes on the way: the widenings of wrong values that show (committed),
the chars used as bytes, the shifts that can set a sign bit. The rules are the
methods of OperatorRules, a base class of ValueAnalysis; what only combines
Values (a product's range, what a mask leaves of an extension) is a function.
"""

from __future__ import annotations

from dataclasses import replace

from ..front.ir import CType, Expr, Kind, implicit_gone, unparen
from .facts import lvalue_key
from .syntax import assembles_bytes, is_char_promotion
from .value_types import (
    LATENT,
    NOTHING,
    Extension,
    Value,
    Widening,
    below_hi,
    bounded_count,
    fit,
    shift_counts,
    type_range,
)

# Operators whose low N result bits depend only on the low N bits of the operands:
# sign-extended upper bits that pass through them can still be truncated away.
_LOW_BITS_PRESERVING = frozenset({"|", "&", "^", "+", "-", "*", "<<"})
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "==", "!=", "&&", "||"})
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


class OperatorRules:
    """The rules, one per kind of expression (_transfer picks one). They share the
    state of the ValueAnalysis they are part of, which sets it up (__init__):

    - read: facts (the Facts where the expression is), helpers (call -> summary),
      values (the Values computed so far, by id), carried;
    - written: widenings (a pointer offset's, _offset), char_uses (added by
      _char_use and subscripts, dropped by _numbers_not_bytes), sign_shifts,
      calls (the helper behind a widened call), facts_used (`x - y`), carried
      (through _fact_about), stores_taint (`=`), unsure, _assembles (assembles_bytes's
      answers for this tree);
    - called: _commit(*values) (report a Value's pending widenings), followed_origins,
      _fact_about(e, key) and _difference_fact(e) (what the facts say about a read).
    """

    def _transfer(self, e: Expr, kids: list[Value]) -> Value:
        t = e.type
        kind = e.kind
        if e.value is not None and kind is not Kind.BINARY and t.is_integer and t.min <= e.value <= t.max:
            self._commit(*kids)  # a constant clang folded (a literal, an enumerator, a shift count)
            return Value(e.value, e.value)
        if kind is Kind.PAREN:
            return kids[0] if kids else type_range(t)
        if kind is Kind.CAST and kids:
            return self._cast(e, e.children[-1].type, kids[-1])
        if kind is Kind.BINARY and len(kids) == 2:
            return self._binary(e, kids[0], kids[1])
        if kind is Kind.COMPOUND_ASSIGN and len(kids) == 2:
            return self._compound_assign(e, kids[0], kids[1])
        if kind is Kind.UNARY and kids:
            if e.op == "*" and self.facts:
                known = self._fact_about(e, lvalue_key(e))
                if known is not None:
                    self._commit(*kids)
                    return known
            return self._unary(e, kids[0])
        if kind is Kind.CONDITIONAL and len(kids) >= 2:
            return self._conditional(t, kids)
        if kind is Kind.SUBSCRIPT:
            self._offset(e, kids)
            for child, value in zip(e.children, kids, strict=True):  # `table[c]` with a negative char
                index = child.type
                if index.is_plain_char and index.signed and value.lo is not None and value.lo < 0:
                    self.char_uses.append((child, e))
                self._char_use(value, e, plain_only=True)  # a `signed char` index is a number
            if e.elements is not None and t.min <= e.elements[0] <= e.elements[1] <= t.max:
                self._commit(*kids)  # a const table's element: what its initializer holds
                return Value(*e.elements)
        self._commit(*kids)
        if not t.is_integer:
            return NOTHING
        if kind is Kind.DECL_REF and e.decl in self.facts:
            known = self._fact_about(e, e.decl)
            if known is not None:
                return known
        if kind is Kind.SUBSCRIPT and self.facts:
            known = self._fact_about(e, lvalue_key(e))
            if known is not None:
                return known
        if kind is Kind.MEMBER and e.bitfield_width:
            w = e.bitfield_width
            if e.type.signed:
                return Value(-(1 << (w - 1)), (1 << (w - 1)) - 1)
            return Value(0, (1 << w) - 1)
        return type_range(t)

    def _cast(self, e: Expr, source: CType, v: Value) -> Value:
        target = e.type
        if not target.is_integer or not source.is_integer or v.lo is None:
            self._commit(v)
            return type_range(target)
        if target.is_bool:
            self._commit(v)
            return Value(0, 1)
        pending = v.pending
        # A byte that reads as negative; `(signed char)x` asks for that, and so does an
        # explicit `(int)sc` (fs/ext4/hash.c's signed hash): then it is a number, no byte.
        char = source.signed and source.bits == 8 and v.lo < 0 and not _explicit_cast(e.children[-1]) \
            and not (e.explicit and target.signed)
        ideal = v.ideal
        if char and target.bits > 8:
            pending = pending | {_latent(e)}
            ideal = 0xFF
        if source.signed and not target.signed and target.bits > 8:
            # `u32 x = c`: a byte read as signed becomes 0xffffff80 (once its upper bits show)
            pending = _activate(e, pending)
        if target.bits > source.bits and source.signed and not v.taint and self.helpers is not None \
                and not (target.signed and e.explicit):
            # `u64 x = get_hi(p)`: the helper's int can be negative by a shift. (An explicit
            # `(long)get_hi(p)` asks for the int's value: that is what an int result is.)
            call = _call_under(e.children[-1])
            helper = self.helpers(call, [self.values.get(id(a)) for a in call.children[1:]]) \
                if call is not None else None
            if helper is not None:
                self.calls[id(call)] = helper
                v = Value(v.lo, v.hi, frozenset({call}), pending)
        if target.bits > source.bits:
            if char and target.signed:
                return Value(v.lo, v.hi, v.taint | {e}, pending, ideal_hi=ideal)  # a char promoted: it may be negative
            shifted = frozenset(o for o in v.taint if not is_char_promotion(o)
                                # `(long)t` asks for the int's value, as for a helper's result (above)
                                and not (id(o) in self.carried and target.signed and e.explicit))
            if shifted and source.signed:
                widening = Widening(e, shifted, source.bits)
                ideal = v.ideal_hi if v.ideal_hi is not None else source.max - source.min
                return Value(target.min, target.max, frozenset(), pending | {Extension(widening, source.bits)},
                             ideal_hi=below_hi(ideal, target))
            if v.lost:
                widening = Widening(e, v.lost, source.bits, kind="zero")
                pending = pending | {Extension(widening, source.bits)}
            if v.lo >= target.min:
                return Value(v.lo, v.hi, v.taint if target.signed else frozenset(), pending,
                             ideal_hi=below_hi(ideal, v))
            return _wrapped(v, target, pending, frozenset(), ideal)
        if target.bits < source.bits:
            # The upper bits are cut off: extensions whose ones all sit above go too.
            narrowed = fit(target, v.lo, v.hi)
            return Value(narrowed.lo, narrowed.hi, frozenset(), _below(pending, target.bits),
                         ideal_hi=below_hi(ideal, narrowed))
        # Same width: the bits are kept; only their reading changes. An explicit
        # cast to 32 bits, `(u32)(x << 8)`, says the lost bits are meant to go.
        lost = frozenset() if e.explicit else v.lost
        if not target.signed:  # ones at the type's width would show only when a signed value is widened
            pending = _below(pending, target.bits)
        if target.signed == source.signed:
            return Value(v.lo, v.hi, v.taint, pending, lost, v.ideal_hi)
        if v.lo >= target.min and v.hi <= target.max:
            return Value(v.lo, v.hi, frozenset(), pending, lost, v.ideal_hi)
        return _wrapped(v, target, pending, lost, ideal)

    def _binary(self, e: Expr, a: Value, b: Value) -> Value:
        op, t = e.op, e.type
        if op == ",":
            self._commit(a)
            return b
        if op == "=":
            self._commit(a, b)
            self.stores_taint = self.stores_taint or bool(self.followed_origins(b.taint, unknown_counts=True))
            return Value(b.lo, b.hi) if b.lo is not None else type_range(t)
        if op in _COMPARISONS:
            self._commit(a, b)
            if op not in ("&&", "||") and b.lo is not None and a.lo is not None:
                # `c == 0xff`, `c >= 0x80`, `c > 0x7f`: decided by the sign, not the byte.
                for x, k, rel in ((a, b, op), (b, a, _MIRRORED.get(op, op))):
                    if k.lo == k.hi and _byte_test(rel, k.lo):
                        self._char_use(x, e)
            return _compare(op, a, b)
        if not t.is_integer or a.lo is None or b.lo is None:
            if t.is_pointer and op in ("+", "-"):
                self._offset(e, [a, b])
            self._commit(a, b)
            return type_range(t)
        if op == "<<":
            self._commit(b)
            return self._shift_left(e, a, b)
        if op == ">>":
            self._commit(b)
            return _shift_right(t, a, b)
        if op == "&":
            return _and(e, a, b, self.carried)
        if op in ("|", "^"):  # char bytes combined here: wrong unless cut back to 8 bits
            a, b = _used_as_byte(e, a), _used_as_byte(e, b)
        elif op == "+":  # `(p[1] << 8) + p[2]`, `c + 0x100`
            a, b = (_used_as_byte(e, x) if assembles_bytes(other, self._assembles) or _above_byte(y) else x
                    for x, other, y in ((a, e.children[1], b), (b, e.children[0], a)))
        elif op == "-" and _above_byte(a):
            b = _used_as_byte(e, b)  # `0xff - c`: the complement of a byte
        if op == "|":
            a, b = _or_hides(a, b, t), _or_hides(b, a, t)
        lost = a.lost | b.lost
        pending = a.pending | b.pending
        if op in ("+", "-"):
            pending = self._numbers_not_bytes(e, pending)
        if op in ("|", "^"):
            return _or_xor(op, t, a, b, pending, lost)
        if op == "+":
            ia, ib = a.ideal, b.ideal
            ideal = ia + ib if ia is not None and ib is not None else None
            return fit(t, a.lo + b.lo, a.hi + b.hi, a.taint | b.taint, pending, lost, ideal)
        if op == "-":
            lo = a.lo - b.hi
            apart = self._difference_fact(e)  # `max_c - min_c` where `min_c > max_c` was rejected
            if apart is not None and lo < apart.lo <= a.hi - b.lo:
                self.facts_used[id(e)] = (e, apart)
                lo = apart.lo
            return fit(t, lo, a.hi - b.lo, a.taint | b.taint, pending, lost)
        if op == "*":
            return _product(e, a, b, pending, lost)
        self._commit(a, b)
        return _divided(op, t, a, b)

    def _shift_left(self, e: Expr, a: Value, b: Value) -> Value:
        t = e.type
        klo, khi = shift_counts(b, t)
        pending = _activate(e, a.pending)  # `c << 8`, `(u32)c << 8`: a char shifted is a byte
        if not a.nonneg:
            if a.lo is not None and a.lo > t.min and a.hi > 0 and not pending:
                self.unsure = True  # `(0xff - h) << 24`: what the code around proves about h may decide
            # `c << 8` with a signed char: the ones its sign brings move up with it; in an
            # int, the sign extension of a later widening continues them.
            moved = frozenset(Extension(x.widening, min(x.low + klo, t.bits)) for x in pending)
            lost = a.lost
            if t.signed and t.bits == 32 and not pending and not a.taint and klo > 0 and a.lo is not None \
                    and bounded_count(b, t) and (a.lo << khi < t.min or a.hi << khi > t.max):
                # `npages << PAGE_SHIFT` with an int of unknown range: its upper bits go, as
                # an unsigned int's do (SL004, opt-in: the range is set elsewhere; V629).
                lost = lost | {e}
            return type_range(t, a.taint, moved, lost)
        # Sign-extended upper bits shifted out of the type are gone: `(u64)(b << 24) << 32`.
        moved = (Extension(x.widening, x.low + klo) for x in pending)
        pending = frozenset(x for x in moved if x.low < t.bits)
        ideal = a.ideal if a.ideal is not None else a.hi
        top = a.hi << khi
        if top <= t.max:
            return Value(a.lo << klo, top, frozenset(), pending, a.lost, below_hi(ideal << khi, Value(0, top)))
        if t.signed and a.hi > 0:
            # The shift can set the sign bit of a value that was never negative, unless what
            # reaches it is only a char's sign ones (`(c & 0x1ff) << 23`: that is the char's bug).
            self.sign_shifts.append(e)
            taint = a.taint | {e} if ideal << khi > t.max else a.taint
            return type_range(t, taint, pending, ideal_hi=ideal << khi)
        if not t.signed and a.hi > 0 and ideal << khi > t.max:
            # Bits shifted out of an unsigned value: lost if it is widened later. Not the
            # sign ones of a char (`(u32)c << 16`): losing them is right.
            return type_range(t, a.taint, pending, a.lost | {e})
        return type_range(t, a.taint, pending, a.lost, ideal << khi)

    def _char_use(self, v: Value, at: Expr, plain_only: bool = False) -> None:
        """Record that a possibly negative char byte is used as an unsigned byte at `at`."""
        for origin in v.taint:
            if is_char_promotion(origin) and not (plain_only and _explicitly_signed(origin)):
                self.char_uses.append((origin, at))

    def _offset(self, e: Expr, kids: list[Value]) -> None:
        """`p + (b << 24)`, `p[b << 24]`: the int offset is sign-extended to the
        pointer's width before it is scaled and added."""
        pointer_bits = max((c.type.bits for c in e.children if c.type.is_pointer), default=0)
        for child, value in zip(e.children, kids, strict=True):
            t = child.type
            if value.taint and t.is_integer and t.signed and pointer_bits > t.bits:
                self.widenings.append(Widening(e, value.taint, t.bits))

    def _numbers_not_bytes(self, e: Expr, pending: frozenset) -> frozenset:
        """`pos + delta` with an int8_t/signed char delta is arithmetic on a signed
        number: its conversion to the other operand's unsigned type is not a byte
        read wrongly. (A plain char added to an unsigned sum still is: a checksum; and
        any char added to assembled bytes, `(w << 8) + sc`.)"""
        kids = e.children
        converted = {id(c) for c, other in zip(kids, reversed(kids), strict=True)
                     if c.kind is Kind.CAST and not c.explicit and not assembles_bytes(other, self._assembles)}
        self.char_uses = [(origin, at) for origin, at in self.char_uses
                          if not (id(at) in converted and _explicitly_signed(origin))]
        return frozenset(x for x in pending if not (
            x.widening.kind == "char" and id(x.widening.sink) in converted
            and all(_explicitly_signed(o) for o in x.widening.origins)))

    def _compound_assign(self, e: Expr, target: Value, rhs: Value) -> Value:
        # `u32 v; v |= x64` stores only the low 32 bits: sign-extended upper bits vanish.
        op = e.op[:-1]
        if op in ("+", "-"):
            rhs = replace(rhs, pending=self._numbers_not_bytes(e, rhs.pending))
        if op in _LOW_BITS_PRESERVING and e.type.is_integer:
            pending = _below(rhs.pending, e.type.bits)
            masks = _not_complement_masks(pending, e.children, self.carried) if op == "&" else pending
            rhs = Value(rhs.lo, rhs.hi, rhs.taint, masks)
        self._commit(target, rhs)
        return type_range(e.type)

    def _unary(self, e: Expr, a: Value) -> Value:
        op, t = e.op, e.type
        if op in ("+", "__extension__"):
            return a
        if op == "!":
            self._commit(a)
            return Value(0, 1)
        if op in ("-", "~") and t.is_integer and a.lo is not None:
            return _negated(e, a)
        self._commit(a)
        return type_range(t)

    def _conditional(self, t: CType, kids: list[Value]) -> Value:
        if len(kids) == 3:
            self._commit(kids[0])
            cond = kids[0]
            if cond.lo is not None and cond.lo == cond.hi:
                # A constant condition (`(nb) >= 32 ? (value) : mask & (value)` in a macro
                # given nb = 4): only the branch taken gives the value.
                return kids[1] if cond.lo else kids[2]
        x, y = kids[-2], kids[-1]
        pending = x.pending | y.pending
        if not t.is_integer or x.lo is None or y.lo is None:
            return type_range(t, pending=pending)
        ideal = max(x.ideal, y.ideal) if x.ideal is not None and y.ideal is not None else None
        return fit(t, min(x.lo, y.lo), max(x.hi, y.hi), x.taint | y.taint, pending, x.lost | y.lost, ideal)


def _shift_right(t: CType, a: Value, b: Value) -> Value:
    """`a >> b`: the extensions' ones come down with the bits."""
    klo, khi = shift_counts(b, t)
    pending = frozenset(Extension(x.widening, max(0, x.low - khi)) for x in a.pending)
    ideal = a.ideal >> klo if a.ideal is not None else None
    if a.nonneg:
        return fit(t, a.lo >> khi, a.hi >> klo, pending=pending, ideal_hi=ideal)
    # `(x << 24) >> 24` is the idiom for sign extension: the sign is wanted.
    # A char shifted right stays as negative as it was (`table[c >> 4]`).
    return type_range(t, frozenset(o for o in a.taint if is_char_promotion(o)), pending, ideal_hi=ideal)


def _or_xor(op: str, t: CType, a: Value, b: Value, pending: frozenset, lost: frozenset) -> Value:
    """`a | b`, `a ^ b`, with the extensions and lost bits that still show of both."""
    ia, ib = a.ideal, b.ideal
    ideal = (1 << max(ia.bit_length(), ib.bit_length())) - 1 if ia is not None and ib is not None else None
    if a.nonneg and b.nonneg:
        top = (1 << max(a.hi.bit_length(), b.hi.bit_length())) - 1
        return fit(t, max(a.lo, b.lo) if op == "|" else 0, top, pending=pending, lost=lost, ideal_hi=ideal)
    # With an operand that is always negative, its sign decides the result's: the
    # other's taint does not make it negative (`~b ^ (b << 24)`).
    taint = (a.taint if b.hi >= 0 else frozenset()) | (b.taint if a.hi >= 0 else frozenset())
    if op == "|" and min(a.hi, b.hi) < 0:  # OR-ing bits into a negative value keeps it negative
        return Value(max(x.lo for x in (a, b) if x.hi < 0), -1, taint, pending, lost, ideal)
    return type_range(t, taint, pending, lost, ideal)


def _product(e: Expr, a: Value, b: Value, pending: frozenset, lost: frozenset) -> Value:
    """`a * b` (e), with the extensions and lost bits of both; e is its origin when
    it can overflow a signed type."""
    t = e.type
    # `x * 0x1000000` moves x's bits as `x << 24` does: extension ones pushed out go.
    for k, other in ((_power_of_two(b), a), (_power_of_two(a), b)):
        if k is not None:
            pending = frozenset(Extension(x.widening, x.low + k) for x in other.pending if x.low + k < t.bits)
            break
    corners = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
    ia, ib = a.ideal, b.ideal
    ideal = ia * ib if ia is not None and ib is not None else None
    if (t.signed and a.nonneg and b.nonneg and _bounded(a, t) and _bounded(b, t)
            and max(corners) > t.max and (ideal is None or ideal > t.max)):
        # A product of non-negative values that can pass INT_MAX: signed overflow (unless
        # only a char's sign ones make it that large: `h * (u16)c` is the char's bug).
        return type_range(t, frozenset({e}), pending, lost)
    return fit(t, min(corners), max(corners), pending=pending, lost=lost, ideal_hi=ideal)


def _divided(op: str, t: CType, a: Value, b: Value) -> Value:
    """`a / b`, `a % b` (and any other operator: its type's range)."""
    if op == "/" and a.nonneg and b.lo > 0:
        return fit(t, a.lo // b.hi, a.hi // b.lo)
    if op == "%" and b.lo > 0:
        if a.nonneg:
            return fit(t, 0, min(a.hi, b.hi - 1))
        # The remainder of a negative char is negative: its ones start below b's bits.
        latent = frozenset(Extension(x.widening, min(x.low, (b.hi - 1).bit_length()))
                           for x in a.pending if x.widening.kind == LATENT)
        return fit(t, -(b.hi - 1), b.hi - 1, a.taint, latent)
    if op == "/" and b.lo > 0:
        latent = frozenset(Extension(x.widening, max(0, x.low - (b.lo.bit_length() - 1)))
                           for x in a.pending if x.widening.kind == LATENT)
        return type_range(t, a.taint, latent)
    return type_range(t, a.taint if op in ("/", "%") else frozenset())


def _negated(e: Expr, a: Value) -> Value:
    """`-a`, `~a` (e) of an integer a of known range."""
    op, t = e.op, e.type
    lo, hi = (-a.hi, -a.lo) if op == "-" else (-a.hi - 1, -a.lo - 1)
    operand = e.children[0]
    while operand.kind is Kind.CAST and not operand.explicit and operand.children:
        operand = operand.children[0]
    if op == "~" and not t.signed and t.bits <= 32:
        # `~mask32` widened later: its upper half stays zero (clears bits in `x64 & ~m`).
        return type_range(t, pending=a.pending, lost=frozenset({e}))
    if not t.signed:
        return type_range(t, pending=a.pending)
    bits = operand.bitfield_width or operand.type.bits  # an `unsigned :8` bit-field is promoted too
    if op == "~" and a.nonneg and operand.type.is_integer and not operand.type.signed and bits < t.bits:
        # `~(u16)x` is negative: widened, its upper bits are all ones.
        return Value(lo, hi, frozenset({e}), a.pending)
    return fit(t, lo, hi, pending=a.pending)


def _and(e: Expr, a: Value, b: Value, carried: dict) -> Value:
    """`a & b` (e); carried: the analysis's reads of variables that hold a tainted int
    (ValueAnalysis.carried), for `m = ~b; x &= m`."""
    t = e.type
    # A char masked with a non-negative mask is a byte: `c & 0xff` is right, `c & 0xfff`
    # and `h & c` keep its sign ones in bits 8 and up.
    if b.nonneg or _has_latent(b):  # `h & c`, `c & d`
        a = _used_as_byte(e, a)
    if a.nonneg or _has_latent(a):
        b = _used_as_byte(e, b)
    # A non-negative mask below an extension's lowest bit clears all its ones;
    # and `x & ~b` wants the ones a sign-extended complement brings.
    # Zeros where ones were meant (a lost upper half) show only where the other operand
    # is meant to have ones: `(u64)(h * h) & ~w32` is right.
    kept_a = _masked(a.pending, b, e.children[1], b.pending)
    pending = _not_complement_masks(kept_a | _masked(b.pending, a, e.children[0], kept_a), e.children, carried)
    # Upper bits an unsigned operand lost were meant to survive only where the other
    # operand's upper bits are ones as meant: it lost bits too, or it is a complement.
    lost = (a.lost if b.lost or _complement(e.children[1]) else frozenset()) | (
        b.lost if a.lost or _complement(e.children[0]) else frozenset())
    # `x & ~b`: the complement's ones are a mask's; only x can make the result negative.
    taint = frozenset(o for v, k in ((a, e.children[0]), (b, e.children[1])) for o in v.taint
                      if not (_complement(k) and o is implicit_gone(k)))
    ia, ib = a.ideal, b.ideal
    ideal = min(ia, ib) if ia is not None and ib is not None else ia if ia is not None else ib
    if a.nonneg and b.nonneg:
        return Value(0, min(a.hi, b.hi), frozenset(), pending, lost, below_hi(ideal, Value(0, min(a.hi, b.hi))))
    if a.nonneg or b.nonneg:
        return fit(t, 0, a.hi if a.nonneg else b.hi, pending=pending, lost=lost, ideal_hi=ideal)
    return type_range(t, taint, pending, lost, ideal)


def _wrapped(v: Value, target: CType, pending: frozenset, lost: frozenset, ideal: int | None) -> Value:
    """v converted to an unsigned target it does not fit: a value that is always negative
    stays one interval (`~b` as a u64 is 0xffffffffffffff00..0xffffffffffffffff)."""
    if not target.signed and v.hi < 0:
        return Value(v.lo + (1 << target.bits), v.hi + (1 << target.bits), frozenset(), pending, lost,
                     below_hi(ideal, target))
    return type_range(target, pending=pending, lost=lost, ideal_hi=ideal)


def _compare(op: str, a: Value, b: Value) -> Value:
    """0 or 1; exact when both sides are known constants (`31 - (0 < 1)`)."""
    if a.lo is None or b.lo is None or a.lo != a.hi or b.lo != b.hi:
        return Value(0, 1)
    x, y = a.lo, b.lo
    result = {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y, "==": x == y, "!=": x != y,
              "&&": bool(x) and bool(y), "||": bool(x) or bool(y)}[op]
    return Value(int(result), int(result))


def _or_hides(v: Value, other: Value, t: CType) -> Value:
    """v without the extensions that OR-ing with a value whose upper bits are all
    ones makes invisible (`x | 0xffffffff80000000ULL`; a non-negative value of at
    least its lower bound has every upper one of that bound)."""
    if not v.pending or other.lo is None:
        return v
    if other.hi < 0:  # every value of [lo, -1] has the bits from that of -lo up set: `c | ~b`
        ones = (1 << t.bits) - (1 << (-other.lo - 1).bit_length())
    elif other.lo == other.hi or other.nonneg:
        ones = other.lo % (1 << t.bits)
    else:
        return v
    ones_top = v.hi.bit_length() if v.nonneg else t.bits  # a non-negative v has no wrong ones above its range
    kept = set()
    for x in v.pending:
        top = t.bits if x.widening.kind == "zero" else ones_top  # (zeros where ones were meant lie above it)
        low = x.low  # the ones from the first bit the constant does not cover
        while low < top and ones >> low & 1:
            low += 1
        if low < top:
            kept.add(x if low == x.low else Extension(x.widening, low))
    return replace(v, pending=frozenset(kept))


def _not_complement_masks(pending: frozenset, operands: list[Expr], carried: dict) -> frozenset:
    """Without the sign-extended complements `~b` of narrow values that are operands
    of the '&' themselves (`x & ~b`, `x &= ~b`, or a variable holding one: `m = ~b;
    x &= m`): as an AND mask their upper ones are exactly what `~(u64)b` would have
    given. (`x & (~b | m)` has no such intent.)"""
    direct = {id(unparen(o)) for o in operands}

    def complement(o: Expr) -> bool:
        if id(o) in carried:
            return all(_complement(t) for t in carried[id(o)][1].taint)
        return _complement(o)

    return frozenset(x for x in pending if not (
        x.widening.kind == "sign" and id(unparen(x.widening.sink)) in direct and not x.widening.sink.explicit
        and all(complement(o) and implicit_gone(x.widening.sink.children[-1]) is o for o in x.widening.origins)))


def _complement(e: Expr) -> bool:
    """Is e a '~' (after parentheses and implicit conversions)?"""
    e = implicit_gone(e)
    return e.kind is Kind.UNARY and e.op == "~"


def _has_latent(v: Value) -> bool:
    return any(x.widening.kind == LATENT for x in v.pending)


def _used_as_byte(at: Expr, v: Value) -> Value:
    return replace(v, pending=_activate(at, v.pending)) if v.pending else v


def _above_byte(v: Value) -> bool:
    """A constant that is no signed char offset (`c + 128` maps -128..127 onto 0..255):
    0xff or more. Adding a char to it, or subtracting one from it, is byte arithmetic
    (`0xff - c`, `c + 0x100`)."""
    return v.lo is not None and v.lo == v.hi and v.lo >= 0xFF


def _masked(pending: frozenset, mask: Value, operand: Expr, mask_ones: frozenset) -> frozenset:
    """The extensions of an operand of '&' that can show through the other operand.
    Zeros where ones were meant: where the mask's intended value can have ones (a
    complement `~b` is meant to have ones above). Wrong ones: where the mask's value
    can have ones, unless those are only the mask's own wrong ones (mask_ones, which
    are reported instead: fixing them alone gives the right value)."""
    ideal = None if _complement(operand) else mask.ideal
    bits = ideal.bit_length() if ideal is not None else None
    kept = set()
    for x in pending:
        if x.widening.kind == "zero":
            if bits is None or x.low < bits:
                kept.add(x)
        elif (not mask.nonneg or x.low < mask.hi.bit_length()) and (
                bits is None or x.low < bits or not any(
                    y.low <= x.low and y.widening.kind not in ("zero", LATENT) for y in mask_ones)):
            kept.add(x)
    return frozenset(kept)


def _bounded(v: Value, t: CType) -> bool:
    """Whether v's upper bound says more than its type does.

    `i < n` with an int n of unknown range leaves i at most INT_MAX - 1: a count nothing bounds,
    whose product overflows only on inputs nothing shows to be reachable.
    """
    return v.hi < t.max - 1


def _power_of_two(v: Value) -> int | None:
    """k when v is the constant 2**k."""
    if v.lo is None or v.lo != v.hi or v.lo <= 0 or v.lo & (v.lo - 1):
        return None
    return v.lo.bit_length() - 1


def _latent(promotion: Expr) -> Extension:
    """The sign ones of a char just promoted, not yet used as a byte."""
    return Extension(Widening(promotion, frozenset({promotion}), 8, kind=LATENT), 8)


def _activate(at: Expr, pending: frozenset) -> frozenset:
    """pending with the chars' latent sign ones made a byte use at `at`."""
    if not any(x.widening.kind == LATENT for x in pending):
        return pending
    return frozenset(Extension(Widening(at, x.widening.origins, 8, kind="char"), x.low)
                     if x.widening.kind == LATENT else x for x in pending)


def _below(pending: frozenset, bits: int) -> frozenset:
    """The extensions that still show when only the lowest `bits` bits are kept."""
    return frozenset(x for x in pending if x.low < bits)


def _byte_test(op: str, k: int) -> bool:
    """Does `char OP k` only make sense for a byte read as unsigned (0..255)?"""
    if op in ("==", "!="):
        return not -128 <= k <= 127
    if op in (">", "<="):
        return k >= 127
    return k >= 128  # '>=', '<'


def _call_under(e: Expr) -> Expr | None:
    while e.kind is Kind.PAREN and e.children:
        e = e.children[-1]
    return e if e.kind is Kind.CALL else None


def _explicit_cast(e: Expr) -> bool:
    while e.kind is Kind.PAREN and e.children:
        e = e.children[-1]
    return e.kind is Kind.CAST and e.explicit


def _explicitly_signed(origin: Expr) -> bool:
    """Is the char behind this origin a `signed char` (a number), not a plain char?"""
    byte = origin.children[-1] if is_char_promotion(origin) else origin
    return not byte.type.is_plain_char
