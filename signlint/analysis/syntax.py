"""What statements and expressions are, read without values.

In: ir.Stmt and ir.Expr trees. Out: answers about their shape: the variable under
parentheses and conversions (strip, variable), what a statement or an expression
may change (assigned, assigned_in: variables, and facts.MEMORY for a store to
memory), what it reads (reads_any), whose address a function takes, and the
shapes of bytes (is_char_promotion, assembles_bytes). Nothing here knows ranges.
"""

from __future__ import annotations

from ..front.ir import Expr, Kind, Stmt, StmtKind, implicit_gone
from .facts import MEMORY

EXITS = (StmtKind.RETURN, StmtKind.BREAK, StmtKind.CONTINUE, StmtKind.GOTO, StmtKind.NORETURN)


def case_labels(s: Stmt) -> tuple[list[Stmt], Stmt]:
    """The labels of `case 0: case 1: stmt` (CASE and DEFAULT statements) and the
    statement under them."""
    labels: list[Stmt] = []
    while s.kind in (StmtKind.CASE, StmtKind.DEFAULT) and s.body:
        labels.append(s)
        s = s.body[0]
    return labels, s


def strip(e: Expr) -> Expr:
    """Without parentheses and conversions that keep every value (`(long)x` too)."""
    while e.children and (e.kind is Kind.PAREN or e.kind is Kind.CAST and _widens(e)):
        e = e.children[-1]
    return e


def _widens(cast: Expr) -> bool:
    """Does the conversion keep every value of its operand?"""
    source, target = cast.children[-1].type, cast.type
    return source.is_integer and target.is_integer and target.min <= source.min and source.max <= target.max


def variable(e: Expr) -> Expr | None:
    e = strip(e)
    return e if e.kind is Kind.DECL_REF and e.decl is not None and e.type.is_integer else None


def pointer_variable(e: Expr) -> Expr | None:
    e = strip(e)
    return e if e.kind is Kind.DECL_REF and e.decl is not None and e.type.is_pointer else None


def variable_any(e: Expr) -> int | None:
    while e.children and e.kind in (Kind.PAREN, Kind.CAST):
        e = e.children[-1]
    return e.decl if e.kind is Kind.DECL_REF else None


def continues(s: Stmt) -> bool:
    """Does s hold a `continue` of the loop around it (not of a loop inside s)?"""
    work = [s]
    while work:
        inner = work.pop()
        if inner.kind is StmtKind.CONTINUE:
            return True
        if inner is s or inner.kind not in (StmtKind.WHILE, StmtKind.DO, StmtKind.FOR):
            work.extend(inner.body)
    return False


def _statements_in(s: Stmt) -> list[Stmt]:
    """s and every statement in it, in source order (a loop: an `else if` chain can be
    thousands deep)."""
    out: list[Stmt] = []
    work = [s]
    while work:
        inner = work.pop()
        out.append(inner)
        work.extend(reversed(inner.body))
        if inner.init is not None:
            work.append(inner.init)
    return out


def _exprs_of(s: Stmt) -> list[Expr]:
    """The expressions of a statement and of those in it, in source order."""
    return [e for inner in _statements_in(s)
            for e in (*inner.exprs, *(init for _, init in inner.decls if init is not None))]


def _declared(s: Stmt) -> set[int]:
    """The variables declared in a statement or in those in it."""
    return {var for inner in _statements_in(s) for var, _ in inner.decls}


def assigned(s: Stmt) -> set[int]:
    """Variables a statement may change (declared in it, assigned, incremented)."""
    out = _declared(s)
    for e in _exprs_of(s):
        out |= assigned_in(e)
    return out


def assigned_in(root: Expr, calls: bool = True) -> set[int]:
    """Variables root may change; MEMORY among them when it may write memory
    (a store that is not to a variable, or, unless calls is False, a call)."""
    out: set[int] = set()
    work = [root]
    while work:
        e = work.pop()
        work.extend(e.children)
        if calls and e.kind is Kind.CALL:
            out.add(MEMORY)
        target = None
        if e.kind in (Kind.BINARY, Kind.COMPOUND_ASSIGN) and e.op.endswith("=") and e.op not in (
                "==", "!=", "<=", ">=") or e.kind is Kind.UNARY and e.op in ("++", "--", "post++", "post--"):
            target = e.children[0]
        if target is not None:
            var = variable_any(target)
            through = _pointer_written(target) if var is None else None
            out.add(var if var is not None else ("via", through) if through is not None else MEMORY)
    return out


def _pointer_written(target: Expr) -> int | None:
    """p for a store to `*p`, `p[i]` or `p->f` (p a variable holding a pointer)."""
    while target.kind is Kind.PAREN and target.children:
        target = target.children[-1]
    if target.kind not in (Kind.UNARY, Kind.SUBSCRIPT, Kind.MEMBER) or not target.children:
        return None
    if target.kind is Kind.UNARY and target.op != "*":
        return None
    base = implicit_gone(target.children[0])
    return base.decl if base.kind is Kind.DECL_REF and base.type.is_pointer else None


def untouched_parameters(body: Stmt) -> set[int]:
    """The variables the body reads but neither declares nor changes: parameters
    that keep the value the caller gave."""
    read = set()
    for root in _exprs_of(body):
        stack = [root]
        while stack:
            e = stack.pop()
            stack.extend(e.children)
            if e.kind is Kind.DECL_REF and e.decl is not None:
                read.add(e.decl)
    return read - assigned(body)  # (what assigned counts includes the declared)


def changed_while_read(root: Expr) -> set[int]:
    """What root may change before it has read its operands: not what its calls do
    (arguments are read first: `f(*p - '0')` under a guard on *p), nor its own
    final store (`*out = *p - '0'`, `*pn += *p - '0'`)."""
    top = strip(root)
    if top.kind in (Kind.BINARY, Kind.COMPOUND_ASSIGN) and top.op.endswith("=") \
            and top.op not in ("==", "!=", "<=", ">=") and variable_any(top.children[0]) is None:
        out: set[int] = set()
        for child in top.children:
            out |= assigned_in(child, calls=False)
        return out - _moved_after_read(root)
    return assigned_in(root, calls=False) - _moved_after_read(root)


def _moved_after_read(root: Expr) -> set[int]:
    """The pointers of `*p++` (and `*(*pp)++`, as assigned_in's ("via", pp)) in root
    that root reads nowhere else: p moves after the read (`n = hexval(*p++)` under
    a guard on *p)."""
    moved, reads = set(), {}
    work = [root]
    while work:
        e = work.pop()
        work.extend(e.children)
        if e.kind is Kind.DECL_REF:
            reads[e.decl] = reads.get(e.decl, 0) + 1
        elif e.kind is Kind.UNARY and e.op == "*" and e.children:
            inner = strip(e.children[0])
            if inner.kind is Kind.UNARY and inner.op in ("post++", "post--") and inner.children:
                var = variable_any(inner.children[0])
                through = _pointer_written(inner.children[0]) if var is None else None
                if var is not None:
                    moved.add(var)
                elif through is not None:  # `*(*fmt)++`: the pointer *fmt moves after the read
                    moved.add(("via", through))
    return {v for v in moved if reads.get(v[1] if isinstance(v, tuple) else v) == 1}


def address_taken(body: Stmt) -> set[int]:
    """Variables whose address is taken anywhere in the function: a pointer can
    change them behind any call, so nothing is assumed about them."""
    out: set[int] = set()
    for root in _exprs_of(body):
        work = [root]
        while work:
            e = work.pop()
            work.extend(e.children)
            if e.kind is Kind.UNARY and e.op == "&" and e.children:
                var = variable_any(e.children[0])
                if var is not None:
                    out.add(var)
    return out


def reads_any(root: Expr, variables: set[int]) -> bool:
    """Does root read any of the variables?"""
    work = [root]
    while work:
        e = work.pop()
        if e.kind is Kind.DECL_REF and e.decl in variables:
            return True
        work.extend(e.children)
    return False


def is_char_promotion(e: Expr) -> bool:
    """A conversion of a signed 8-bit char to a wider signed type (an SL003 origin)."""
    if e.kind is not Kind.CAST or not e.children:
        return False
    source = e.children[-1].type
    return source.is_integer and source.signed and source.bits == 8


def assembles_bytes(e: Expr, known: dict[int, bool] | None = None) -> bool:
    """Is e a shift or an OR, or a sum with one (after parentheses): bytes being assembled?
    known: the answers for sums asked before (by id), kept up to date, so that asking it
    of every '+' of a macro's sum of thousands of terms costs no more than one walk."""
    found, work = False, [e]  # iterative: such a sum is as deep as it is long
    while work and not found:
        x = implicit_gone(work.pop())
        if known is not None and id(x) in known:
            found = known[id(x)]
        elif x.kind is Kind.BINARY and x.op in ("<<", "|"):
            found = True
        elif x.kind is Kind.BINARY and x.op == "+":
            work.extend(x.children)
    if known is not None:
        known[id(implicit_gone(e))] = found
    return found
