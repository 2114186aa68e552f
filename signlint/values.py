"""Value ranges of integer expressions, and where a possibly negative int is widened.

For every integer-typed expression the analysis knows an interval [lo, hi] that its
value lies in (the type's whole range when nothing better is known). Narrow
unsigned operands, bit-fields, literals, masks, constant shift counts and casts
make the interval small; an int of unknown range is simply the whole int range,
and the reasoning stops there.

Two facts travel with a value besides its interval:
- taint: left shifts of a provably non-negative value whose signed result can
  reach the sign bit. Such a value is negative *only because of the shift*; that
  is the bug signlint looks for. Taint flows through | ^ + - & / % ?: casts to
  the same signed type and parentheses (not through >>: shifting a shifted int back
  is how C code sign-extends on purpose), and stops at anything that makes the
  value non-negative again (a mask, a conversion to an unsigned or narrower type).
- pending: sign extensions (widenings of a tainted value to a wider type) whose
  ones may still be cut off before anyone sees them: `u32 r = x64 | (b << 24)`,
  `(b << 24) & 0xffffffffULL` or `(u64)(b << 24) << 32` are harmless. Each keeps
  the lowest bit its ones can occupy, moved by shifts; a widening is reported
  (committed) as soon as its value is used where those bits can be observed.
"""

from __future__ import annotations

from dataclasses import dataclass

from .ir import CType, Expr, Kind

# Operators whose low N result bits depend only on the low N bits of the operands:
# sign-extended upper bits that pass through them can still be truncated away.
_LOW_BITS_PRESERVING = frozenset({"|", "&", "^", "+", "-", "*", "<<"})
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "==", "!=", "&&", "||"})


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

    @property
    def nonneg(self) -> bool:
        return self.lo is not None and self.lo >= 0


NOTHING = Value(None, None)


def type_range(t: CType, taint: frozenset = frozenset(), pending: frozenset = frozenset(),
               lost: frozenset = frozenset()) -> Value:
    if not t.is_integer:
        return Value(None, None, frozenset(), pending)
    if t.enum_range is not None:
        return Value(*t.enum_range, taint, pending, lost)
    return Value(t.min, t.max, taint, pending, lost)


def _fit(t: CType, lo: int, hi: int, taint=frozenset(), pending=frozenset(), lost=frozenset()) -> Value:
    """[lo, hi] if the type can hold it, else the type's whole range. A value
    proven non-negative (`c + 128`) carries no taint: nothing made it negative."""
    if t.is_integer and t.min <= lo and hi <= t.max:
        return Value(lo, hi, frozenset() if lo >= 0 else taint, pending, lost)
    return type_range(t, taint, pending, lost)


def shift_counts(count: Value, t: CType) -> tuple[int, int]:
    """The smallest and largest shift count; a count of unknown range can reach
    the last bit of the type (as Coverity assumes)."""
    last = t.bits - 1
    if count.lo is None or count.hi < 0:
        return 0, last
    return max(0, count.lo), min(count.hi, last)


class ValueAnalysis:
    """Computes Values bottom-up over one expression tree and collects the
    widenings that are observable (committed)."""

    def __init__(self, facts: dict | None = None, helpers=None, scoped: dict | None = None) -> None:
        """facts: what the code around the expression proves about its variables
        (context.Facts, keyed by Expr.decl); scoped: the facts that hold instead
        inside some subexpressions (id(expr) -> Facts: the branches of `x < 8 ? 1 << x : 0`).
        helpers: a function from a call to the origins that can make its int
        result negative (helpers.Summaries)."""
        self.facts = facts or {}
        self.scoped = scoped or {}
        self.helpers = helpers
        self.facts_used: dict[int, tuple[Expr, object]] = {}  # id(variable read) -> (it, the Fact used)
        self.calls: dict[int, object] = {}  # id(call) -> its helpers.Helper, for calls whose int result is widened
        self.widenings: list[Widening] = []
        self.values: dict[int, Value] = {}  # id(expr) -> Value, for --explain and tests
        self.sign_shifts: list[Expr] = []  # every '<<' that can set the sign bit of a non-negative int
        self.char_uses: list[tuple[Expr, Expr]] = []  # (char promotion, where it is used as a byte)
        # A shift of a value that may be negative only because of its range (`(0xff - h) << 24`):
        # what the code around proves about h could make it a finding.
        self.unsure = False

    def run(self, root: Expr) -> Value:
        value = self.visit(root)
        self._commit(value)
        return value

    def _commit(self, *values: Value) -> None:
        for v in values:
            self.widenings.extend(x.widening for x in v.pending)

    def visit(self, root: Expr) -> Value:
        """Post-order, without recursion: kernel macro expansions nest thousands deep."""
        done: list[Value] = []
        outer = self.facts
        work: list[tuple[Expr, bool, dict]] = [(root, False, self.scoped.get(id(root), outer))]
        while work:
            e, ready, facts = work.pop()
            if not ready:
                work.append((e, True, facts))
                work.extend((c, False, self.scoped.get(id(c), facts)) for c in reversed(e.children))
                continue
            n = len(e.children)
            kids = done[len(done) - n :] if n else []
            del done[len(done) - n :]
            self.facts = facts
            value = self._transfer(e, kids)
            self.values[id(e)] = value
            done.append(value)
        self.facts = outer
        return done[0]

    # -- transfer functions ---------------------------------------------------

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
        self._commit(*kids)
        if not t.is_integer:
            return NOTHING
        if kind is Kind.DECL_REF and e.decl in self.facts:
            fact = self.facts[e.decl]
            lo, hi = max(t.min, fact.lo), min(t.max, fact.hi)
            if lo <= hi:
                self.facts_used[id(e)] = (e, fact)
                return Value(lo, hi)
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
        # A byte that reads as negative; `(signed char)x` asks for that, so it is no byte.
        char = source.signed and source.bits == 8 and v.lo < 0 and not _explicit_cast(e.children[-1])
        if source.signed and not target.signed and target.bits > 8:
            # `u32 x = c`: a byte read as signed becomes 0xffffff80
            self._char_use(Value(v.lo, v.hi, v.taint | {e}) if char else v, e)
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
                return Value(v.lo, v.hi, v.taint | {e}, pending)  # a char promoted: it may be negative
            if v.taint and source.signed:
                widening = Widening(e, v.taint, source.bits)
                return Value(target.min, target.max, frozenset(), pending | {Extension(widening, source.bits)})
            if v.lost:
                widening = Widening(e, v.lost, source.bits, kind="zero")
                pending = pending | {Extension(widening, source.bits)}
            if v.lo >= target.min:
                return Value(v.lo, v.hi, frozenset(), pending)
            return type_range(target, pending=pending)
        if target.bits < source.bits:
            # The upper bits are cut off: extensions whose ones all sit above go too.
            narrowed = _fit(target, v.lo, v.hi)
            return Value(narrowed.lo, narrowed.hi, frozenset(), _below(pending, target.bits))
        # Same width: the bits are kept; only their reading changes. An explicit
        # cast to 32 bits, `(u32)(x << 8)`, says the lost bits are meant to go.
        lost = frozenset() if e.explicit else v.lost
        if target.signed == source.signed:
            return Value(v.lo, v.hi, v.taint, pending, lost)
        if v.lo >= target.min and v.hi <= target.max:
            return Value(v.lo, v.hi, frozenset(), pending, lost)
        return type_range(target, pending=pending, lost=lost)

    def _binary(self, e: Expr, a: Value, b: Value) -> Value:
        op, t = e.op, e.type
        if op == ",":
            self._commit(a)
            return b
        if op == "=":
            self._commit(a, b)
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
            klo, khi = shift_counts(b, t)
            pending = frozenset(Extension(x.widening, max(0, x.low - khi)) for x in a.pending)
            if a.nonneg:
                return _fit(t, a.lo >> khi, a.hi >> klo, pending=pending)
            # `(x << 24) >> 24` is the idiom for sign extension: the sign is wanted.
            # A char shifted right stays as negative as it was (`table[c >> 4]`).
            return type_range(t, frozenset(o for o in a.taint if is_char_promotion(o)), pending)
        if op == "&":
            return self._and(t, a, b)
        bytes_in = frozenset()  # char bytes combined here: wrong unless cut back to 8 bits
        if op in ("|", "^"):
            bytes_in = self._char_extensions(e, a, b)
        elif op == "+":
            bytes_in = self._char_extensions(e, *(x for x, other in ((a, e.children[1]), (b, e.children[0]))
                                                  if _assembles_bytes(other)))  # `(p[1] << 8) + p[2]`
        if op in ("+", "-"):
            self._numbers_not_bytes(e)
        if op == "|":
            a, b = _or_hides(a, b, t), _or_hides(b, a, t)
        lost = a.lost | b.lost
        pending = a.pending | b.pending | bytes_in
        if op in ("|", "^"):
            if a.nonneg and b.nonneg:
                top = (1 << max(a.hi.bit_length(), b.hi.bit_length())) - 1
                return _fit(t, max(a.lo, b.lo) if op == "|" else 0, top, pending=pending, lost=lost)
            return type_range(t, a.taint | b.taint, pending, lost)
        if op == "+":
            return _fit(t, a.lo + b.lo, a.hi + b.hi, a.taint | b.taint, pending, lost)
        if op == "-":
            return _fit(t, a.lo - b.hi, a.hi - b.lo, a.taint | b.taint, pending, lost)
        if op == "*":
            corners = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
            if t.signed and a.nonneg and b.nonneg and max(corners) > t.max:
                # A product of non-negative values that can pass INT_MAX: signed overflow.
                return type_range(t, frozenset({e}), pending, lost)
            return _fit(t, min(corners), max(corners), pending=pending, lost=lost)
        self._commit(a, b)
        if op == "/" and a.nonneg and b.lo > 0:
            return _fit(t, a.lo // b.hi, a.hi // b.lo)
        if op == "%" and b.lo > 0:
            if a.nonneg:
                return _fit(t, 0, min(a.hi, b.hi - 1))
            return _fit(t, -(b.hi - 1), b.hi - 1, a.taint)
        return type_range(t, a.taint if op in ("/", "%") else frozenset())

    def _shift_left(self, e: Expr, a: Value, b: Value) -> Value:
        t = e.type
        klo, khi = shift_counts(b, t)
        if not a.nonneg:
            self._char_use(a, e)  # `c << 8` with a signed char
            if a.lo is not None and a.lo > t.min and a.hi > 0:
                self.unsure = True
            return type_range(t, a.taint, a.pending)
        # Sign-extended upper bits shifted out of the type are gone: `(u64)(b << 24) << 32`.
        moved = (Extension(x.widening, x.low + klo) for x in a.pending)
        a = Value(a.lo, a.hi, a.taint, frozenset(x for x in moved if x.low < t.bits))
        top = a.hi << khi
        if top <= t.max:
            return Value(a.lo << klo, top, frozenset(), a.pending, a.lost)
        if t.signed and a.hi > 0:
            # The shift can set the sign bit of a value that was never negative.
            self.sign_shifts.append(e)
            return type_range(t, a.taint | {e}, a.pending)
        if not t.signed and a.hi > 0:
            # Bits shifted out of an unsigned value: lost if it is widened later.
            return type_range(t, a.taint, a.pending, a.lost | {e})
        return type_range(t, a.taint, a.pending, a.lost)

    def _char_use(self, v: Value, at: Expr, plain_only: bool = False) -> None:
        """Record that a possibly negative char byte is used as an unsigned byte at `at`."""
        for origin in v.taint:
            if is_char_promotion(origin) and not (plain_only and _explicitly_signed(origin)):
                self.char_uses.append((origin, at))

    @staticmethod
    def _char_extensions(at: Expr, *values: Value) -> frozenset:
        """Char bytes OR-ed or added at `at`: their sign bits (8 and up) are wrong
        unless the result is cut back to 8 bits (`buf[i] = hex[n] | lower`)."""
        return frozenset(Extension(Widening(at, frozenset({o}), 8, kind="char"), 8)
                         for v in values for o in v.taint if is_char_promotion(o))

    def _offset(self, e: Expr, kids: list[Value]) -> None:
        """`p + (b << 24)`, `p[b << 24]`: the int offset is sign-extended to the
        pointer's width before it is scaled and added."""
        pointer_bits = max((c.type.bits for c in e.children if c.type.is_pointer), default=0)
        for child, value in zip(e.children, kids, strict=True):
            t = child.type
            if value.taint and t.is_integer and t.signed and pointer_bits > t.bits:
                self.widenings.append(Widening(e, value.taint, t.bits))

    def _and(self, t: CType, a: Value, b: Value) -> Value:
        # A non-negative mask below an extension's lowest bit clears all its ones;
        # and `x & ~b` wants the ones a sign-extended complement brings.
        pending = _not_complement_masks((_below(a.pending, b.hi.bit_length()) if b.nonneg else a.pending) | (
            _below(b.pending, a.hi.bit_length()) if a.nonneg else b.pending))
        if a.nonneg and b.nonneg:
            return Value(0, min(a.hi, b.hi), frozenset(), pending)
        if a.nonneg or b.nonneg:
            return _fit(t, 0, a.hi if a.nonneg else b.hi, pending=pending)
        return type_range(t, a.taint | b.taint, pending)

    def _numbers_not_bytes(self, e: Expr) -> None:
        """`pos + delta` with an int8_t/signed char delta is arithmetic on a signed
        number: its conversion to the other operand's unsigned type is not a byte
        read wrongly. (A plain char added to an unsigned sum still is: a checksum.)"""
        converted = {id(c) for c in e.children if c.kind is Kind.CAST and not c.explicit}
        self.char_uses = [(origin, at) for origin, at in self.char_uses
                          if not (id(at) in converted and _explicitly_signed(origin))]

    def _compound_assign(self, e: Expr, target: Value, rhs: Value) -> Value:
        # `u32 v; v |= x64` stores only the low 32 bits: sign-extended upper bits vanish.
        op = e.op[:-1]
        if op in ("+", "-"):
            self._numbers_not_bytes(e)
        if op in _LOW_BITS_PRESERVING and e.type.is_integer:
            pending = _below(rhs.pending, e.type.bits)
            rhs = Value(rhs.lo, rhs.hi, rhs.taint, _not_complement_masks(pending) if op == "&" else pending)
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
            lo, hi = (-a.hi, -a.lo) if op == "-" else (-a.hi - 1, -a.lo - 1)
            operand = e.children[0]
            while operand.kind is Kind.CAST and not operand.explicit and operand.children:
                operand = operand.children[0]
            if op == "~" and not t.signed and t.bits <= 32:
                # `~mask32` widened later: its upper half stays zero (clears bits in `x64 & ~m`).
                return type_range(t, pending=a.pending, lost=frozenset({e}))
            if not t.signed:
                return type_range(t, pending=a.pending)
            if op == "~" and a.nonneg and operand.type.is_integer and not operand.type.signed \
                    and operand.type.bits < t.bits:
                # `~(u16)x` is negative: widened, its upper bits are all ones.
                return Value(lo, hi, frozenset({e}), a.pending)
            return _fit(t, lo, hi, pending=a.pending)
        self._commit(a)
        return type_range(t)

    def _conditional(self, t: CType, kids: list[Value]) -> Value:
        if len(kids) == 3:
            self._commit(kids[0])
        x, y = kids[-2], kids[-1]
        pending = x.pending | y.pending
        if not t.is_integer or x.lo is None or y.lo is None:
            return type_range(t, pending=pending)
        return _fit(t, min(x.lo, y.lo), max(x.hi, y.hi), x.taint | y.taint, pending, x.lost | y.lost)


def _compare(op: str, a: Value, b: Value) -> Value:
    """0 or 1; exact when both sides are known constants (`31 - (0 < 1)`)."""
    if a.lo is None or b.lo is None or a.lo != a.hi or b.lo != b.hi:
        return Value(0, 1)
    x, y = a.lo, b.lo
    result = {"<": x < y, ">": x > y, "<=": x <= y, ">=": x >= y, "==": x == y, "!=": x != y,
              "&&": bool(x) and bool(y), "||": bool(x) or bool(y)}[op]
    return Value(int(result), int(result))


def _or_hides(v: Value, other: Value, t: CType) -> Value:
    """v without the sign extensions that OR-ing with a constant whose upper bits
    are all ones makes invisible (`x | 0xffffffff80000000ULL`)."""
    if not v.pending or other.lo is None or other.lo != other.hi:
        return v
    ones = other.lo % (1 << t.bits)
    kept = frozenset(x for x in v.pending if ones >> x.low != (1 << (t.bits - x.low)) - 1)
    return Value(v.lo, v.hi, v.taint, kept)


def _not_complement_masks(pending: frozenset) -> frozenset:
    """Without the sign-extended complements `~b` of narrow values: as an AND mask
    their upper ones are exactly what `~(u64)b` would have given."""
    return frozenset(x for x in pending if not (
        x.widening.kind == "sign" and all(o.kind is Kind.UNARY and o.op == "~" for o in x.widening.origins)))


def _below(pending: frozenset, bits: int) -> frozenset:
    """The extensions that still show when only the lowest `bits` bits are kept."""
    return frozenset(x for x in pending if x.low < bits)


def is_char_promotion(e: Expr) -> bool:
    """A conversion of a signed 8-bit char to a wider signed type (an SL003 origin)."""
    if e.kind is not Kind.CAST or not e.children:
        return False
    source = e.children[-1].type
    return source.is_integer and source.signed and source.bits == 8


_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}


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


def _assembles_bytes(e: Expr) -> bool:
    """Is e a shift or an OR, or a sum with one (after parentheses): bytes being assembled?"""
    while e.kind in (Kind.PAREN, Kind.CAST) and e.children and not e.explicit:
        e = e.children[-1]
    if e.kind is not Kind.BINARY:
        return False
    return e.op in ("<<", "|") or e.op == "+" and any(_assembles_bytes(c) for c in e.children)
