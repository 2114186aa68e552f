"""Expressions from cursors: the ir.Expr tree of an expression of one
translation unit, the CType of its parts, and the pre-test of a root.

In: expression cursors of one parsed TU (and clang types, for ctype). Out:
ir.Expr trees, post-order, each node's handle its cursor, literals and folded
constants valued, bit-fields sized, const tables' element ranges attached; the
statements found inside an expression (GNU statement expressions) are handed
back for the caller to walk. is_origin and scanner tell the roots in which the
value analysis can find something from those in which it cannot.
"""

from __future__ import annotations

from dataclasses import replace

from .ir import NOT_INTEGER, CType, Expr, Kind, implicit_gone
from .libclang import EXPR_FIRST, EXPR_LAST, VAR_DECL, CXType, ci, evaluate

# CXCursorKind numbers (stable across releases) for the hot path.
_UNEXPOSED_EXPR, _DECL_REF, _MEMBER_REF, _CALL = 100, 101, 102, 103
_INTEGER_LITERAL, _CHARACTER_LITERAL, _PAREN, _UNARY = 106, 110, 111, 112
_SUBSCRIPT, _BINARY, _COMPOUND_ASSIGN, _CONDITIONAL, _CSTYLE_CAST = 113, 114, 115, 116, 117
_MUL, _SHL = 3, 8  # CXBinaryOperatorKind
_NOT = 9  # CXUnaryOperatorKind of '~'
_SIZEOF_LIKE = 136  # sizeof / alignof (UnaryExprOrTypeTraitExpr)
_FIELD_DECL, _ENUM_CONSTANT_DECL = 6, 7

_EXPECT_BUILTINS = ("__builtin_expect", "__builtin_expect_with_probability")  # likely(), unlikely()

# CXUnaryOperatorKind (clang-c/Index.h).
_UNARY_OPS = {1: "post++", 2: "post--", 3: "++", 4: "--", 5: "&", 6: "*", 7: "+", 8: "-",
              9: "~", 10: "!", 11: "__real", 12: "__imag", 13: "__extension__"}

_BINARY_SPELLINGS = {
    "PtrMemD": ".*", "PtrMemI": "->*", "Mul": "*", "Div": "/", "Rem": "%", "Add": "+", "Sub": "-",
    "Shl": "<<", "Shr": ">>", "Cmp": "<=>", "LT": "<", "GT": ">", "LE": "<=", "GE": ">=", "EQ": "==",
    "NE": "!=", "And": "&", "Xor": "^", "Or": "|", "LAnd": "&&", "LOr": "||", "Assign": "=",
    "MulAssign": "*=", "DivAssign": "/=", "RemAssign": "%=", "AddAssign": "+=", "SubAssign": "-=",
    "ShlAssign": "<<=", "ShrAssign": ">>=", "AndAssign": "&=", "XorAssign": "^=", "OrAssign": "|=",
    "Comma": ",",
}
_BINARY_OPS = {op.value: _BINARY_SPELLINGS.get(op.name, op.name) for op in ci.BinaryOperator} if ci else {}

# Canonical integer type kinds, with their signedness; sizes come from clang.
_INTEGER_KINDS = {
    "BOOL": False, "CHAR_U": False, "UCHAR": False, "CHAR16": False, "CHAR32": False,
    "USHORT": False, "UINT": False, "ULONG": False, "ULONGLONG": False, "UINT128": False,
    "CHAR_S": True, "SCHAR": True, "WCHAR": True, "SHORT": True, "INT": True,
    "LONG": True, "LONGLONG": True, "INT128": True,
}


class Expressions:
    """The expressions of one TU (tu, the bindings' TranslationUnit), converted on
    demand through fast (libclang.Raw); types are cached per TU."""

    def __init__(self, tu, fast) -> None:
        self._tu = tu
        self._fast = fast
        self._ctypes: dict[tuple, CType] = {}  # by canonical type kind (or enum)
        self._type_ctypes: dict[int | None, CType] = {}  # by CXType data0: one entry per type spelled
        self._tables: dict[int, tuple[int, int] | None] = {}  # const arrays' element ranges, by declaration

    # -- the pre-test: can a root produce anything? ---------------------------
    #
    # The value analysis (values.py) reports only widenings, char uses and sign
    # shifts, and each needs an origin in the root: a '<<' (a sign shift, or upper
    # bits lost), a '*' of signed type (an overflow), a '~' of signed type or of an
    # unsigned type of at most 32 bits, a conversion of a signed 8-bit value (a
    # char promotion, or a char used as an index), or the widening of a call's
    # signed result (a helper's shift, helpers.py). A root without any of them
    # yields nothing, so it is neither converted nor analysed. The test looks at
    # cursor kinds, operator kinds and (for a few cursors) types only. A new kind
    # of origin in values.py must be added here: tests/test_prefilter.py compares
    # the results with and without this test on every fixture.

    def is_origin(self, c) -> bool:
        """Is the cursor itself a '<<', a signed '*' or a '~' that can lose or set
        upper bits (see above)?"""
        kind = c._kind_id
        raw = self._fast.lib
        if kind == _BINARY:
            op = raw.clang_getCursorBinaryOperatorKind(c)
            if op == _SHL:
                return True
            return op == _MUL and self._ctype_of(c).signed
        if kind == _UNARY and raw.clang_getCursorUnaryOperatorKind(c) == _NOT:
            t = self._ctype_of(c)
            return t.is_integer and (t.signed or t.bits <= 32)
        return False

    def scanner(self):
        """A clang_visitChildren callback over the cursors of one root: recurses
        into expressions, collects statements (in its data list) and breaks at the
        first origin. A char is looked for among the operands of conversions
        (implicit ones are unexposed expressions) and subscripts."""
        is_origin, ctype_of = self.is_origin, self._ctype_of
        operators = frozenset({_BINARY, _UNARY})
        conversions = frozenset({_UNEXPOSED_EXPR, _CSTYLE_CAST, _SUBSCRIPT})  # their operands may be chars

        def scan(child, parent, statements) -> int:
            kind = child._kind_id
            if kind < EXPR_FIRST or kind > EXPR_LAST:
                if 200 <= kind < 300:
                    statements.append(child)
                return 1  # CXChildVisit_Continue
            if kind in operators and is_origin(child):
                return 0  # CXChildVisit_Break
            if parent._kind_id in conversions:
                t = ctype_of(child)
                if t.signed and t.bits == 8:
                    return 0
                if kind == _CALL and t.signed and t.is_integer and ctype_of(parent).bits > t.bits:
                    return 0  # an int result widened: a helper's shift may have made it negative
            elif kind == _CALL and parent._kind_id == _PAREN:  # `(get(p)) == x`: its conversion is above
                t = ctype_of(child)
                if t.signed and t.is_integer and t.bits <= 32:
                    return 0
            return 2  # CXChildVisit_Recurse

        return self._fast.visit(scan)

    def convert(self, root, statements: list) -> Expr:
        """Post-order conversion of an expression; statements found inside it (GNU
        statement expressions) are appended to statements for the caller to walk."""
        fast, tu = self._fast, self._tu
        done: list[Expr] = []
        work: list[tuple] = [(root, -1)]
        while work:
            c, count = work.pop()
            if count < 0:
                kids = []
                for ch in fast.children(c):
                    ch._tu = tu
                    kid = ch._kind_id
                    if EXPR_FIRST <= kid <= EXPR_LAST:
                        kids.append(ch)
                    elif 200 <= kid < 300:
                        statements.append(ch)
                work.append((c, len(kids)))
                work.extend((ch, -1) for ch in reversed(kids))
            else:
                children = done[len(done) - count :] if count else []
                del done[len(done) - count :]
                done.append(self._node(c, children))
        return done[0]

    def _node(self, c, children: list[Expr]) -> Expr:
        kid = c._kind_id
        raw = self._fast.lib
        node = Expr(Kind.OTHER, self._ctype_of(c), children, handle=c)
        if kid in (_BINARY, _COMPOUND_ASSIGN):
            node.kind = Kind.BINARY if kid == _BINARY else Kind.COMPOUND_ASSIGN
            node.op = _BINARY_OPS.get(raw.clang_getCursorBinaryOperatorKind(c), "?")
            if node.op in ("<<", ">>") and len(children) == 2 and children[1].value is None:
                # A count clang can fold (type_max(), hweight32(const), a const local)
                # is exact; asking only here keeps evaluation off the hot path.
                children[1].value = evaluate(children[1].handle)
        elif kid == _UNARY:
            node.kind = Kind.UNARY
            node.op = _UNARY_OPS.get(raw.clang_getCursorUnaryOperatorKind(c), "?")
        elif kid == _CSTYLE_CAST:
            node.kind, node.explicit = Kind.CAST, True
        elif kid == _UNEXPOSED_EXPR:
            if len(children) == 1:  # an implicit conversion (or a no-op wrapper)
                node.kind = Kind.CAST
        elif kid == _PAREN:
            node.kind = Kind.PAREN
        elif kid in (_INTEGER_LITERAL, _CHARACTER_LITERAL):
            node.kind, node.value = Kind.LITERAL, evaluate(c)
        elif kid == _DECL_REF:
            node.kind = Kind.DECL_REF
            if raw.clang_getCursorReferenced(c)._kind_id == _ENUM_CONSTANT_DECL:
                node.value = evaluate(c)
        elif kid == _MEMBER_REF:
            node.kind = Kind.MEMBER
            ref = raw.clang_getCursorReferenced(c)
            if ref._kind_id == _FIELD_DECL and raw.clang_Cursor_isBitField(ref):
                node.bitfield_width = raw.clang_getFieldDeclBitWidth(ref)
                node.type = self._ctype_of(ref)  # the declared type, for its sign
        elif kid == _CONDITIONAL:
            node.kind = Kind.CONDITIONAL
        elif kid == _CALL:
            node.kind = Kind.CALL
            if len(children) in (3, 4) and c.spelling in _EXPECT_BUILTINS:
                # `if (unlikely(x > max))`: __builtin_expect's value is its first argument
                # (converted to long), so tests and ranges see through it.
                node.kind, node.children = Kind.CAST, children[1:2]
        elif kid == _SUBSCRIPT:
            node.kind = Kind.SUBSCRIPT
            if node.type.is_integer and children:
                node.elements = self._table_range(children[0])
        elif kid == _SIZEOF_LIKE:
            node.value = evaluate(c)
        return node

    def _table_range(self, base: Expr) -> tuple[int, int] | None:
        """For `table[i]` where table is a const array whose initializer is a list of
        constants (`static const char xmlEscapeContent[] = { 8, '&', ... }`): the
        lowest and highest element, 0 among them (elements left out are 0)."""
        base = implicit_gone(base)
        if base.kind is not Kind.DECL_REF:
            return None
        ref = self._fast.lib.clang_getCursorReferenced(base.handle)
        if ref._kind_id != VAR_DECL:
            return None
        key = ref.hash
        if key not in self._tables:
            self._tables[key] = _constant_elements(ref, self._tu)
        return self._tables[key]

    def _ctype_of(self, c) -> CType:
        """The type of a cursor, cached per type as spelled (a typedef, say)."""
        t = self._fast.lib.clang_getCursorType(c)
        found = self._type_ctypes.get(t.data0)
        if found is None:
            found = self._type_ctypes[t.data0] = self.ctype(t)
        return found

    def ctype(self, t: CXType) -> CType:
        """The CType of a clang type, cached per canonical type (per enum)."""
        raw = self._fast.lib
        canon = raw.clang_getCanonicalType(t)
        kind_id = canon.kind
        found = self._ctypes.get(kind_id)
        if found is not None:
            return found
        kind = ci.TypeKind.from_id(kind_id)
        if kind == ci.TypeKind.ENUM:  # keyed by the enum: its underlying type varies
            enum = ci.Type.from_buffer_copy(canon)  # for the bindings' properties
            enum._tu = self._tu
            key = ("enum", enum.spelling)
            if key not in self._ctypes:
                declaration = enum.get_declaration()
                underlying = declaration.enum_type.get_canonical()
                t = self._integer(underlying.kind.name, raw.clang_Type_getSizeOf(canon))
                values = [c.enum_value for c in declaration.get_children()
                          if c.kind == ci.CursorKind.ENUM_CONSTANT_DECL]
                if t.is_integer and values:
                    t = replace(t, enum_range=_enum_range(values, t))
                self._ctypes[key] = t
            return self._ctypes[key]
        if kind.name in _INTEGER_KINDS:
            found = self._integer(kind.name, raw.clang_Type_getSizeOf(canon))
        elif kind == ci.TypeKind.POINTER:
            found = CType(False, raw.clang_Type_getSizeOf(canon) * 8, is_pointer=True)
        else:
            found = NOT_INTEGER
        self._ctypes[kind_id] = found
        return found

    @staticmethod
    def _integer(kind_name: str, size: int) -> CType:
        if kind_name not in _INTEGER_KINDS or size <= 0:
            return NOT_INTEGER
        if kind_name == "BOOL":
            return CType(True, 1, False, is_bool=True)
        return CType(True, size * 8, _INTEGER_KINDS[kind_name], is_plain_char=kind_name in ("CHAR_S", "CHAR_U"))


def _enum_range(values: list[int], t: CType) -> tuple[int, int] | None:
    """The values an enum's enumerators can form, OR-ed together as flags: all the
    bits of the largest one (and the sign, if one is negative)."""
    top = max(max(values).bit_length(), (-min(values) - 1).bit_length() if min(values) < 0 else 0)
    lo, hi = (-(1 << top), (1 << top) - 1) if min(values) < 0 else (0, (1 << top) - 1)
    return (lo, hi) if t.min <= lo and hi <= t.max and (lo, hi) != (t.min, t.max) else None


def _constant_elements(decl, tu) -> tuple[int, int] | None:
    """The range of a const array's constant initializer elements (with 0), or None."""
    decl._tu = tu
    t = decl.type
    if t.kind not in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
        return None
    if not t.element_type.is_const_qualified():
        return None
    lists = [c for c in decl.get_children() if c.kind == ci.CursorKind.INIT_LIST_EXPR]
    if len(lists) != 1:
        return None
    values = [0]
    for element in lists[0].get_children():
        value = evaluate(element)
        if value is None:
            return None
        values.append(value)
    return min(values), max(values)
