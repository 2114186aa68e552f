"""Function bodies as statements: the ir.Stmt tree of a function of one
translation unit.

In: a function's cursor (a Root's scope). Out: its body as ir.Stmt, clause by
clause where libclang's children can be told apart (else OTHER), with the
expressions converted by expressions.Expressions and every read of a local
variable or parameter identified (Expr.decl); calls of functions that never
return made NORETURN statements, `case` values folded.
"""

from __future__ import annotations

import re

from .expressions import Expressions
from .ir import Expr, Kind, Stmt, StmtKind
from .libclang import EXPR_FIRST, EXPR_LAST, VAR_DECL, ci, evaluate

# CXCursorKind numbers (stable across releases).
_COMPOUND_STMT = 202
_RETURN_STMT = 214

_STATEMENT_KINDS = {
    201: StmtKind.LABEL, 202: StmtKind.COMPOUND, 203: StmtKind.CASE, 204: StmtKind.DEFAULT, 205: StmtKind.IF,
    206: StmtKind.SWITCH, 207: StmtKind.WHILE, 208: StmtKind.DO, 209: StmtKind.FOR, 210: StmtKind.GOTO,
    211: StmtKind.GOTO, 212: StmtKind.CONTINUE, 213: StmtKind.BREAK, 214: StmtKind.RETURN, 231: StmtKind.DECL,
}


def _as_stmt(part) -> Stmt:
    return part if isinstance(part, Stmt) else _expression_statement(part, part.handle.location.line)


def _expression_statement(expr: Expr, line: int) -> Stmt:
    """An expression as a statement: NORETURN when it calls a function that never
    returns (`fatal("bad digit");` after a failed check: the check holds after it)."""
    call = expr
    while call.kind in (Kind.PAREN, Kind.CAST) and call.children:  # `(void)die()`
        call = call.children[-1]
    if call.kind is Kind.CALL and _never_returns(call.handle.referenced):
        return Stmt(StmtKind.NORETURN, [expr], [], line)
    return Stmt(StmtKind.EXPR, [expr], [], line)


def _never_returns(callee) -> bool:
    """Is callee a function declared noreturn: GNU `__attribute__((noreturn))`
    (clang shows it in the type: glibc's exit and abort, the kernel's __noreturn),
    C11 `_Noreturn` or C23 `[[noreturn]]`? libclang exposes the last two only as
    an attribute of no kind, whose tokens may be a macro's (xz's
    tuklib_attr_noreturn): the declaration printed without its body says."""
    if callee is None or callee.kind != ci.CursorKind.FUNCTION_DECL:
        return False
    if "__attribute__((noreturn))" in callee.type.spelling:
        return True
    if not any(child.kind == ci.CursorKind.UNEXPOSED_ATTR for child in callee.get_children()):
        return False
    policy = ci.PrintingPolicy.create(callee)
    policy.set_property(ci.PrintingPolicyProperty.TerseOutput, 1)  # no body
    head = callee.pretty_printed(policy).split(f"{callee.spelling}(")[0]
    return _NORETURN_WORD.search(head) is not None


_NORETURN_WORD = re.compile(r"\b(?:_Noreturn|noreturn|__noreturn__)\b")


def _shape(kind: StmtKind, parts: list, line: int) -> Stmt:
    """A statement from its children (Expr or Stmt, in order): clause by clause when
    they can be told apart, else OTHER (libclang omits a `for`'s missing clauses)."""
    n = len(parts)
    first_is_expr = n > 0 and isinstance(parts[0], Expr)
    if kind is StmtKind.COMPOUND:
        return Stmt(kind, [], [_as_stmt(p) for p in parts], line)
    if kind is StmtKind.IF and n in (2, 3) and first_is_expr:
        return Stmt(kind, [parts[0]], [_as_stmt(p) for p in parts[1:]], line)
    if kind in (StmtKind.SWITCH, StmtKind.WHILE) and n == 2 and first_is_expr:
        return Stmt(kind, [parts[0]], [_as_stmt(parts[1])], line)
    if kind is StmtKind.DO and n == 2 and isinstance(parts[1], Expr):
        return Stmt(kind, [parts[1]], [_as_stmt(parts[0])], line)
    if kind is StmtKind.CASE and n in (2, 3) and first_is_expr:
        values = [evaluate(e.handle) for e in parts[:-1]]
        case = (values[0], values[-1]) if None not in values else None
        return Stmt(kind, [], [_as_stmt(parts[-1])], line, case_values=case)
    if kind in (StmtKind.DEFAULT, StmtKind.LABEL) and n == 1:
        return Stmt(kind, [], [_as_stmt(parts[0])], line)
    if kind is StmtKind.FOR and n == 4 and isinstance(parts[1], Expr) and isinstance(parts[2], Expr):
        return Stmt(kind, [parts[1], parts[2]], [_as_stmt(parts[3])], line, init=_as_stmt(parts[0]))
    if kind in (StmtKind.RETURN, StmtKind.BREAK, StmtKind.CONTINUE, StmtKind.GOTO) \
            and all(isinstance(p, Expr) for p in parts):
        return Stmt(kind, list(parts), [], line)
    if kind is StmtKind.DECL:
        return Stmt(kind, [], [], line, decls=[d for p in parts if isinstance(p, Stmt) for d in p.decls])
    return Stmt(StmtKind.OTHER, [], [_as_stmt(p) for p in parts], line)


def _for_clauses(c, parts: list) -> list:
    """The four parts of `for (; cond; step) body`, a missing init as an empty
    statement, placed by the semicolons of its header (libclang leaves missing
    clauses out); parts unchanged when the header cannot be read (spelled by a
    macro) or the condition or the step is missing."""
    tokens = c.get_tokens()
    first, second = next(tokens, None), next(tokens, None)
    if first is None or first.spelling != "for" or second is None or second.spelling != "(":
        return parts
    depth, semicolons = 1, []
    for t in tokens:
        text = t.spelling
        if text in ("(", "[", "{"):
            depth += 1
        elif text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                break
        elif text == ";" and depth == 1:
            semicolons.append(t.extent.start.offset)
    if len(semicolons) != 2:
        return parts
    placed: list = [None, None, None]
    for part in parts[:-1]:
        clause = 0 if isinstance(part, Stmt) else sum(part.handle.extent.start.offset > at for at in semicolons)
        if placed[clause] is not None:
            return parts
        placed[clause] = part
    if placed[1] is None or placed[2] is None:
        return parts  # `for (;;)`, `for (i = 0; i < n;)`: read as OTHER
    return [placed[0] or Stmt(StmtKind.COMPOUND), placed[1], placed[2], parts[-1]]


class Statements:
    """The function bodies of one TU (tu, the bindings' TranslationUnit), read
    through fast (libclang.Raw), their expressions converted by expressions."""

    def __init__(self, tu, fast, expressions: Expressions) -> None:
        self._tu = tu
        self._fast = fast
        self._expressions = expressions

    def body(self, scope) -> Stmt | None:
        """The body of a function as statements, with every local variable and
        parameter read identified (Expr.decl); None without a body."""
        body = self._compound(scope)
        if body is None:
            return None
        body._tu = self._tu
        return self._stmt(body)

    def is_one_return(self, scope) -> bool:
        """Is a function's body a single `return` statement? (Cheap: no Stmt tree.)"""
        body = self._compound(scope)
        if body is None:
            return False
        kids = self._fast.children(body)
        return len(kids) == 1 and kids[0]._kind_id == _RETURN_STMT

    def _compound(self, scope):
        """The cursor of a function's body; None for a declaration without one."""
        return next((c for c in self._fast.children(scope) if c._kind_id == _COMPOUND_STMT), None)

    def _stmt(self, c) -> Stmt:
        kind_id = c._kind_id
        line = c.location.line
        nested: list = []  # statements inside expressions (GNU statement expressions): they run first
        if EXPR_FIRST <= kind_id <= EXPR_LAST:
            stmt = _expression_statement(self._keyed(c, nested), line)
        else:
            parts: list = []  # Expr or Stmt, in source order
            for child in self._fast.children(c):
                child._tu = self._tu
                kid = child._kind_id
                if EXPR_FIRST <= kid <= EXPR_LAST:
                    parts.append(self._keyed(child, nested))
                elif 200 <= kid < 300 or kid == VAR_DECL:
                    parts.append(self._stmt(child))
            kind = _STATEMENT_KINDS.get(kind_id, StmtKind.OTHER)
            if kind is StmtKind.FOR and len(parts) < 4:
                parts = _for_clauses(c, parts)
            stmt = _shape(kind, parts, line)
            if kind_id == VAR_DECL:
                init = parts[-1] if parts and isinstance(parts[-1], Expr) else None
                stmt = Stmt(StmtKind.DECL, [], [], line, decls=[(c.hash, init)])
        if nested:
            return Stmt(StmtKind.COMPOUND, [], [self._stmt(n) for n in nested] + [stmt], line)
        return stmt

    def _keyed(self, c, nested: list) -> Expr:
        """An expression, its reads of local variables and parameters identified."""
        expr = self._expressions.convert(c, nested)
        work = [expr]
        while work:
            e = work.pop()
            work.extend(e.children)
            if e.kind is Kind.DECL_REF and e.value is None:
                ref = e.handle.referenced
                if ref is not None and ref.kind in (ci.CursorKind.VAR_DECL, ci.CursorKind.PARM_DECL) \
                        and ref.semantic_parent is not None \
                        and ref.semantic_parent.kind == ci.CursorKind.FUNCTION_DECL:
                    e.decl = ref.hash
        return expr
