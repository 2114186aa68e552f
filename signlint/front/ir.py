"""The expression tree the analysis reads: plain records, free of libclang.

The front end (expressions.py, statements.py) builds these from clang's AST;
everything after it works on this form only, so the front end can change
without touching rules.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ..records import Position


class Kind(enum.Enum):
    BINARY = "binary"  # a op b, including '=' and comparisons
    COMPOUND_ASSIGN = "compound-assign"  # a op= b
    UNARY = "unary"
    CAST = "cast"  # implicit or explicit conversion; see Expr.explicit
    PAREN = "paren"
    LITERAL = "literal"  # integer or character constant; see Expr.value
    DECL_REF = "decl-ref"
    MEMBER = "member"  # s.f / p->f; see Expr.bitfield_width
    CONDITIONAL = "conditional"  # c ? a : b (two children for GNU c ?: b)
    CALL = "call"
    SUBSCRIPT = "subscript"  # a[i]
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class CType:
    """An integer type as the target sees it, or a non-integer type."""

    is_integer: bool
    bits: int = 0  # width in bits for the parsed target (integers and pointers; else 0)
    signed: bool = False
    is_bool: bool = False
    is_pointer: bool = False
    is_plain_char: bool = False  # `char`, whose signedness depends on the target
    enum_range: tuple[int, int] | None = None  # an enum: the values its enumerators' bits can form

    @property
    def min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1


NOT_INTEGER = CType(is_integer=False)


@dataclass(eq=False, slots=True)
class Expr:
    kind: Kind
    type: CType
    children: list[Expr] = field(default_factory=list)
    op: str = ""  # operator spelling for BINARY / COMPOUND_ASSIGN / UNARY ('<<', '|=', '~')
    value: int | None = None  # the value of a constant expression, when clang can fold it
    bitfield_width: int | None = None  # for MEMBER of a bit-field
    explicit: bool = False  # for CAST: written in the source
    handle: object = None  # the front end's own reference, for locations and spellings
    decl: int | None = None  # for DECL_REF of a local variable or parameter: its identity
    elements: tuple[int, int] | None = None  # for SUBSCRIPT of a const array with constant elements: their range

    def __repr__(self) -> str:  # short, for test failures
        return f"<{self.kind.value} {self.op or ''} {self.type.bits}{'s' if self.type.signed else 'u'}>"


def unparen(e: Expr) -> Expr:
    """e without parentheses."""
    while e.kind is Kind.PAREN and e.children:
        e = e.children[-1]
    return e


def implicit_gone(e: Expr) -> Expr:
    """e without parentheses and implicit conversions (of pointers too)."""
    while e.children and (e.kind is Kind.PAREN or e.kind is Kind.CAST and not e.explicit):
        e = e.children[-1]
    return e


@dataclass(frozen=True, slots=True)
class Span:
    """Where an expression is written. begin..end is half-open; end is None when it
    cannot be placed in the same file (a macro spelling the tokens in two places)."""

    begin: Position
    end: Position | None
    expansion: Position | None = None  # where the macro that spells it is used, if any

    @property
    def in_macro(self) -> bool:
        return self.expansion is not None


@dataclass(frozen=True, slots=True)
class Root:
    """A maximal expression in a function body or initialiser of a reported file."""

    expr: Expr
    function: str  # the enclosing function ('' at file scope)
    scope: object = None  # the front end's handle of the enclosing function, for its statements


class StmtKind(enum.Enum):
    COMPOUND = "compound"
    IF = "if"  # exprs: [condition]; body: [then] or [then, else]
    SWITCH = "switch"  # exprs: [controlling expression]; body: [statement]
    CASE = "case"  # case_values: (lo, hi), None when not a constant; body: [statement]
    DEFAULT = "default"  # body: [statement]
    WHILE = "while"  # exprs: [condition]; body: [statement]
    DO = "do"  # exprs: [condition]; body: [statement]
    FOR = "for"  # init, exprs: [condition, increment] when all four parts are known; body: [statement]
    RETURN = "return"  # exprs: [value] or []
    BREAK = "break"
    CONTINUE = "continue"
    GOTO = "goto"
    LABEL = "label"  # body: [statement]
    EXPR = "expr"  # exprs: [expression]; body: statements inside it (GNU statement expressions)
    NORETURN = "noreturn"  # exprs: [call]: a call of a function declared noreturn (exit, BUG, a fatal())
    DECL = "decl"  # decls: [(variable, initialiser or None)]
    OTHER = "other"  # exprs and body in source order, nothing known about the control flow


@dataclass(eq=False, slots=True)
class Stmt:
    """A statement of a function body, as much of it as range reasoning needs."""

    kind: StmtKind
    exprs: list[Expr] = field(default_factory=list)
    body: list[Stmt] = field(default_factory=list)
    line: int = 0
    init: Stmt | None = None  # FOR: the first clause, when known
    case_values: tuple[int, int] | None = None  # CASE: the label's value (a GNU range's ends)
    decls: list[tuple[int, Expr | None]] = field(default_factory=list)  # DECL: (variable identity, initialiser)
