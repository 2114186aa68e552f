"""Ranges of local variables from the code around an expression.

The value analysis looks at one expression. This module walks a function's
statements (ir.Stmt) in order and says, for each root expression, what the code
before it proves about its local variables and parameters:

- guards: `if (prio > 0x7f) return -EINVAL;` leaves prio <= 0x7f for what follows;
  the then and else branches of an `if` get the condition and its negation;
- switch cases: under `case 0: case 1:` the controlling variable is 0..1;
- loops: in `for (i = a; i < b; i++)` with constant bounds, i is a..b-1;
- assignments: after `k = pos & 7;` k is 0..7, and after `int t = b << 24;` t holds
  an int that the shift can make negative (Fact.taint: the shift, for the rules to
  report where t is widened).

It is deliberately simple and errs on the side of knowing less: a variable whose
address is taken is never narrowed; an assignment ends what was known about the
variable (within a loop, for the whole loop); at a label (a goto can come from
anywhere) nothing is known. Only comparisons with constants are understood.

What a condition proves is conditions.Conditions'; the facts and how they
combine are facts'; the questions about statements (what one assigns) syntax's.
"""

from __future__ import annotations

from ..front.ir import Expr, Kind, Stmt, StmtKind, implicit_gone
from .conditions import Conditions
from .facts import MEMORY, OUTSIDE, Fact, Facts, about_memory, join, lvalue_key, meet, without
from .syntax import (
    EXITS,
    address_taken,
    assigned,
    assigned_in,
    case_labels,
    changed_while_read,
    continues,
    pointer_variable,
    strip,
    untouched_parameters,
    variable,
)
from .values import ValueAnalysis, constant


class FunctionRanges:
    """The facts that hold at each root expression of one function body."""

    def __init__(self, body: Stmt, given: Facts | None = None, predicate=None) -> None:
        """given: what is known on entry (a helper's parameters, from a call).
        predicate: call -> Predicate | None, for `if (!is_digit(buf[0]))`."""
        self._predicate = predicate
        self._at: dict[int, tuple[Expr, Facts]] = {}  # id(root) -> (root, facts before it)
        self._scoped: dict[int, dict[int, Facts]] = {}  # id(root) -> facts inside its branches
        self._roots: list[Expr] = []
        self._escaped = address_taken(body)
        self._parameters = untouched_parameters(body)
        self.conditions = Conditions(self._escaped, predicate)  # what the function's conditions prove
        self._switches: list[Facts] = []  # facts at the head of each enclosing switch
        self._breaks: list[list[Facts]] = []  # facts at each break, per enclosing switch or loop
        self._visit(body, {v: f for v, f in (given or {}).items() if v not in self._escaped})

    def roots(self) -> list[Expr]:
        return self._roots

    @property
    def escaped(self) -> set[int]:
        """Variables whose address is taken: nothing is assumed about them."""
        return self._escaped

    def facts_at(self, root: Expr) -> Facts:
        return self._at[id(root)][1]

    def scoped_at(self, root: Expr) -> dict[int, Facts]:
        """Facts for subexpressions of root that only run when a condition holds:
        the branches of `c ? a : b`, the right side of `&&` and `||` (id -> Facts)."""
        found = self._scoped.get(id(root))
        if found is None:
            found = self._scoped[id(root)] = self._branches(root, self.facts_at(root))
        return found

    def _branches(self, root: Expr, facts: Facts) -> dict[int, Facts]:
        out: dict[int, Facts] = {}
        work = [(root, facts)]
        while work:
            e, held = work.pop()
            inner = [(c, held) for c in e.children]
            if e.kind is Kind.CONDITIONAL and len(e.children) == 3:
                cond, then, otherwise = e.children
                why = "condition of '?:'"
                inner[1] = (then, meet(held, self.condition(cond, True, why, held)))
                inner[2] = (otherwise, meet(held, self.condition(cond, False, why, held)))
            elif e.kind is Kind.BINARY and e.op in ("&&", "||") and len(e.children) == 2:
                left, right = e.children
                inner[1] = (right, meet(held, self.condition(left, e.op == "&&", f"left side of '{e.op}'", held)))
            for child, child_facts in inner:
                if child_facts is not held:
                    out[id(child)] = child_facts
                work.append((child, child_facts))
        return out

    def _visit(self, s: Stmt, facts: Facts | None) -> Facts | None:
        """Visit s entered with facts (None: not reachable by falling through, in
        which case a jump to a label in it is the way in); return the facts when s
        completes normally, None when it never falls through (return, goto...)."""
        kind = s.kind
        if kind is StmtKind.LABEL:
            return self._visit_all(s.body, {})
        if kind in (StmtKind.CASE, StmtKind.DEFAULT):
            # A label of a switch whose case is not a direct child (see _switch).
            head = self._switches[-1] if self._switches else {}
            return self._visit_all(s.body, head if facts is None else join(facts, head))
        if facts is None:
            facts = {}  # unreachable by falling through: nothing known
        if kind is StmtKind.COMPOUND:
            for child in s.body:
                facts = self._visit(child, facts)
            return facts
        if kind is StmtKind.EXPR:
            facts = self._visit_all(s.body, facts)
            return self._roots_at(s.exprs, facts, s.line)
        if kind is StmtKind.DECL:
            for var, init in s.decls:
                before = facts
                if init is not None:
                    facts = self._roots_at([init], facts)
                facts = self._forget(facts, {var})
                if init is not None:
                    facts = meet(facts, self._holds(var, init, before, s.line))
            return facts
        if kind in EXITS:
            self._roots_at(s.exprs, facts)
            if kind is StmtKind.BREAK and self._breaks:
                self._breaks[-1].append(facts)
            return None
        if kind is StmtKind.IF:
            return self._if(s, facts)
        if kind is StmtKind.SWITCH:
            return self._switch(s, facts)
        if kind in (StmtKind.WHILE, StmtKind.DO, StmtKind.FOR):
            return self._loop(s, facts)
        # OTHER: clauses in order, but which run (and how often) is unknown.
        base = self._forget(facts, assigned(s))
        for child in s.body:
            self._visit(child, base)
        self._roots_at(s.exprs, base)
        return base

    def _visit_all(self, stmts: list[Stmt], facts: Facts | None) -> Facts | None:
        for child in stmts:
            facts = self._visit(child, facts)
        return facts

    def _roots_at(self, exprs: list[Expr], facts: Facts, line: int = 0) -> Facts:
        """Record the facts before each root; what it assigns is unknown after it
        (and within it: `x = x << 1` must not use a fact about the old x)."""
        for e in exprs:
            changed = self._changes(e, facts)
            # Only facts about `*p` care that a store comes after the reads.
            within = changed_while_read(e) if about_memory(facts) else changed
            self._at[id(e)] = (e, self._forget(facts, within) if within else facts)
            self._roots.append(e)
            before, facts = facts, self._forget(facts, changed)
            store = strip(e)
            while store.kind is Kind.BINARY and store.op == "=":  # `shift = type = 0`
                var = variable(store.children[0]) or pointer_variable(store.children[0])
                value = store.children[1]
                if var is not None:
                    facts = meet(facts, self._holds(var.decl, value, before, line))
                store = strip(value)
        return facts

    def _holds(self, var: int, value: Expr, before: Facts, line: int) -> Facts:
        """var = value: what the value's range says about var afterwards."""
        if var in self._escaped:
            return {}
        if value.type.is_pointer:
            return _copied_pointer(var, value, before)
        if not value.type.is_integer:
            return {}
        analysis = ValueAnalysis(before)
        v = analysis.visit(value)
        t = value.type
        why = f"assignment on line {line}" if line else "assignment"
        if v.lo is None or not t.min <= v.lo <= v.hi <= t.max:
            return {}
        taint = analysis.followed_origins(v.taint) if t.signed and t.bits == 32 and v.lo < 0 else frozenset()
        if (v.lo, v.hi) == (t.min, t.max) and not taint:
            return {}
        implied = ()
        if v.lo == v.hi:  # a flag: remember what made the code set it
            carried = tuple((k, f) for k, f in before.items() if k != var and not f.implied)
            implied = ((v.lo, carried),) if carried else ()
        return {var: Fact(v.lo, v.hi, why, taint, implied)}

    def _if(self, s: Stmt, facts: Facts) -> Facts | None:
        cond = s.exprs[0]
        facts = self._roots_at([cond], facts)
        why = f"guard on line {s.line}"
        then_facts = self._visit(s.body[0], meet(facts, self.condition(cond, True, why, facts)))
        otherwise = meet(facts, self.condition(cond, False, why, facts))
        else_facts = self._visit(s.body[1], otherwise) if len(s.body) > 1 else otherwise
        if then_facts is None:
            return else_facts
        if else_facts is None:
            return then_facts
        return join(then_facts, else_facts)

    def _switch(self, s: Stmt, facts: Facts) -> Facts:
        cond = s.exprs[0]
        facts = self._roots_at([cond], facts)
        base = self._forget(facts, assigned(s))
        var = variable(cond)
        body = s.body[0]
        self._switches.append(base)
        self._breaks.append([])
        has_default = False
        try:
            if body.kind is not StmtKind.COMPOUND:
                self._visit(body, None)
                return base
            current: Facts | None = None  # falling through from the statement before
            for child in body.body:
                if child.kind in (StmtKind.CASE, StmtKind.DEFAULT):
                    labels, inner = case_labels(child)
                    values = [label.case_values if label.kind is StmtKind.CASE else None for label in labels]
                    has_default = has_default or any(label.kind is StmtKind.DEFAULT for label in labels)
                    entry = base
                    if var is not None and None not in values and var.decl not in self._escaped:
                        lo, hi = min(lo for lo, _ in values), max(hi for _, hi in values)
                        entry = meet(base, {var.decl: Fact(lo, hi, f"case labels on line {child.line}")})
                    current = self._visit(inner, entry if current is None else join(current, entry))
                else:
                    current = self._visit(child, current)
            # After it: the ways out are the breaks, the end of the body, and (without
            # a default label) no case matching.
            ways = self._breaks[-1] + ([current] if current is not None else []) + ([] if has_default else [base])
            after = ways[0] if ways else base
            for way in ways[1:]:
                after = join(after, way)
            return after
        finally:
            self._switches.pop()
            self._breaks.pop()

    def _loop(self, s: Stmt, facts: Facts) -> Facts:
        if s.init is not None:
            facts = self._visit(s.init, facts) or {}
        changed = assigned(s)
        base = self._forget(facts, changed)
        why = f"loop on line {s.line}"
        inside = base
        if s.kind is StmtKind.DO:
            # The first round starts with what held before; later ones just after the
            # condition held (`if (!digit(*p)) return; do ... while (digit(*p));`).
            again = meet(base, self.condition(s.exprs[0], True, why, base))
            inside = join(facts, again)
        else:
            cond = s.exprs[0]
            self._roots_at([cond], base)
            in_body = assigned(s.body[0])
            # The condition has just held at the top of the body.
            inside = meet(inside, self.condition(cond, True, why, base))
            if s.kind is StmtKind.FOR:
                inside = meet(inside, self._counter(s, in_body, why))
                self._roots_at([s.exprs[1]], base)
        self._breaks.append([])  # a break in the loop leaves the loop, not an enclosing switch
        try:
            body_end = self._visit(s.body[0], inside)
        finally:
            breaks = self._breaks.pop()
        cond = s.exprs[0]
        if s.kind is StmtKind.DO:
            self._roots_at([cond], base)
            if not breaks and not continues(s.body[0]):
                # The body's end is the only way to the condition: `do { ... } while (0)`,
                # the kernel's macros, leave what their body proved, and BUG()'s
                # `do { ...; __builtin_unreachable(); } while (0)` never completes.
                if body_end is None:
                    return None
                return meet(body_end, self.condition(cond, False, why, body_end))
        if breaks:
            return base
        # The only way out (but a goto or return) is the condition turning false.
        return meet(base, self.condition(cond, False, why, base))

    def _counter(self, s: Stmt, in_body: set[int], why: str) -> Facts:
        """`for (i = a; ...; i++)`: i never goes below a (or above a for i--), as
        long as only the step changes it."""
        step = strip(s.exprs[1])
        if step.kind is Kind.UNARY and step.op in ("++", "post++", "--", "post--"):
            up = "++" in step.op
        elif step.kind is Kind.COMPOUND_ASSIGN and step.op in ("+=", "-=") and constant(step.children[1]):
            amount = constant(step.children[1])
            up = (amount > 0) == (step.op == "+=")
        else:
            return {}
        var = variable(step.children[0])
        if var is None or var.decl in in_body or var.decl in assigned_in(s.exprs[0]) or var.decl in self._escaped:
            return {}
        start = _initial_value(s.init, var.decl)
        if start is None:
            return {}
        if up:
            return {var.decl: Fact(start, var.type.max, why)}
        return {var.decl: Fact(var.type.min, start, why)}

    # -- conditions, and what an expression changes ---------------------------

    def condition(self, cond: Expr, truth: bool, why: str, held: Facts) -> Facts:
        """What `cond` being truth says about variables (conditions.Conditions.proves),
        but not about one it changes itself: after `x++ > 7` is false, x is at most 8."""
        facts = self.conditions.proves(cond, truth, why, held)
        changed = self._changes(cond, facts)
        return self._forget(facts, changed) if changed else facts

    def _forget(self, facts: Facts, changed: set) -> Facts:
        """facts.without, with each store through a pointer variable (a ("via", p) entry of
        assigned_in) read as a write to memory the function's arrays are not part
        of when p is a parameter it never changes, and to any memory otherwise."""
        if not changed or not any(isinstance(c, tuple) for c in changed):
            return without(facts, changed)
        plain = {c for c in changed if not isinstance(c, tuple)}
        plain |= {OUTSIDE if c[1] in self._parameters else MEMORY for c in changed if isinstance(c, tuple)}
        return without(facts, plain)

    def _changes(self, e: Expr, facts: Facts) -> set[int]:
        """assigned_in(e), where a call to a predicate helper writes nothing. (Only
        facts about `*p`, `p[i]` care whether memory is written: without them,
        every call counts, and no callee is looked at.)"""
        if not about_memory(facts):
            return assigned_in(e)
        out = assigned_in(e, calls=False)
        work = [e]
        while work and MEMORY not in out:
            x = work.pop()
            work.extend(x.children)
            if x.kind is Kind.CALL and (self._predicate is None or self._predicate(x) is None):
                out.add(MEMORY)
        return out


def _initial_value(init: Stmt | None, var: int) -> int | None:
    """The constant `i = a` or `int i = a` of a for loop's first clause."""
    if init is None:
        return None
    if init.kind is StmtKind.DECL:
        found = [e for v, e in init.decls if v == var and e is not None]
        return constant(found[-1]) if found else None
    if init.kind is StmtKind.EXPR:
        e = strip(init.exprs[0])
        if e.kind is Kind.BINARY and e.op == "=":
            target = variable(e.children[0])
            if target is not None and target.decl == var:
                return constant(e.children[1])
    return None


def _copied_pointer(var: int, value: Expr, before: Facts) -> Facts:
    """p = q, or p = *pp (xz's `if (**str < '0' || **str > '9') return ...; p = *str;`):
    what was known of q's (or *pp's) pointee, and of the elements read through it,
    holds of p's until p or memory changes."""
    e = implicit_gone(value)
    source = e.decl if e.kind is Kind.DECL_REF else lvalue_key(e)
    if source is None:
        return {}
    known = {"k": "k", "v": "v", "ka": "k", "va": "v"}  # a local array's elements, read through p
    return {(var, known[key[1]], key[2]): fact for key, fact in before.items()
            if isinstance(key, tuple) and key[0] == source and key[1] in known}
