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
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..front.ir import CType, Expr, Kind, Stmt, StmtKind, implicit_gone
from .values import MEMORY, ValueAnalysis, difference_key, is_local_array_element, lvalue_key, lvalue_reads

# In a set of changed variables: memory was written through a parameter that the
# function never changes (`*rdata_pos = ...`). Its target existed before the call,
# so the function's own arrays are not it.
OUTSIDE = -2


@dataclass(frozen=True, slots=True)
class Fact:
    """What is known about a variable: lo <= value <= hi, and why."""

    lo: int
    hi: int
    why: str  # 'guard on line 12', 'case labels on line 30', 'loop on line 40'
    # The shifts, products and complements that can have made the int it holds negative
    # (`int t = b << 24;`): where the variable is widened, its ones come from them.
    taint: frozenset = frozenset()
    # What else held where the variable was set to a constant (`if (isdigit(buf[3])) end
    # = 1;`): (value, facts as items) pairs, for a later `if (end == 1)` (a flag).
    implied: tuple = ()


@dataclass(frozen=True, slots=True)
class Predicate:
    """A helper whose body is one `return` of a condition on its parameters
    (`static int warc_isdigit(int c) { return c >= '0' && c <= '9'; }`)."""

    name: str
    parameters: tuple  # each parameter's identity (Expr.decl), None if not an integer
    condition: Expr | None
    # A <ctype.h> test whose answer no locale changes: true means the argument is in lo..hi.
    range: tuple[int, int] | None = None


# isdigit and isxdigit accept only ASCII in every locale (C11 7.4.1.5, 7.4.1.12);
# isalpha and the others may accept bytes >= 0x80, so they prove nothing here.
CTYPE_RANGES = {"isdigit": (0x30, 0x39), "isxdigit": (0x30, 0x66)}
# glibc spells them `(*__ctype_b_loc())[(int)(c)] & _ISdigit`; the masks on a
# little-endian target (_ISbit(3), _ISbit(4)).
GLIBC_CTYPE_MASKS = {0x800: "isdigit", 0x1000: "isxdigit"}
GLIBC_CTYPE_TABLE = "__ctype_b_loc"


Facts = dict[int, Fact]  # variable identity (Expr.decl), or a `*p`/`p[i]` (values.lvalue_key) -> Fact

_NEGATED = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "=="}
_MIRRORED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_EXITS = (StmtKind.RETURN, StmtKind.BREAK, StmtKind.CONTINUE, StmtKind.GOTO, StmtKind.NORETURN)


class FunctionRanges:
    """The facts that hold at each root expression of one function body."""

    def __init__(self, body: Stmt, given: Facts | None = None, predicate=None) -> None:
        """given: what is known on entry (a helper's parameters, from a call).
        predicate: call -> Predicate | None, for `if (!is_digit(buf[0]))`."""
        self._predicate = predicate
        self._at: dict[int, tuple[Expr, Facts]] = {}  # id(root) -> (root, facts before it)
        self._scoped: dict[int, dict[int, Facts]] = {}  # id(root) -> facts inside its branches
        self._roots: list[Expr] = []
        self._escaped = _address_taken(body)
        self._parameters = _untouched_parameters(body)
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
                inner[1] = (then, _meet(held, self._condition(cond, True, why, held)))
                inner[2] = (otherwise, _meet(held, self._condition(cond, False, why, held)))
            elif e.kind is Kind.BINARY and e.op in ("&&", "||") and len(e.children) == 2:
                left, right = e.children
                inner[1] = (right, _meet(held, self._condition(left, e.op == "&&", f"left side of '{e.op}'", held)))
            for child, child_facts in inner:
                if child_facts is not held:
                    out[id(child)] = child_facts
                work.append((child, child_facts))
        return out

    # -- statements ---------------------------------------------------------

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
            return self._visit_all(s.body, head if facts is None else _join(facts, head))
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
                    facts = _meet(facts, self._holds(var, init, before, s.line))
            return facts
        if kind in _EXITS:
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
        base = self._forget(facts, _assigned(s))
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
            within = _changed_while_read(e) if _about_memory(facts) else changed
            self._at[id(e)] = (e, self._forget(facts, within) if within else facts)
            self._roots.append(e)
            before, facts = facts, self._forget(facts, changed)
            assigned = _strip(e)
            while assigned.kind is Kind.BINARY and assigned.op == "=":  # `shift = type = 0`
                var = _variable(assigned.children[0]) or _pointer_variable(assigned.children[0])
                value = assigned.children[1]
                if var is not None:
                    facts = _meet(facts, self._holds(var.decl, value, before, line))
                assigned = _strip(value)
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
        then_facts = self._visit(s.body[0], _meet(facts, self._condition(cond, True, why, facts)))
        otherwise = _meet(facts, self._condition(cond, False, why, facts))
        else_facts = self._visit(s.body[1], otherwise) if len(s.body) > 1 else otherwise
        if then_facts is None:
            return else_facts
        if else_facts is None:
            return then_facts
        return _join(then_facts, else_facts)

    def _switch(self, s: Stmt, facts: Facts) -> Facts:
        cond = s.exprs[0]
        facts = self._roots_at([cond], facts)
        base = self._forget(facts, _assigned(s))
        var = _variable(cond)
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
                    labels, inner = _labels(child)
                    values = [label.case_values if label.kind is StmtKind.CASE else None for label in labels]
                    has_default = has_default or any(label.kind is StmtKind.DEFAULT for label in labels)
                    entry = base
                    if var is not None and None not in values and var.decl not in self._escaped:
                        lo, hi = min(lo for lo, _ in values), max(hi for _, hi in values)
                        entry = _meet(base, {var.decl: Fact(lo, hi, f"case labels on line {child.line}")})
                    current = self._visit(inner, entry if current is None else _join(current, entry))
                else:
                    current = self._visit(child, current)
            # After it: the ways out are the breaks, the end of the body, and (without
            # a default label) no case matching.
            ways = self._breaks[-1] + ([current] if current is not None else []) + ([] if has_default else [base])
            after = ways[0] if ways else base
            for way in ways[1:]:
                after = _join(after, way)
            return after
        finally:
            self._switches.pop()
            self._breaks.pop()

    def _loop(self, s: Stmt, facts: Facts) -> Facts:
        if s.init is not None:
            facts = self._visit(s.init, facts) or {}
        changed = _assigned(s)
        base = self._forget(facts, changed)
        why = f"loop on line {s.line}"
        inside = base
        if s.kind is StmtKind.DO:
            # The first round starts with what held before; later ones just after the
            # condition held (`if (!digit(*p)) return; do ... while (digit(*p));`).
            again = _meet(base, self._condition(s.exprs[0], True, why, base))
            inside = _join(facts, again)
        else:
            cond = s.exprs[0]
            self._roots_at([cond], base)
            in_body = _assigned(s.body[0])
            # The condition has just held at the top of the body.
            inside = _meet(inside, self._condition(cond, True, why, base))
            if s.kind is StmtKind.FOR:
                inside = _meet(inside, self._counter(s, in_body, why))
                self._roots_at([s.exprs[1]], base)
        self._breaks.append([])  # a break in the loop leaves the loop, not an enclosing switch
        try:
            body_end = self._visit(s.body[0], inside)
        finally:
            breaks = self._breaks.pop()
        cond = s.exprs[0]
        if s.kind is StmtKind.DO:
            self._roots_at([cond], base)
            if not breaks and not _continues(s.body[0]):
                # The body's end is the only way to the condition: `do { ... } while (0)`,
                # the kernel's macros, leave what their body proved, and BUG()'s
                # `do { ...; __builtin_unreachable(); } while (0)` never completes.
                if body_end is None:
                    return None
                return _meet(body_end, self._condition(cond, False, why, body_end))
        if breaks:
            return base
        # The only way out (but a goto or return) is the condition turning false.
        return _meet(base, self._condition(cond, False, why, base))

    def _counter(self, s: Stmt, in_body: set[int], why: str) -> Facts:
        """`for (i = a; ...; i++)`: i never goes below a (or above a for i--), as
        long as only the step changes it."""
        step = _strip(s.exprs[1])
        if step.kind is Kind.UNARY and step.op in ("++", "post++", "--", "post--"):
            up = "++" in step.op
        elif step.kind is Kind.COMPOUND_ASSIGN and step.op in ("+=", "-=") and _constant(step.children[1]):
            amount = _constant(step.children[1])
            up = (amount > 0) == (step.op == "+=")
        else:
            return {}
        var = _variable(step.children[0])
        if var is None or var.decl in in_body or var.decl in _assigned_in(s.exprs[0]) or var.decl in self._escaped:
            return {}
        start = _initial_value(s.init, var.decl)
        if start is None:
            return {}
        if up:
            return {var.decl: Fact(start, var.type.max, why)}
        return {var.decl: Fact(var.type.min, start, why)}

    # -- conditions -----------------------------------------------------------

    def _condition(self, cond: Expr, truth: bool, why: str, held: Facts) -> Facts:
        """What `cond` being truth says about variables (not about one it changes
        itself: after `x++ > 7` is false, x is at most 8), held being what is known
        before it. A flag narrowed to the value it was set to brings back what held
        where it was set (Fact.implied)."""
        facts = self._test(cond, truth, why, held)
        for key, f in list(facts.items()):
            old = held.get(key)
            lo, hi = (max(f.lo, old.lo), min(f.hi, old.hi)) if old is not None else (f.lo, f.hi)
            if old is not None and lo == hi:
                for value, carried in old.implied:
                    if value == lo:
                        facts = _meet(facts, dict(carried))
        changed = self._changes(cond, facts)
        return self._forget(facts, changed) if changed else facts

    def _forget(self, facts: Facts, changed: set) -> Facts:
        """_without, with each store through a pointer variable (a ("via", p) entry of
        _assigned_in) read as a write to memory the function's arrays are not part
        of when p is a parameter it never changes, and to any memory otherwise."""
        if not changed or not any(isinstance(c, tuple) for c in changed):
            return _without(facts, changed)
        plain = {c for c in changed if not isinstance(c, tuple)}
        plain |= {OUTSIDE if c[1] in self._parameters else MEMORY for c in changed if isinstance(c, tuple)}
        return _without(facts, plain)

    def _changes(self, e: Expr, facts: Facts) -> set[int]:
        """_assigned_in(e), where a call to a predicate helper writes nothing. (Only
        facts about `*p`, `p[i]` care whether memory is written: without them,
        every call counts, and no callee is looked at.)"""
        if not _about_memory(facts):
            return _assigned_in(e)
        out = _assigned_in(e, calls=False)
        work = [e]
        while work and MEMORY not in out:
            x = work.pop()
            work.extend(x.children)
            if x.kind is Kind.CALL and (self._predicate is None or self._predicate(x) is None):
                out.add(MEMORY)
        return out

    def _test(self, cond: Expr, truth: bool, why: str, held: Facts) -> Facts:
        e = _strip(cond)
        if e.kind is Kind.UNARY and e.op == "!":
            return self._test(e.children[0], not truth, why, held)
        if e.kind is Kind.BINARY and e.op in ("&&", "||"):
            a = self._test(e.children[0], truth, why, held)
            b = self._test(e.children[1], truth, why, held)
            both = truth == (e.op == "&&")  # `a && b` true, or `a || b` false: both hold
            return _meet(a, b) if both else _join(a, b)
        if e.kind is Kind.BINARY and e.op in _NEGATED:
            left, right = e.children
            for subject, other, op in ((left, right, e.op), (right, left, _MIRRORED[e.op])):
                k = _constant(other)
                if k is None:
                    continue
                if k == 0 and op in ("==", "!="):  # `(x >> 8) == 0`, `(x & ~0xff) != 0`
                    return self._test(subject, truth == (op == "!="), why, held)
                return self._compare(subject, op if truth else _NEGATED[op], k, why)
            out: Facts = {}
            if held:  # `digit < base` with base known: a bound all the same
                for subject, other, op in ((left, right, e.op), (right, left, _MIRRORED[e.op])):
                    out = self._bounded_by(subject, op if truth else _NEGATED[op], other, held, why)
                    if out:
                        break
            return _meet(out, self._apart(left, right, e.op if truth else _NEGATED[e.op], why))
        if e.kind is Kind.CALL and self._predicate is not None and any(_byte_read(a) for a in e.children[1:]):
            return self._called_test(e, truth, why)  # only bytes are worth a look at the helper
        if truth and e.kind is Kind.BINARY and e.op == "&" and self._predicate is not None:
            found = self._glibc_ctype(e)
            if found is not None:
                view = _view(found[0])
                lo, hi = CTYPE_RANGES[found[1]]
                return self._fact(view[0], view[1], lo, hi, f"{found[1]}() in the {why}") if view else {}
        return self._nonzero(e, truth, why, held)

    def _apart(self, left: Expr, right: Expr, op: str, why: str) -> Facts:
        """`x <= y` of two variables of one type: y - x >= 0 (`y - x` as an int or
        the type, which then does not wrap)."""
        x, y = _variable(left), _variable(right)
        if x is None or y is None or x.decl in self._escaped or y.decl in self._escaped or x.type != y.type:
            return {}
        if op in (">", ">="):
            x, y, op = y, x, _MIRRORED[op]
        if op not in ("<", "<="):
            return {}
        return {difference_key(y.decl, x.decl): Fact(1 if op == "<" else 0, (1 << 64) - 1, why)}

    def _bounded_by(self, subject: Expr, op: str, other: Expr, held: Facts, why: str) -> Facts:
        """subject op other, other a variable whose range the code proves."""
        if _view(subject) is None or _view(other) is None:
            return {}
        v = ValueAnalysis(held).visit(other)
        if v.lo is None:
            return {}
        if op in ("<", "<="):
            return self._compare(subject, op, v.hi, why)
        if op in (">", ">="):
            return self._compare(subject, op, v.lo, why)
        if op == "==":
            found = _view(subject)
            return self._fact(found[0], found[1], v.lo, v.hi, why)
        return {}

    def _called_test(self, call: Expr, truth: bool, why: str) -> Facts:
        """`warc_isdigit(buf[0])` true: what the helper's one return condition says
        about its parameter, said of the argument."""
        found = self._predicate(call)
        if found is None or found.condition is None and found.range is None:
            return {}
        if found.range is not None:  # isdigit(*p)
            view = _view(call.children[1]) if truth and len(call.children) == 2 else None
            return self._fact(view[0], view[1], *found.range, f"{found.name}() in the {why}") if view else {}
        inner = self._test(found.condition, truth, f"{found.name}() in the {why}", {})
        out: Facts = {}
        for param, arg in zip(found.parameters, call.children[1:], strict=False):
            fact = inner.get(param) if param is not None else None
            view = _view(arg) if fact is not None else None
            if view is not None:
                out = _meet(out, self._fact(view[0], view[1], fact.lo, fact.hi, fact.why))
        return out

    def _glibc_ctype(self, e: Expr) -> tuple[Expr, str] | None:
        """(c, 'isdigit') for glibc's expansion of isdigit(c)."""
        for table, mask in (e.children, reversed(e.children)):
            name = GLIBC_CTYPE_MASKS.get(_constant(mask))
            table = _strip(table)
            if name is not None and self.is_glibc_ctype_table(table):
                return table.children[1], name
        return None

    def is_glibc_ctype_table(self, e: Expr) -> bool:
        """Is e `(*__ctype_b_loc())[i]`, glibc's character class table read?"""
        if e.kind is not Kind.SUBSCRIPT or len(e.children) != 2:
            return False
        base = implicit_gone(e.children[0])
        if base.kind is not Kind.UNARY or base.op != "*" or not base.children:
            return False
        call = implicit_gone(base.children[0])
        found = self._predicate(call) if call.kind is Kind.CALL else None
        return found is not None and found.name == GLIBC_CTYPE_TABLE

    def _compare(self, subject: Expr, op: str, k: int, why: str) -> Facts:
        found = _view(subject)
        if found is None:
            return {}
        var, domain = found
        lo, hi = domain.min, domain.max
        if op == "<":
            hi = k - 1
        elif op == "<=":
            hi = k
        elif op == ">":
            lo = k + 1
        elif op == ">=":
            lo = k
        elif op == "==":
            lo = hi = k
        else:
            return {}
        return self._fact(var, domain, max(lo, domain.min), min(hi, domain.max), why)

    def _nonzero(self, e: Expr, truth: bool, why: str, held: Facts) -> Facts:
        """`if (x)`, `if (x >> 8)`, `if (x & 0xff00)`: when false, bounds on x; when
        true, x >= 1 if x is known not to be negative (a flag: `if (end)`)."""
        if truth:
            found = _view(e)
            old = held.get(found[0].decl) if found is not None and found[0].kind is Kind.DECL_REF else None
            if old is None or old.lo < 0 or old.hi < 1:
                return {}
            return self._fact(found[0], found[1], max(old.lo, 1), old.hi, why)
        if e.kind is Kind.BINARY and e.op in (">>", "&"):
            subject, other = e.children
            k = _constant(other)
            if k is None and e.op == "&":
                subject, other = other, subject
                k = _constant(other)
            found = _view(subject)
            if k is None or found is None or k < 0 and e.op == ">>":
                return {}
            var, domain = found
            if e.op == ">>":
                bits = k  # x >> k == 0: 0 <= x < 2**k
            else:
                # The bits the variable can have: a promoted u16 has nothing above bit 15.
                width = var.type.bits if not var.type.signed else domain.bits
                mask = k % (1 << width)
                bits = (mask & -mask).bit_length() - 1 if mask else width
                if mask >> bits != (1 << (width - bits)) - 1:
                    return {}  # not every bit above is tested: `x & 0x100` == 0 says little
            return self._fact(var, domain, 0, (1 << bits) - 1, why)
        found = _view(e)
        if found is None:
            return {}
        var, domain = found
        return self._fact(var, domain, 0, 0, why)

    def _fact(self, var: Expr, domain: CType, lo: int, hi: int, why: str) -> Facts:
        """var's value, seen in `domain` (its type, or a wider one it was converted
        to), lies in lo..hi. A signed variable seen as unsigned is only known when
        lo..hi excludes what its negative values turn into."""
        t = var.type
        key = var.decl if var.kind is Kind.DECL_REF else lvalue_key(var)
        if key is None or key in self._escaped or lo > hi:
            return {}
        if t.signed and not domain.signed:
            if hi > t.max:
                return {}
            lo = max(lo, 0)
        lo, hi = max(lo, t.min), min(hi, t.max)
        if (lo, hi) == (t.min, t.max) or lo > hi:
            return {}
        return {key: Fact(lo, hi, why)}


def _labels(s: Stmt) -> tuple[list[Stmt], Stmt]:
    """The labels of `case 0: case 1: stmt` (CASE and DEFAULT statements) and the
    statement under them."""
    labels: list[Stmt] = []
    while s.kind in (StmtKind.CASE, StmtKind.DEFAULT) and s.body:
        labels.append(s)
        s = s.body[0]
    return labels, s


def _strip(e: Expr) -> Expr:
    """Without parentheses and conversions that keep every value (`(long)x` too)."""
    while e.children and (e.kind is Kind.PAREN or e.kind is Kind.CAST and _widens(e)):
        e = e.children[-1]
    return e


def _widens(cast: Expr) -> bool:
    """Does the conversion keep every value of its operand?"""
    source, target = cast.children[-1].type, cast.type
    return source.is_integer and target.is_integer and target.min <= source.min and source.max <= target.max


def _variable(e: Expr) -> Expr | None:
    e = _strip(e)
    return e if e.kind is Kind.DECL_REF and e.decl is not None and e.type.is_integer else None


def _pointer_variable(e: Expr) -> Expr | None:
    e = _strip(e)
    return e if e.kind is Kind.DECL_REF and e.decl is not None and e.type.is_pointer else None


def _view(e: Expr) -> tuple[Expr, CType] | None:
    """The variable e reads and the type its value is seen in: its own, or (for a
    signed variable compared as unsigned, `x > 5u`) the unsigned type."""
    domain = e.type
    e = _strip(e)
    if e.kind is Kind.CAST and e.children and e.type.is_integer:  # `n >= 8u`, `(unsigned int)n >= 8`
        source = e.children[-1].type
        if source.is_integer and source.signed and not e.type.signed and e.type.bits >= source.bits:
            domain = e.type
            e = _strip(e.children[-1])
    var = _variable(e)
    if var is None and e.type.is_integer and lvalue_key(e) is not None:
        var = e  # `*p < '0'`, `p[i] > '9'`: known until memory or p (or i) changes
    return (var, domain) if var is not None and domain.is_integer else None


def _constant(e: Expr) -> int | None:
    v = ValueAnalysis().visit(e)
    return v.lo if v.lo is not None and v.lo == v.hi else None


def _initial_value(init: Stmt | None, var: int) -> int | None:
    """The constant `i = a` or `int i = a` of a for loop's first clause."""
    if init is None:
        return None
    if init.kind is StmtKind.DECL:
        found = [e for v, e in init.decls if v == var and e is not None]
        return _constant(found[-1]) if found else None
    if init.kind is StmtKind.EXPR:
        e = _strip(init.exprs[0])
        if e.kind is Kind.BINARY and e.op == "=":
            target = _variable(e.children[0])
            if target is not None and target.decl == var:
                return _constant(e.children[1])
    return None


def _meet(a: Facts, b: Facts) -> Facts:
    """Both hold: the intersection (a contradiction, dead code, keeps a)."""
    if not b:
        return a
    out = dict(a)
    for var, f in b.items():
        old = out.get(var)
        if old is None:
            out[var] = f
        elif max(old.lo, f.lo) <= min(old.hi, f.hi):
            why = f.why if (f.lo, f.hi) != (old.lo, old.hi) else old.why
            out[var] = Fact(max(old.lo, f.lo), min(old.hi, f.hi), why, old.taint | f.taint, old.implied + f.implied)
    return out


def _join(a: Facts, b: Facts) -> Facts:
    """One of them holds: what both know, widened to cover both."""
    out = {}
    for var, f in a.items():
        g = b.get(var)
        if g is not None:
            if (f.lo, f.hi, f.taint, f.implied) == (g.lo, g.hi, g.taint, g.implied):
                out[var] = f
                continue
            implied = _implied_either(f, g) if f.implied or g.implied else ()
            out[var] = Fact(min(f.lo, g.lo), max(f.hi, g.hi), f.why, f.taint | g.taint, implied)
    return out


def _implied_either(f: Fact, g: Fact) -> tuple:
    """The implications of a flag that is f on one way and g on the other: a value
    only one way can give keeps that way's; one both ways give, what both imply."""
    out = []
    for mine, theirs in ((f, g), (g, f)):
        for value, carried in mine.implied:
            if not theirs.lo <= value <= theirs.hi:
                out.append((value, carried))
            elif mine is f:
                for other_value, other in theirs.implied:
                    if other_value == value:
                        both = _join(dict(carried), dict(other))
                        if both:
                            out.append((value, tuple(both.items())))
    return tuple(out)


def _without(facts: Facts, variables) -> Facts:
    """facts without those about `variables` (MEMORY among them: without every fact
    about a value read through a pointer), nor about `*p`, `p[i]` when p or i changed."""
    if not variables or not facts:
        return facts

    def gone(key) -> bool:
        if key in variables:
            return True
        if not isinstance(key, tuple):
            return False
        if key[1] != "-" and (MEMORY in variables or OUTSIDE in variables and not is_local_array_element(key)):
            return True
        return not lvalue_reads(key).isdisjoint(variables)

    def kept(f: Fact) -> Fact:
        if not f.implied:
            return f
        implied = tuple((value, left) for value, carried in f.implied
                        if (left := tuple((k, g) for k, g in carried if not gone(k))))
        return f if implied == f.implied else replace(f, implied=implied)

    if not any(gone(k) or f.implied for k, f in facts.items()):
        return facts
    return {v: kept(f) for v, f in facts.items() if not gone(v)}


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


def _continues(s: Stmt) -> bool:
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


def _assigned(s: Stmt) -> set[int]:
    """Variables a statement may change (declared in it, assigned, incremented)."""
    out = _declared(s)
    for e in _exprs_of(s):
        out |= _assigned_in(e)
    return out


def _assigned_in(root: Expr, calls: bool = True) -> set[int]:
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
            var = _variable_any(target)
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


def _untouched_parameters(body: Stmt) -> set[int]:
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
    return read - _assigned(body)  # (what _assigned counts includes the declared)


def _about_memory(facts: Facts) -> bool:
    """Is anything known about a value read through a pointer (values.lvalue_key)?"""
    return any(isinstance(k, tuple) and k[1] != "-" for k in facts)


def _byte_read(e: Expr) -> bool:
    """A char variable, `*p` or `p[i]`, promoted: `is_digit(buf[0])`."""
    e = _strip(e)
    return e.type.is_integer and e.type.bits == 8 and (
        e.kind is Kind.DECL_REF and e.decl is not None or lvalue_key(e) is not None)


def _changed_while_read(root: Expr) -> set[int]:
    """What root may change before it has read its operands: not what its calls do
    (arguments are read first: `f(*p - '0')` under a guard on *p), nor its own
    final store (`*out = *p - '0'`, `*pn += *p - '0'`)."""
    top = _strip(root)
    if top.kind in (Kind.BINARY, Kind.COMPOUND_ASSIGN) and top.op.endswith("=") \
            and top.op not in ("==", "!=", "<=", ">=") and _variable_any(top.children[0]) is None:
        out: set[int] = set()
        for child in top.children:
            out |= _assigned_in(child, calls=False)
        return out - _moved_after_read(root)
    return _assigned_in(root, calls=False) - _moved_after_read(root)


def _moved_after_read(root: Expr) -> set[int]:
    """The pointers of `*p++` (and `*(*pp)++`, as _assigned_in's ("via", pp)) in root
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
            inner = _strip(e.children[0])
            if inner.kind is Kind.UNARY and inner.op in ("post++", "post--") and inner.children:
                var = _variable_any(inner.children[0])
                through = _pointer_written(inner.children[0]) if var is None else None
                if var is not None:
                    moved.add(var)
                elif through is not None:  # `*(*fmt)++`: the pointer *fmt moves after the read
                    moved.add(("via", through))
    return {v for v in moved if reads.get(v[1] if isinstance(v, tuple) else v) == 1}


def _variable_any(e: Expr) -> int | None:
    while e.children and e.kind in (Kind.PAREN, Kind.CAST):
        e = e.children[-1]
    return e.decl if e.kind is Kind.DECL_REF else None


def _address_taken(body: Stmt) -> set[int]:
    """Variables whose address is taken anywhere in the function: a pointer can
    change them behind any call, so nothing is assumed about them."""
    out: set[int] = set()
    for root in _exprs_of(body):
        work = [root]
        while work:
            e = work.pop()
            work.extend(e.children)
            if e.kind is Kind.UNARY and e.op == "&" and e.children:
                var = _variable_any(e.children[0])
                if var is not None:
                    out.add(var)
    return out


def _reads(root: Expr, variables: set[int]) -> bool:
    work = [root]
    while work:
        e = work.pop()
        if e.kind is Kind.DECL_REF and e.decl in variables:
            return True
        work.extend(e.children)
    return False
