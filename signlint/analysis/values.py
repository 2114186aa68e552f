"""Value ranges of integer expressions, and where a possibly negative int is widened.

For every integer-typed expression the analysis knows an interval [lo, hi] that its
value lies in (the type's whole range when nothing better is known). Narrow
unsigned operands, bit-fields, literals, masks, constant shift counts and casts
make the interval small; an int of unknown range is simply the whole int range,
and the reasoning stops there.

Facts that travel with a value besides its interval:
- taint: left shifts of a provably non-negative value whose signed result can
  reach the sign bit. Such a value is negative *only because of the shift*; that
  is the bug signlint looks for. Taint flows through | ^ + - & / % ?: casts to
  the same signed type and parentheses (not through >>: shifting a shifted int back
  is how C code sign-extends on purpose), and stops at anything that makes the
  value non-negative again (a mask, a conversion to an unsigned or narrower type).
  An origin can also be the read of a local int that an earlier statement made
  negative that way (`int t = b << 24; ... t`; context.Fact.taint, `carried`).
- pending: sign extensions (widenings of a tainted value to a wider type) whose
  ones may still be cut off before anyone sees them: `u32 r = x64 | (b << 24)`,
  `(b << 24) & 0xffffffffULL` or `(u64)(b << 24) << 32` are harmless. Each keeps
  the lowest bit its ones can occupy, moved by shifts; a widening is reported
  (committed) as soon as its value is used where those bits can be observed.
  A char's sign ones (bits 8 and up of a promoted negative char) are pending too:
  latent while the char is used as a number, a byte use (SL003) once it is
  converted to unsigned, shifted, masked, OR-ed, XOR-ed or added as a byte, and
  reported only where they show (`(uint8_t)(c | w)`, `(u32)c << 24` are right).
- lost: upper bits an unsigned 32-bit value lost (`w << 12`, `~m32`): SL004 and
  SL006 when it is widened (a zero extension, pending like a sign extension).
- ideal_hi: a bound of the value as meant, without the ones of its pending
  extensions: `(u32)c << 16` loses only a char's sign ones (SL003's bug, not
  SL004's), `(c & 0x1ff) << 23` reaches bit 31 only through them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..front.ir import CType, Expr, Kind

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
        return Value(*t.enum_range, taint, pending, lost, _below_hi(ideal_hi, t))
    return Value(t.min, t.max, taint, pending, lost, _below_hi(ideal_hi, t))


def _wrapped(v: Value, target: CType, pending: frozenset, lost: frozenset, ideal: int | None) -> Value:
    """v converted to an unsigned target it does not fit: a value that is always negative
    stays one interval (`~b` as a u64 is 0xffffffffffffff00..0xffffffffffffffff)."""
    if not target.signed and v.hi < 0:
        return Value(v.lo + (1 << target.bits), v.hi + (1 << target.bits), frozenset(), pending, lost,
                     _below_hi(ideal, target))
    return type_range(target, pending=pending, lost=lost, ideal_hi=ideal)


def _below_hi(ideal: int | None, bound) -> int | None:
    """ideal as an ideal_hi of bound (a type or a Value): kept when it says more than its range."""
    lo, hi = (bound.min, bound.max) if isinstance(bound, CType) else (bound.lo, bound.hi)
    return ideal if ideal is not None and hi is not None and ideal >= 0 and (ideal < hi or lo < 0) else None


def _fit(t: CType, lo: int, hi: int, taint=frozenset(), pending=frozenset(), lost=frozenset(),
         ideal_hi: int | None = None) -> Value:
    """[lo, hi] if the type can hold it, else the type's whole range. A value
    proven non-negative (`c + 128`) carries no taint: nothing made it negative,
    and no char's sign ones."""
    if t.is_integer and t.min <= lo and hi <= t.max:
        if lo >= 0:
            taint, pending = frozenset(), frozenset(x for x in pending if x.widening.kind != LATENT)
        return Value(lo, hi, taint, pending, lost, _below_hi(ideal_hi, Value(lo, hi)))
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
        # id(variable read) -> (it, its context.Fact), for reads of an int that a shift, a product or
        # a '~' in an earlier statement can have made negative (`int t = b << 24; ... t`): the read
        # is the origin of its value's taint.
        self.carried: dict[int, tuple[Expr, object]] = {}
        # Is a value that may be negative by an origin's doing kept as an int (`int t = b << 24;`,
        # `t = w * h;`)? Then reads of it later in the function may widen it (context.py; whether
        # a shift's count is known is decided there, with the ranges the function proves).
        self.stores_taint = False
        self.widenings: list[Widening] = []
        self.values: dict[int, Value] = {}  # id(expr) -> Value, for --explain and tests
        self.sign_shifts: list[Expr] = []  # every '<<' that can set the sign bit of a non-negative int
        self.char_uses: list[tuple[Expr, Expr]] = []  # (char promotion, where it is used as a byte)
        # A shift of a value that may be negative only because of its range (`(0xff - h) << 24`):
        # what the code around proves about h could make it a finding.
        self.unsure = False
        self._assembles: dict[int, bool] = {}  # assembles_bytes, asked of every '+' of a long sum

    def run(self, root: Expr) -> Value:
        value = self.visit(root)
        self._assembles.clear()  # by id: good for this tree only
        self._commit(value)
        self.stores_taint = self.stores_taint or bool(self.followed_origins(value.taint, unknown_counts=True))
        return value

    def followed_origins(self, taint: frozenset, unknown_counts: bool = False) -> frozenset:
        """The shifts, products and complements behind a value's taint, through the
        variables it read (`int u = t | 1;` after `int t = b << 24;`: t's shift): what
        a variable assigned the value carries (context.Fact.taint). A char is not
        among them: its int is a number until it is used as a byte. Nor is a shift by
        a count of unknown range (`1 << order`): reported where it is widened in
        place, as Coverity assumes such a count can reach 31, but not followed into
        variables, where that assumption would be most of the noise (a block or page
        size kept in an int, its bound set elsewhere); unknown_counts keeps them (a
        helper's result, reported at its call as a direct shift would be)."""
        out = set()
        for origin in taint:
            carried = self.carried.get(id(origin))
            if carried is not None:
                out |= carried[1].taint
            elif origin.kind is Kind.BINARY and origin.op == "<<":
                count = self.values.get(id(origin.children[1]))
                known = count is not None and count.lo is not None and count.lo >= 0 and count.hi < origin.type.bits
                if known or unknown_counts:
                    out.add(origin)
            elif origin.kind is Kind.BINARY and origin.op == "*" or origin.kind is Kind.UNARY and origin.op == "~":
                out.add(origin)
        return frozenset(out)

    def count_bounded(self, shift: Expr) -> bool:
        """Is the count of this shift bounded by the code (bounded_count)? A shift this
        analysis did not see came from a variable's earlier assignment, and the context
        keeps only shifts by bounded counts in variables (followed_origins)."""
        count = self.values.get(id(shift.children[1]))
        return count is None or bounded_count(count, shift.type)

    def widens_unbounded_shift(self) -> bool:
        """Is an int that a shift by an unbounded count can make negative widened?
        What the function proves about the count decides between SL001 and SL007."""
        for widening in self.widenings:
            for origin in widening.origins:
                helper = self.calls.get(id(origin))
                if helper is not None and helper.unbounded:
                    return True
                if origin.kind is Kind.BINARY and origin.op == "<<" and not self.count_bounded(origin):
                    return True
        return False

    def _commit(self, *values: Value) -> None:
        for v in values:
            self.widenings.extend(x.widening for x in v.pending if x.widening.kind != LATENT)

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

    def _fact_about(self, e: Expr, key: int | None) -> Value | None:
        """e's value as a fact (context.Fact) about the variable or lvalue `key` says."""
        fact = self.facts.get(key) if key is not None else None
        if fact is None or not e.type.is_integer:
            return None
        t = e.type
        lo, hi = max(t.min, fact.lo), min(t.max, fact.hi)
        if lo > hi:
            return None
        self.facts_used[id(e)] = (e, fact)
        if fact.taint and lo < 0:
            self.carried[id(e)] = (e, fact)
            return Value(lo, hi, frozenset({e}))
        return Value(lo, hi)

    def _difference_fact(self, e: Expr):
        """The fact (context.Fact) about x - y, for `x - y` of two variables."""
        x, y = (_through_casts(c) for c in e.children)
        if x.kind is not Kind.DECL_REF or y.kind is not Kind.DECL_REF or x.decl is None or y.decl is None:
            return None
        return self.facts.get(difference_key(x.decl, y.decl))

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
                             ideal_hi=_below_hi(ideal, target))
            if v.lost:
                widening = Widening(e, v.lost, source.bits, kind="zero")
                pending = pending | {Extension(widening, source.bits)}
            if v.lo >= target.min:
                return Value(v.lo, v.hi, v.taint if target.signed else frozenset(), pending,
                             ideal_hi=_below_hi(ideal, v))
            return _wrapped(v, target, pending, frozenset(), ideal)
        if target.bits < source.bits:
            # The upper bits are cut off: extensions whose ones all sit above go too.
            narrowed = _fit(target, v.lo, v.hi)
            return Value(narrowed.lo, narrowed.hi, frozenset(), _below(pending, target.bits),
                         ideal_hi=_below_hi(ideal, narrowed))
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
            klo, khi = shift_counts(b, t)
            pending = frozenset(Extension(x.widening, max(0, x.low - khi)) for x in a.pending)
            ideal = a.ideal >> klo if a.ideal is not None else None
            if a.nonneg:
                return _fit(t, a.lo >> khi, a.hi >> klo, pending=pending, ideal_hi=ideal)
            # `(x << 24) >> 24` is the idiom for sign extension: the sign is wanted.
            # A char shifted right stays as negative as it was (`table[c >> 4]`).
            return type_range(t, frozenset(o for o in a.taint if is_char_promotion(o)), pending, ideal_hi=ideal)
        if op == "&":
            return self._and(e, a, b)
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
        ia, ib = a.ideal, b.ideal
        if op in ("|", "^"):
            ideal = (1 << max(ia.bit_length(), ib.bit_length())) - 1 if ia is not None and ib is not None else None
            if a.nonneg and b.nonneg:
                top = (1 << max(a.hi.bit_length(), b.hi.bit_length())) - 1
                return _fit(t, max(a.lo, b.lo) if op == "|" else 0, top, pending=pending, lost=lost, ideal_hi=ideal)
            # With an operand that is always negative, its sign decides the result's: the
            # other's taint does not make it negative (`~b ^ (b << 24)`).
            taint = (a.taint if b.hi >= 0 else frozenset()) | (b.taint if a.hi >= 0 else frozenset())
            if op == "|" and min(a.hi, b.hi) < 0:  # OR-ing bits into a negative value keeps it negative
                return Value(max(x.lo for x in (a, b) if x.hi < 0), -1, taint, pending, lost, ideal)
            return type_range(t, taint, pending, lost, ideal)
        if op == "+":
            ideal = ia + ib if ia is not None and ib is not None else None
            return _fit(t, a.lo + b.lo, a.hi + b.hi, a.taint | b.taint, pending, lost, ideal)
        if op == "-":
            lo = a.lo - b.hi
            apart = self._difference_fact(e)  # `max_c - min_c` where `min_c > max_c` was rejected
            if apart is not None and lo < apart.lo <= a.hi - b.lo:
                self.facts_used[id(e)] = (e, apart)
                lo = apart.lo
            return _fit(t, lo, a.hi - b.lo, a.taint | b.taint, pending, lost)
        if op == "*":
            # `x * 0x1000000` moves x's bits as `x << 24` does: extension ones pushed out go.
            for k, other in ((_power_of_two(b), a), (_power_of_two(a), b)):
                if k is not None:
                    pending = frozenset(Extension(x.widening, x.low + k) for x in other.pending if x.low + k < t.bits)
                    break
            corners = (a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi)
            ideal = ia * ib if ia is not None and ib is not None else None
            if (t.signed and a.nonneg and b.nonneg and _bounded(a, t) and _bounded(b, t)
                    and max(corners) > t.max and (ideal is None or ideal > t.max)):
                # A product of non-negative values that can pass INT_MAX: signed overflow (unless
                # only a char's sign ones make it that large: `h * (u16)c` is the char's bug).
                return type_range(t, frozenset({e}), pending, lost)
            return _fit(t, min(corners), max(corners), pending=pending, lost=lost, ideal_hi=ideal)
        self._commit(a, b)
        if op == "/" and a.nonneg and b.lo > 0:
            return _fit(t, a.lo // b.hi, a.hi // b.lo)
        if op == "%" and b.lo > 0:
            if a.nonneg:
                return _fit(t, 0, min(a.hi, b.hi - 1))
            # The remainder of a negative char is negative: its ones start below b's bits.
            latent = frozenset(Extension(x.widening, min(x.low, (b.hi - 1).bit_length()))
                               for x in a.pending if x.widening.kind == LATENT)
            return _fit(t, -(b.hi - 1), b.hi - 1, a.taint, latent)
        if op == "/" and b.lo > 0:
            latent = frozenset(Extension(x.widening, max(0, x.low - (b.lo.bit_length() - 1)))
                               for x in a.pending if x.widening.kind == LATENT)
            return type_range(t, a.taint, latent)
        return type_range(t, a.taint if op in ("/", "%") else frozenset())

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
            return Value(a.lo << klo, top, frozenset(), pending, a.lost, _below_hi(ideal << khi, Value(0, top)))
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

    def _and(self, e: Expr, a: Value, b: Value) -> Value:
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
        pending = _not_complement_masks(kept_a | _masked(b.pending, a, e.children[0], kept_a), e.children,
                                        self.carried)
        # Upper bits an unsigned operand lost were meant to survive only where the other
        # operand's upper bits are ones as meant: it lost bits too, or it is a complement.
        lost = (a.lost if b.lost or _complement(e.children[1]) else frozenset()) | (
            b.lost if a.lost or _complement(e.children[0]) else frozenset())
        # `x & ~b`: the complement's ones are a mask's; only x can make the result negative.
        taint = frozenset(o for v, k in ((a, e.children[0]), (b, e.children[1])) for o in v.taint
                          if not (_complement(k) and o is _unparen_cast(k)))
        ia, ib = a.ideal, b.ideal
        ideal = min(ia, ib) if ia is not None and ib is not None else ia if ia is not None else ib
        if a.nonneg and b.nonneg:
            return Value(0, min(a.hi, b.hi), frozenset(), pending, lost, _below_hi(ideal, Value(0, min(a.hi, b.hi))))
        if a.nonneg or b.nonneg:
            return _fit(t, 0, a.hi if a.nonneg else b.hi, pending=pending, lost=lost, ideal_hi=ideal)
        return type_range(t, taint, pending, lost, ideal)

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
            return _fit(t, lo, hi, pending=a.pending)
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
        return _fit(t, min(x.lo, y.lo), max(x.hi, y.hi), x.taint | y.taint, pending, x.lost | y.lost, ideal)


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
    direct = {id(_unparen(o)) for o in operands}

    def complement(o: Expr) -> bool:
        if id(o) in carried:
            return all(_complement(t) for t in carried[id(o)][1].taint)
        return _complement(o)

    return frozenset(x for x in pending if not (
        x.widening.kind == "sign" and id(_unparen(x.widening.sink)) in direct and not x.widening.sink.explicit
        and all(complement(o) and _unparen_cast(x.widening.sink.children[-1]) is o for o in x.widening.origins)))


def _unparen(e: Expr) -> Expr:
    while e.kind is Kind.PAREN and e.children:
        e = e.children[-1]
    return e


def _unparen_cast(e: Expr) -> Expr:
    """e without parentheses and implicit conversions."""
    while e.kind in (Kind.PAREN, Kind.CAST) and e.children and not e.explicit:
        e = e.children[-1]
    return e


def _complement(e: Expr) -> bool:
    """Is e a '~' (after parentheses and implicit conversions)?"""
    e = _unparen_cast(e)
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


# Facts (context.Fact) are about local variables, keyed by Expr.decl (a cursor
# hash), and about values read through a local pointer: `*p`, `p[i]`, `p[3]` with p
# and i local, keyed by a tuple (lvalue_key). In a set of changed variables, MEMORY
# says that memory was written (a store through a pointer, a call): every fact
# about a pointed-to value ends there.
MEMORY = -1
LvalueKey = tuple  # (the pointer: a decl or an LvalueKey, 'k' or 'v', a constant index or the index's decl)


LVALUE_LEVELS = 8  # `***p` has a key; reads through more pointers than this have none


def lvalue_key(e: Expr) -> LvalueKey | None:
    """The identity of `*p` (`*p++` too), `p[i]` or `p[K]` (p, i local variables, or p
    itself such a read: `**pp`), for facts about the value read there; None for any
    other expression."""
    levels: list[tuple[Expr | None, bool]] = []  # (index or None for `*`, of a local array), outermost first
    while len(levels) < LVALUE_LEVELS:
        if e.kind is Kind.UNARY and e.op == "*" and e.children:
            base, index = e.children[0], None
        elif e.kind is Kind.SUBSCRIPT and len(e.children) == 2:
            base, index = e.children
        else:
            return None
        base = _through_casts(base)
        if index is None and base.kind is Kind.UNARY and base.op in ("post++", "post--") and base.children:
            base = _through_casts(base.children[0])  # `*p++` reads *p, then p moves
        levels.append((index, base.kind is Kind.DECL_REF and not base.type.is_pointer))  # array: `head[4]`
        if base.kind is Kind.DECL_REF and base.decl is not None:
            key = base.decl
            break
        if base.kind not in (Kind.UNARY, Kind.SUBSCRIPT):
            return None
        e = base
    else:
        return None
    for index, array in reversed(levels):
        k = 0 if index is None else index.value
        if k is not None:
            key = (key, "ka" if array else "k", k)  # `*p` is `p[0]`
            continue
        var = _through_casts(index)
        if var.kind is not Kind.DECL_REF or var.decl is None:
            return None
        key = (key, "va" if array else "v", var.decl)
    return key


def is_local_array_element(key: LvalueKey) -> bool:
    """An element of an array the function declares (`head[4]`), not memory a pointer reaches."""
    return key[1] in ("ka", "va")


def lvalue_reads(key: LvalueKey) -> frozenset[int]:
    """The variables an lvalue key (or a difference_key) reads: its pointers and indexes."""
    out = set()
    while True:
        pointer, how, index = key
        if how in ("v", "va", "-"):
            out.add(index)
        if not isinstance(pointer, tuple):
            out.add(pointer)
            return frozenset(out)
        key = pointer


def difference_key(x: int, y: int) -> tuple:
    """The key of a fact about x - y (x, y local variables): after `if (y > x) return;`
    it is at least 0. It is no read through a pointer: memory writes leave it."""
    return (x, "-", y)


def _through_casts(e: Expr) -> Expr:
    while e.children and e.kind in (Kind.PAREN, Kind.CAST) and not e.explicit:
        e = e.children[-1]
    return e


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


def assembles_bytes(e: Expr, known: dict[int, bool] | None = None) -> bool:
    """Is e a shift or an OR, or a sum with one (after parentheses): bytes being assembled?
    known: the answers for sums asked before (by id), kept up to date, so that asking it
    of every '+' of a macro's sum of thousands of terms costs no more than one walk."""
    found, work = False, [e]  # iterative: such a sum is as deep as it is long
    while work and not found:
        x = _through_casts(work.pop())
        if known is not None and id(x) in known:
            found = known[id(x)]
        elif x.kind is Kind.BINARY and x.op in ("<<", "|"):
            found = True
        elif x.kind is Kind.BINARY and x.op == "+":
            work.extend(x.children)
    if known is not None:
        known[id(_through_casts(e))] = found
    return found
