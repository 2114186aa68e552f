"""When a char read as negative cannot go wrong: SL003's evidence, function-wide.

SL003 reports a `char` byte used as an unsigned byte. These shapes of real code
look like that and are not (lib/kstrtox.c, lib/decompress_bunzip2.c):

- A byte stored in an unsigned variable that is only tested against ASCII:
  `unsigned int c = *s;` followed by `'0' <= c && c <= '9'`, `c - '0'` under that
  test, `lc = c | 0x20` tested the same way. A byte >= 0x80 becomes 0xffffff80..
  instead of 0x80.., but both are above 0x7f: every such test gives the same
  answer, so the wrong value changes nothing.
- A `char` that is a number, not a byte: a parameter used as a shift count
  (`1 << bits_wanted`). A count >= 0x80 is undefined anyway; converting it to an
  unsigned type is arithmetic on a small number.
- Rolling XORs of chars only compared with each other (`hsum ^= *hp; ... hsum ==
  nsum`): the ones above bit 7 of a XOR of sign-extended bytes repeat its bit 7,
  so equality is the same as with unsigned bytes.
- A `signed char` converted to an unsigned type as a whole value (stored,
  returned, compared), or multiplied on its way (`weight[i] * delta[i]`): a
  declared signed number (issue 15's `int8_t weight[]`). Likewise one taken to
  a 32-bit unsigned type only to be shifted and converted back to a signed
  type (opus's `(opus_int32)((opus_uint32)(x) << k)`).

Each answer is evidence visible in the function: the uses of one variable, or
where one value goes.
"""

from __future__ import annotations

from dataclasses import replace

from ..front.ir import Expr, Kind, Stmt, StmtKind, unparen
from .context import FunctionRanges
from .syntax import EXITS, assembles_bytes, assigned, assigned_in, is_char_promotion, reads_any, strip, variable_any
from .values import ValueAnalysis, constant

ASCII_MAX = 0x7F
_COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}
_DEPTH = 3  # `lc = c | 0x20` chains followed this far


class ByteUses:
    """The reads of each local variable of one function, with where they sit."""

    def __init__(self, body: Stmt, ranges: FunctionRanges) -> None:
        self._ranges = ranges
        self._parent: dict[int, Expr] = {}
        self._root: dict[int, Expr] = {}
        self._reads: dict[int, list[Expr]] = {}
        self._initialised: dict[int, int] = {}  # id(initialiser) -> variable
        self._init: dict[int, Expr] = {}  # id(initialiser) -> it
        self._statement: dict[int, Stmt] = {}  # id(root) -> the statement it belongs to
        self._outer: dict[int, Stmt] = {}  # id(statement) -> the statement around it
        for root in ranges.roots():
            work = [root]
            while work:
                e = work.pop()
                self._root[id(e)] = root
                for child in e.children:
                    self._parent[id(child)] = e
                    work.append(child)
                if e.kind is Kind.DECL_REF and e.decl is not None:
                    self._reads.setdefault(e.decl, []).append(e)
        self._collect_decls(body)

    def _collect_decls(self, body: Stmt) -> None:
        work = [body]
        while work:
            s = work.pop()
            for var, init in s.decls:
                if init is not None:
                    self._initialised[id(init)] = var
                    self._init[id(init)] = init
                    self._statement[id(init)] = s
            for e in s.exprs:
                self._statement[id(e)] = s
            for child in ([s.init] if s.init is not None else []) + s.body:
                self._outer[id(child)] = s
                work.append(child)

    # -- the questions SL003 asks ---------------------------------------------

    def only_ascii_tests(self, use: Expr) -> bool:
        """Is `use` (a byte, or a byte plus a constant, converted to an unsigned type)
        stored in a variable whose every read cannot tell 0x80.. from 0xffffff80..
        (`digit = *p - '0'` then `digit < base`: 0x50.. from 0xffffff50..)?"""
        if use.kind is not Kind.CAST or use.type.signed or not use.type.is_integer:
            return False
        offset = _byte_offset(use.children[-1]) if use.children else None
        if offset is None or ASCII_MAX + 1 + offset <= 0:
            return False
        var = self.stored_variable(use)
        if var is None:
            return self._compared_in_place(use, offset)
        return self._rejected_next(use, var, ASCII_MAX + 1 + offset) or self._tested_as_ascii(var, _DEPTH, offset)

    def _rejected_next(self, use: Expr, var: int, low: int) -> bool:
        """`size = *hdr++ - '0'; if (size > 9) return -1;` (git's parse_loose_header):
        the statement right after the store leaves for every value from low up, in
        both readings. Whatever var holds after it is either that byte, checked, or
        a value stored since (judged where it is stored)."""
        root = self._root.get(id(use))
        stmt = self._statement.get(id(root)) if root is not None else self._statement.get(id(use))
        outer = self._outer.get(id(stmt)) if stmt is not None else None
        if outer is None or outer.kind is not StmtKind.COMPOUND:
            return False
        at = next(i for i, s in enumerate(outer.body) if s is stmt)
        check = outer.body[at + 1] if at + 1 < len(outer.body) else None
        if check is None or check.kind is not StmtKind.IF or len(check.body) != 1 or not _leaves(check.body[0]):
            return False
        if var in assigned_in(check.exprs[0], calls=False) or _reads_in(check.body[0], var):
            return False  # `if (digit > 9) return digit;` lets the value out
        fact = self._ranges.condition(check.exprs[0], False, "", {}).get(var)
        return fact is not None and 0 <= fact.lo <= fact.hi < low

    def _compared_in_place(self, use: Expr, offset: int) -> bool:
        """`((unsigned)(c) - 'A') < 26U` (freetype's ft_isupper): the unsigned byte,
        moved by constants, compared at once with a bound no higher than the smallest
        right reading of a high byte."""
        at, parent = use, self._parent.get(id(use))
        while parent is not None:
            if parent.kind is Kind.PAREN or parent.kind is Kind.CAST and not parent.explicit \
                    and parent.type.is_integer and not parent.type.signed and parent.type.bits >= use.type.bits:
                at, parent = parent, self._parent.get(id(parent))
                continue
            if parent.kind is Kind.BINARY and parent.op in ("+", "-") and len(parent.children) == 2 \
                    and (parent.op == "+" or parent.children[0] is at):
                k = constant(parent.children[1] if parent.children[0] is at else parent.children[0])
                if k is None:
                    return False
                offset += k if parent.op == "+" else -k
                at, parent = parent, self._parent.get(id(parent))
                continue
            break
        if parent is None or parent.kind is not Kind.BINARY or parent.op not in _COMPARISONS:
            return False
        k = constant(parent.children[1] if parent.children[0] is at else parent.children[0])
        low = ASCII_MAX + 1 + offset
        if k is None or k < 0 or low <= 0:
            return False
        op = parent.op if parent.children[0] is at else _MIRRORED.get(parent.op, parent.op)
        return k <= low if op in ("<", ">=") else k < low

    def signed_number_converted(self, byte: Expr, use: Expr) -> bool:
        """A `signed char` (`s8`, `int8_t`) converted to an unsigned type where it is
        stored, returned, passed or compared, alone or after arithmetic (`u32 need =
        cookie.len`, `len = BASE + foc->len`, `num = get_arg(signed char)` for %hhd):
        its declared type says it is a signed number, not a byte read wrongly. As an
        operand of a byte operation (`w << 8 | sc`, added to assembled bytes) it is
        still a byte."""
        if byte.type.is_plain_char or not byte.type.signed or use.kind is not Kind.CAST:
            return False
        # `(u32)(u64)sc`, `c ? sc : b` are still that value; `((unsigned)len + 1) * 4`
        # (lua's sizestrshr) is arithmetic on it
        parent = self._climb(use, lambda p: p.kind in (Kind.PAREN, Kind.CAST, Kind.CONDITIONAL) or _counted(p))[1]
        return parent is None or parent.kind not in (Kind.BINARY, Kind.COMPOUND_ASSIGN) or parent.op in (
            "=", *_COMPARISONS)

    def signed_number_in_product(self, byte: Expr, promotion: Expr, use: Expr) -> bool:
        """A `signed char` multiplied or divided on its way to the use (`weight[i] *
        delta[i]`, libarchive's rar audio filter): a product of a signed number is a
        number; no byte use applies to that very value."""
        if byte.type.is_plain_char or not byte.type.signed:
            return False
        node, steps = promotion, 0
        while node is not use and steps < 64:
            parent = self._parent.get(id(node))
            if parent is None:
                return False
            if parent.kind is Kind.BINARY and parent.op in ("*", "/", "%"):
                return True
            node, steps = parent, steps + 1
        return False

    def signed_number_back_to_signed(self, byte: Expr, use: Expr) -> bool:
        """`(opus_int32)((opus_uint32)(x) << k)` on a `signed char` x (opus's silk_LSHIFT,
        which goes through unsigned only because a left shift of a negative int is
        undefined): from the conversion to an unsigned type of 32 or 64 bits to one
        back to a signed type no wider, through `<<` (as the shifted operand), `+`,
        `-` and `*` only, the arithmetic is mod 2^N in both readings, so -128 << 10
        comes out as -131072. The ones a negative number brings are its value, not a
        byte's error."""
        if (byte.type.is_plain_char or not byte.type.signed or use.kind is not Kind.CAST
                or use.type.signed or use.type.bits < 32):
            return False
        at, parent = use, self._parent.get(id(use))
        while parent is not None and (parent.kind is Kind.PAREN or parent.kind is Kind.BINARY and (
                parent.op in ("+", "-", "*") or parent.op == "<<" and parent.children[0] is at)):
            at, parent = parent, self._parent.get(id(parent))
        return (at is not use and parent is not None and parent.kind is Kind.CAST and parent.type.is_integer
                and parent.type.signed and parent.type.bits <= use.type.bits)

    def xor_compared_only(self, use: Expr) -> bool:
        """`hsum = *hay; ... hsum ^= *hp; ... if (hsum == nsum)` with nsum built the
        same way (libarchive's warc.c xmemmem, a rolling XOR): a sign-extended byte
        is the byte XOR ones above bit 7 when bit 7 is set, so the ones of a XOR of
        such bytes are bit 7 of the XOR, repeated. Two such XORs are equal exactly
        when their unsigned-byte XORs are: the comparison cannot go wrong."""
        if use.kind is not Kind.CAST:
            return False
        parent = self._climb(use)[1]
        if parent is not None and parent.kind is Kind.COMPOUND_ASSIGN and parent.op == "^=":
            var = variable_any(parent.children[0])
        else:
            var = self.stored_variable(use)
        if var is None:
            return False
        group, work = {var}, [var]
        while work:
            v = work.pop()
            if v in self._ranges.escaped or not self._reads.get(v):
                return False
            for read in self._reads[v]:
                partner = self._xor_read(read)
                if partner is None:
                    return False
                if partner not in group and partner != -1:
                    group.add(partner)
                    work.append(partner)
        return True

    def _xor_read(self, read: Expr) -> int | None:
        """For one occurrence of a rolling-XOR variable: -1 when it is written with a
        char (`v = c`, `v ^= c`), the variable it is compared with (`v == w`), None
        for any other use."""
        at, parent = self._climb(read)
        if parent is None or len(parent.children) != 2:
            return None
        left, right = parent.children
        if left is at and (parent.kind is Kind.COMPOUND_ASSIGN and parent.op == "^="
                           or parent.kind is Kind.BINARY and parent.op == "="):
            return -1 if _is_char_conversion(right) else None
        if parent.kind is Kind.BINARY and parent.op in ("==", "!="):
            return variable_any(right if left is at else left)
        return None

    def bytes_combined_only(self, use: Expr) -> bool:
        """`a[i] ^ b[i]`, `c | 0x20`: '|' and '^' of sign-extended bytes give a
        sign-extended byte, zero exactly when the unsigned bytes give zero and equal
        to another such value exactly when they are. Harmless where the result is
        only tested for zero or equality with such a value, returned as an int, or
        kept in an int variable used that way (curl's `match |= a[i] ^ b[i]` in a
        constant-time compare); still reported where it is widened or shifted."""
        if not _combined_bytes(use):
            return False
        return self._byte_result_unseen(use, _DEPTH)

    def _byte_result_unseen(self, e: Expr, depth: int) -> bool:
        at, parent = self._climb(e, lambda p: p.kind is Kind.PAREN or _combined_bytes(p)
                                 or p.kind is Kind.CAST and not p.explicit and p.type.signed and p.type.bits == 32)
        var = self._initialised.get(id(at))
        if var is None and parent is None:  # a statement's whole expression: returned as an int, or tested
            stmt = self._statement.get(id(at))
            return stmt is not None and (stmt.kind is StmtKind.RETURN or stmt.kind in (
                StmtKind.IF, StmtKind.WHILE, StmtKind.DO, StmtKind.FOR) and stmt.exprs[0] is at)
        if var is None:
            if parent.kind is Kind.UNARY and parent.op == "!" or parent.kind is Kind.BINARY and parent.op in (
                    "&&", "||"):
                return True
            if parent.kind is Kind.BINARY and parent.op in ("==", "!=") and len(parent.children) == 2:
                other = parent.children[1] if parent.children[0] is at else parent.children[0]
                return _byte_sized(other)
            if parent.kind in (Kind.BINARY, Kind.COMPOUND_ASSIGN) and parent.op in ("=", "|=", "^=") \
                    and parent.children[-1] is at:
                var = variable_any(parent.children[0])
        if var is None or var in self._ranges.escaped or depth == 0:
            return False
        if any(v == var and not _byte_sized(self._init[i]) for i, v in self._initialised.items()):
            return False
        for read in self._reads.get(var, []):  # kept in an int: each read used the same way
            if not read.type.signed or read.type.bits != 32:
                return False
            r_at, r_parent = self._climb(read)
            if r_parent is not None and r_parent.kind in (Kind.BINARY, Kind.COMPOUND_ASSIGN) \
                    and r_parent.children[0] is r_at and r_parent.op in ("=", "|=", "^="):
                if not _byte_sized(r_parent.children[1]):
                    return False  # `m = x << 8; m |= a ^ b`: the ones would cover x's bits
                continue
            if not self._byte_result_unseen(read, depth - 1):
                return False
        return True

    def assembled_compared_with_ascii(self, promotion: Expr) -> bool:
        """`(s[0]<<24)|(s[1]<<16)|(s[2]<<8)|s[3]` only tested for equality with
        constants made of ASCII bytes (git's CACHE_EXT in a `switch` of "TREE",
        "REUC"...): read unsigned, a byte >= 0x80 sets bit 7 of its place, which no
        such constant has; read signed, its ones reach bit 31, which none has either.
        So no such value matches in either reading, and every other value is the
        same in both."""
        top, parent = self._climb(promotion, lambda p: _transparent(p) or _assembly_step(p))
        if top is promotion or not _assembled_chars(top):
            return False
        if parent is not None:
            if parent.kind is not Kind.BINARY or parent.op not in ("==", "!=") or len(parent.children) != 2:
                return False
            other = parent.children[1] if parent.children[0] is top else parent.children[0]
            return _ascii_word(constant(other))
        stmt = self._statement.get(id(top))
        if stmt is None or stmt.kind is not StmtKind.SWITCH or stmt.exprs[0] is not top:
            return False
        labels = _case_values(stmt.body[0])
        return labels is not None and all(lo == hi and _ascii_word(lo) for lo, hi in labels)

    def used_as_number(self, byte: Expr) -> bool:
        """Is the char variable `byte` reads also used as a shift count?"""
        var = variable_any(byte)
        if var is None or var in self._ranges.escaped:
            return False
        for read in self._reads.get(var, []):
            at, parent = self._climb(read)
            if parent is None or not parent.children or parent.children[-1] is not at:
                continue
            if parent.op in ("<<", ">>", "<<=", ">>=") and len(parent.children) == 2:
                return True
        return False

    # -- helpers ----------------------------------------------------------------

    def stored_variable(self, e: Expr) -> int | None:
        """The local variable e's value is stored in: `T v = e;` or `v = e`."""
        at, parent = self._climb(e, lambda p: p.kind is Kind.PAREN)
        if id(at) in self._initialised:
            var = self._initialised[id(at)]
        elif parent is not None and parent.kind is Kind.BINARY and parent.op == "=" and parent.children[-1] is at:
            var = variable_any(parent.children[0])
        else:
            return None
        return None if var is None or var in self._ranges.escaped else var

    def _tested_as_ascii(self, var: int, depth: int, offset: int = 0) -> bool:
        reads = self._reads.get(var, [])
        if not reads or var in self._ranges.escaped:
            return False
        for read in reads:
            if self._is_target(read):
                continue  # written, not read: `c = *s` itself
            if read.type.signed or not read.type.is_integer:
                return False  # -128 and 128 do differ in `c >= '0'`
            if not self._ascii_read(read, var, depth, offset):
                return False
        return True

    def _ascii_read(self, read: Expr, var: int, depth: int, offset: int) -> bool:
        """Does this read give the same answer for both readings of a high byte?
        They are 0x80 + offset .. 0xff + offset and (as unsigned) 0xffffff80 + offset ..:
        a test against a bound no higher than the first is false for both."""
        low = ASCII_MAX + 1 + offset  # the smallest right reading of a high byte
        facts = self._facts_at(read)
        fact = facts.get(var) if facts is not None else None
        if fact is not None and 0 <= fact.lo <= fact.hi < low:
            return True  # under `'0' <= c && c <= '9'`: no byte >= 0x80 gets here
        if self._replaced_before(read, var, low):
            return True
        at, parent = self._climb(read)
        if self._glibc_class_index(parent):
            return True
        if parent is not None and parent.kind is Kind.CAST and parent.type.is_integer and parent.type.bits == 8:
            return True  # `(unsigned char)(c)` (git's sane_istest): the low 8 bits, the same in both readings
        if parent is None or parent.kind is not Kind.BINARY or len(parent.children) != 2:
            return False
        other = parent.children[1] if parent.children[0] is at else parent.children[0]
        k = constant(other)
        if parent.op == "&" and k is not None and 0 <= k <= 0xFF:
            return True  # `c & 0xFC`: the same low bits in both readings
        if parent.op == "<<" and parent.children[0] is at and k is not None and read.type.bits - 8 <= k:
            return True  # `c << 24` in 32 bits: only the low 8 bits stay, the same in both readings
        op = parent.op if parent.children[0] is at else _MIRRORED.get(parent.op, parent.op)
        if op in _COMPARISONS:
            # `digit < base` with base proved 8: its highest value stands for it
            bound = ValueAnalysis(facts).visit(other) if k is None and facts is not None else None
            if bound is not None and bound.lo is not None and bound.lo >= 0:
                k = bound.hi
            if k is None or k < 0:
                return False
            return k <= low if op in ("<", ">=") else k < low
        if k is None or k < 0 or k > ASCII_MAX or offset:
            return False
        if parent.op in ("|", "^") and depth > 0:
            stored = self.stored_variable(parent) or self.stored_variable(self._climb(parent)[0])
            return stored is not None and stored != var and self._tested_as_ascii(stored, depth - 1)
        return False

    def _glibc_class_index(self, cast: Expr | None) -> bool:
        """`(*__ctype_b_loc())[(int)(c)]`, glibc's isspace(c) and its kin: the
        table is indexed -128..255 and its -128..-1 are laid out as 0x80..0xff
        (locale/C-ctype.c), so 0xffffff80.. as an int classifies as 0x80.. does."""
        if cast is None or cast.kind is not Kind.CAST or not cast.type.signed or cast.type.bits != 32:
            return False
        index, table = self._climb(cast, lambda p: p.kind is Kind.PAREN)
        return (table is not None and table.kind is Kind.SUBSCRIPT and table.children[-1] is index
                and self._ranges.conditions.is_glibc_ctype_table(table))

    def _replaced_before(self, read: Expr, var: int, low: int) -> bool:
        """`if (c > 127) c = UNICODE_R_CHAR;` is the last statement before read that
        sets var (archive_string.c): every high byte was replaced there, in both
        readings, and what gets past it is ASCII."""
        root = self._root.get(id(read))
        at = self._statement.get(id(root)) if root is not None else None
        while at is not None:
            outer = self._outer.get(id(at))
            if outer is None or outer.kind in (StmtKind.WHILE, StmtKind.DO, StmtKind.FOR, StmtKind.LABEL,
                                               StmtKind.CASE, StmtKind.DEFAULT, StmtKind.SWITCH, StmtKind.OTHER):
                return False  # a way in from elsewhere: the loop's last round, a jump
            if outer.kind is StmtKind.IF and var in assigned_in(outer.exprs[0], calls=False):
                return False
            if outer.kind is StmtKind.COMPOUND:
                before = outer.body[:next(i for i, s in enumerate(outer.body) if s is at)]
                for s in reversed(before):
                    if var in assigned(s):
                        return self._replacing_if(s, var, low)
            at = outer
        return False

    def _replacing_if(self, s: Stmt, var: int, low: int) -> bool:
        """`if (cond) { ... var = e; ... }`, no else, cond true for every high byte
        (false only below low) and e not made of var."""
        if s.kind is not StmtKind.IF or len(s.body) != 1 or var in assigned_in(s.exprs[0], calls=False):
            return False
        fact = self._ranges.condition(s.exprs[0], False, "", {}).get(var)
        if fact is None or not 0 <= fact.lo <= fact.hi < low:
            return False
        then = s.body[0]
        for stmt in then.body if then.kind is StmtKind.COMPOUND else [then]:
            e = strip(stmt.exprs[0]) if stmt.kind is StmtKind.EXPR and stmt.exprs else None
            if e is not None and e.kind is Kind.BINARY and e.op == "=" and variable_any(e.children[0]) == var:
                return not reads_any(e.children[1], {var})
        return False

    def _facts_at(self, read: Expr):
        """The facts that hold where read is evaluated (inside `?:` and `&&` too)."""
        root = self._root.get(id(read))
        if root is None:
            return None
        scoped = self._ranges.scoped_at(root)
        node: Expr | None = read
        while node is not None:
            if id(node) in scoped:
                return scoped[id(node)]
            node = self._parent.get(id(node)) if node is not root else None
        return self._ranges.facts_at(root)

    def _climb(self, e: Expr, through=None) -> tuple[Expr, Expr | None]:
        """Up through the parents `through` accepts (default: parentheses and implicit
        conversions): (the outermost, its parent)."""
        through = through or _transparent
        at = e
        parent = self._parent.get(id(at))
        while parent is not None and through(parent):
            at, parent = parent, self._parent.get(id(parent))
        return at, parent

    def _is_target(self, read: Expr) -> bool:
        at, parent = self._climb(read)
        return (parent is not None and parent.kind in (Kind.BINARY, Kind.COMPOUND_ASSIGN)
                and parent.op == "=" and parent.children[0] is at)


def drop_harmless_chars(analysis: ValueAnalysis, uses: ByteUses) -> None:
    """Take out of analysis the char uses (and char widenings) that cannot go wrong."""
    def harmless(promotion: Expr, use: Expr) -> bool:
        byte = promotion.children[-1] if is_char_promotion(promotion) else promotion
        return (uses.used_as_number(byte) or uses.only_ascii_tests(use) or uses.signed_number_converted(byte, use)
                or uses.signed_number_in_product(byte, promotion, use) or uses.signed_number_back_to_signed(byte, use)
                or uses.xor_compared_only(use)
                or uses.bytes_combined_only(use) or uses.assembled_compared_with_ascii(promotion))

    analysis.char_uses = [(p, u) for p, u in analysis.char_uses if not harmless(p, u)]
    kept = []
    for w in analysis.widenings:
        if w.kind == "char":
            origins = frozenset(o for o in w.origins if not harmless(o, w.sink))
            if not origins:
                continue
            w = replace(w, origins=origins) if origins != w.origins else w
        kept.append(w)
    analysis.widenings = kept


def has_char_uses(analysis: ValueAnalysis) -> bool:
    return bool(analysis.char_uses) or any(w.kind == "char" for w in analysis.widenings)


def _counted(e: Expr) -> bool:
    """`x + 1`, `x * 4`, `offsetof(T, f) + x`: a number moved or scaled; not bytes
    assembled (`(w << 8) + x`) nor `0xff - x`."""
    if e.kind is not Kind.BINARY or e.op not in ("+", "-", "*") or len(e.children) != 2:
        return False
    if e.op == "*":
        return any(constant(c) is not None for c in e.children)
    for c in e.children:
        k = constant(c)
        if k is not None and not 0 <= k < 0xFF or assembles_bytes(c):
            return False
    return True


def _leaves(s: Stmt) -> bool:
    """Does s always leave (`return -1;`, `{ error(...); break; }`)?"""
    while s.kind is StmtKind.COMPOUND and s.body:
        s = s.body[-1]
    return s.kind in EXITS


def _reads_in(s: Stmt, var: int) -> bool:
    """Does any expression of s, or of a statement inside it, read var?"""
    work = [s]
    while work:
        x = work.pop()
        if any(reads_any(e, {var}) for e in x.exprs) or any(init is not None and reads_any(init, {var})
                                                          for _, init in x.decls):
            return True
        work.extend(([x.init] if x.init is not None else []) + x.body)
    return False


def _assembly_step(e: Expr) -> bool:
    """`x | y`, or `x << k` by a constant multiple of 8 below 32."""
    if e.kind is not Kind.BINARY or len(e.children) != 2:
        return False
    if e.op == "|":
        return True
    k = constant(e.children[1]) if e.op == "<<" else None
    return k is not None and k in (0, 8, 16, 24)


def _assembled_chars(e: Expr) -> bool:
    """Is e made only of char reads put in place by `<<` and joined by `|`?"""
    work = [e]
    while work:
        x = work.pop()
        while _transparent(x) and x.children:
            if _char_read(x):
                break
            x = x.children[-1]
        if _char_read(x):
            continue
        if not _assembly_step(x) or x.type.bits != 32:
            return False
        work.append(x.children[0])
        if x.op == "|":
            work.append(x.children[1])
    return True


def _ascii_word(k: int | None) -> bool:
    """A non-negative 32-bit constant whose four bytes are all below 0x80."""
    return k is not None and 0 <= k <= 0xFFFFFFFF and all((k >> shift) & 0x80 == 0 for shift in (0, 8, 16, 24))


def _case_values(body: Stmt) -> list[tuple[int, int]] | None:
    """The values of a switch body's case labels (not those of switches inside it);
    None when one is not a constant."""
    out, work = [], [body]
    while work:
        s = work.pop()
        if s.kind is StmtKind.SWITCH:
            continue
        if s.kind is StmtKind.CASE:
            if s.case_values is None:
                return None
            out.append(s.case_values)
        work.extend(([s.init] if s.init is not None else []) + s.body)
    return out


def _combined_bytes(e: Expr) -> bool:
    """`a ^ b`, `c | 0x20`: '|' or '^' of chars and constants in -128..127 (as ints)."""
    if e.kind is not Kind.BINARY or e.op not in ("|", "^") or len(e.children) != 2:
        return False
    return all(_byte_sized(x) for x in e.children)


def _byte_sized(e: Expr) -> bool:
    """A char, a constant in -128..127, or '|' and '^' of them."""
    return _char_read(e) or _small_constant(e) or _combined_bytes(unparen(e))


def _char_read(e: Expr) -> bool:
    x = e
    while x.children and (x.kind is Kind.PAREN or x.kind is Kind.CAST and not x.explicit):
        if x.type.is_integer and x.type.bits == 8:
            break
        x = x.children[-1]
    return x.type.is_integer and x.type.bits == 8 and x.type.signed


def _small_constant(e: Expr) -> bool:
    k = constant(e)
    return k is not None and -0x80 <= k <= 0x7F


def _byte_offset(e: Expr) -> int | None:
    """k when e is a char byte plus the constant k (`*p`, `*p - '0'`), else None."""
    while e.kind is Kind.PAREN and e.children:
        e = e.children[-1]
    if e.kind is Kind.BINARY and e.op in ("+", "-") and len(e.children) == 2:
        left, right = e.children
        k = constant(right)
        if k is not None and _is_byte(left):
            return k if e.op == "+" else -k
        k = constant(left)
        if k is not None and e.op == "+" and _is_byte(right):
            return k
        return None
    return 0 if _is_byte(e) else None


def _is_byte(e: Expr) -> bool:
    while e.children and (e.kind is Kind.PAREN or e.kind is Kind.CAST and not e.explicit):
        if e.type.is_integer and e.type.bits == 8:
            break
        e = e.children[-1]
    return e.type.is_integer and e.type.bits == 8 and (e.type.signed or e.type.is_plain_char)


def _is_char_conversion(e: Expr) -> bool:
    """A char read, converted (implicitly) to the variable's type: `v ^= *p`."""
    while e.kind is Kind.PAREN and e.children:
        e = e.children[-1]
    if e.kind is not Kind.CAST or e.explicit or not e.children:
        return False
    source = e.children[-1].type
    return source.is_integer and source.bits == 8 and (source.signed or source.is_plain_char)


def _transparent(e: Expr) -> bool:
    return e.kind is Kind.PAREN or e.kind is Kind.CAST and not e.explicit
