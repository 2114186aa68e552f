"""Compile and run generated programs, run signlint on them, classify every function.

Per rule and function (rules SL001-SL004 and SL006; SL007 counts as SL001, SL008 as SL004):
- agree-bug: signlint flags it with the rule, and some input shows the rule's kind
  of difference (model.Function.attribution(); for SL002 also: gcc gives a value
  other than the model's, and wrong, on an input where an int product overflows:
  -O2, and sometimes -O0, exploits the overflow).
- agree-ok: not flagged, and no input shows it.
- false-positive: flagged, but no input shows it.
- miss: some input shows it, not only behind another rule's difference (see
  model.Function.attribution()), and the rule is silent.
SL005 is judged only on functions where SL001 is silent, against -fsanitize=shift:
an int shift into bit 31 reported on some input is what it should flag.

A function is wrong when gcc -O0 or -O2 gives a value other than the ideal one on
some input. Harness errors (the oracle itself is wrong, or the program left the
domain) are kept apart: gcc -O0 disagreeing with the model of C, or -O2 with
-O0, where no int product overflows, the fully fixed model disagreeing with the
ideal value, a -fsanitize=shift report other than an int shift into bit 31,
signlint warnings on the generated file.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field, replace

from .gen import Program, assemble, degenerate, expected, generate, make_vectors, render_expr
from .model import SITE_RULES, U8, U64, Cond, Function, Node, Sink, Slot, Var, positions, problems, replace_at, walk

VERDICTS = ("agree-bug", "agree-ok", "false-positive", "miss")
DISAGREEMENTS = ("false-positive", "miss")
ALL_RULES = ("SL001", "SL002", "SL003", "SL004", "SL005", "SL006", "SL007", "SL008")
# Rules that split a family by the evidence, judged with it: by execution, a shift by a
# count nothing bounds (SL007) is SL001's bug, a late-cast u32 shift (SL008) SL004's.
_FAMILY = {"SL007": "SL001", "SL008": "SL004"}
GCC = os.environ.get("ORACLE_CC", "gcc")
_UBSAN = re.compile(r"^(?P<file>[^:\n]*):(?P<line>\d+):(?P<col>\d+): runtime error: (?P<msg>.*)$", re.M)
_EXPECTED_UBSAN = re.compile(r"left shift of \d+ by \d+ places cannot be represented in type 'int'")


@dataclass
class FunctionResult:
    seed: int
    index: int
    fn: Function
    text: str  # the function's C source (as rendered in the program)
    findings: dict[str, list[str]]  # rule -> signlint's messages in the function
    wrong: list[tuple[dict, int, int, int | None]]  # (input, observed at -O0, ideal, observed at -O2)
    shows: dict[str, bool]  # rule -> some input shows its kind of difference (None: not judged)
    sign_extension: bool  # every wrong -O0 value is the ideal one with sign- instead of zero-extension
    upper_ones: bool  # in every wrong value, the bits that differ are ones above bit 31 of the observed value
    rules: tuple[str, ...] = ALL_RULES  # the rules signlint ran with
    ubsan: list[str] = field(default_factory=list)  # -fsanitize=shift reports in the function
    model_shift_ub: bool = False  # the model saw an int shift into bit 31 on some input
    harness: list[str] = field(default_factory=list)  # errors of the oracle, not of signlint
    masked: set[str] = field(default_factory=set)  # rules whose differences all hide behind other rules' bugs

    @property
    def flagged(self) -> bool:
        return any(self.findings.values())

    @property
    def messages(self) -> list[str]:
        return [m for r in sorted(self.findings) for m in self.findings[r]]

    def verdict_for(self, rule: str) -> str | None:
        """The rule's verdict, or None when it is not judged here (not run, or SL005 where SL001 flags)."""
        shown = self.shows.get(rule)
        if rule not in self.rules or shown is None:
            return None
        if self.findings.get(rule):
            return "agree-bug" if shown else "false-positive"
        return "miss" if shown and rule not in self.masked else "agree-ok"

    @property
    def verdicts(self) -> dict[str, str]:
        return {r: v for r in self.rules if (v := self.verdict_for(r))}

    @property
    def disagreeing(self) -> list[str]:
        """The rules that disagree with execution here."""
        return [r for r, v in self.verdicts.items() if v in DISAGREEMENTS]

    @property
    def verdict(self) -> str:
        """One word for the function: the first rule's disagreement, else agree-bug when some rule's
        difference shows, else agree-ok."""
        vs = self.verdicts
        for r in self.disagreeing:
            return vs[r]
        return "agree-bug" if any(v == "agree-bug" for v in vs.values()) else "agree-ok"

    def describe(self, limit: int = 3) -> str:
        dis = self.disagreeing
        head = ", ".join(f"{r} {self.verdicts[r]}" for r in dis) or self.verdict
        lines = [f"seed {self.seed} function {self.fn.name}: {head}", self.text]
        slot_keys = [s.key for s in self.fn.slots]
        for env, observed, ideal, o2 in self.wrong[:limit]:
            shown = ", ".join(f"{k}={env[k]:#x}" for k in slot_keys)
            at_o2 = "" if o2 is None or o2 == observed else f" (-O2 {o2:016x})"
            lines.append(f"  input {shown or '(none)'}: observed {observed:016x}{at_o2} ideal {ideal:016x}")
        if len(self.wrong) > limit:
            lines.append(f"  ... {len(self.wrong) - limit} more wrong inputs")
        if not self.wrong:
            lines.append(f"  all {len(self.fn.vectors)} inputs give the ideal value")
        shows = [r for r, s in sorted(self.shows.items()) if s]
        lines.append(f"  differences of: {', '.join(shows) or '(none)'}"
                     + (f"; -fsanitize=shift: {self.ubsan[0]}" if self.ubsan else ""))
        lines += [f"  signlint {m}" for m in self.messages] or ["  signlint: (silent)"]
        lines += [f"  harness: {h}" for h in self.harness]
        return "\n".join(lines)


@dataclass
class ProgramResult:
    seed: int
    source: str
    functions: list[FunctionResult]
    errors: list[str] = field(default_factory=list)  # program-level harness errors

    @property
    def disagreements(self) -> list[FunctionResult]:
        return [f for f in self.functions if f.disagreeing]

    @property
    def harness_errors(self) -> list[str]:
        return self.errors + [f"{f.fn.name}: {h}" for f in self.functions for h in f.harness]


# -- tools -----------------------------------------------------------------------


def have_gcc() -> bool:
    return shutil.which(GCC) is not None


def _compile(src: str, out: str, flags: list[str]) -> str | None:
    p = subprocess.run([GCC, *flags, "-std=gnu11", src, "-o", out], capture_output=True, text=True)
    return None if p.returncode == 0 else f"gcc {' '.join(flags)} failed:\n{p.stderr[-3000:]}"


def _run(binary: str) -> tuple[list[int] | None, str, str]:
    p = subprocess.run([binary], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        return None, p.stderr, f"{os.path.basename(binary)} exited with {p.returncode}"
    try:
        return [int(x, 16) for x in p.stdout.split()], p.stderr, ""
    except ValueError:
        return None, p.stderr, "unreadable output"


_ENGINES: dict = {}


def _engine(rules: tuple[str, ...]):
    if rules not in _ENGINES:
        from signlint.run.engine import Engine, Options

        _ENGINES[rules] = Engine(Options(frozenset(rules)))
    return _ENGINES[rules]


def lint(path: str, rules: tuple[str, ...] = ALL_RULES) -> tuple[list, list[str]]:
    """signlint's findings of `rules` on a file, and its warnings/internal errors."""
    from signlint.front.files import discover
    from signlint.run import schedule

    report = schedule.run(_engine(tuple(rules)), discover([path]))
    problems = list(report.warnings) + list(getattr(report, "internal_errors", []))
    return [f for f in report.findings if f.rule in rules], problems


# -- one program -------------------------------------------------------------------


def check_program(prog: Program, workdir: str | None = None, sanitize: bool = True, o2: bool = True,
                  run_gcc: bool = True, rules: tuple[str, ...] = ALL_RULES) -> ProgramResult:
    """Compile, run and lint one program; classify each function. run_gcc=False
    trusts the model of C instead of gcc (for reduction only)."""
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="oracle-")
    try:
        return _check(prog, workdir, sanitize, o2, run_gcc, tuple(rules))
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def _check(prog: Program, workdir: str, sanitize: bool, o2: bool, run_gcc: bool, rules) -> ProgramResult:
    src = os.path.join(workdir, f"oracle_{prog.seed}.c")
    with open(src, "w") as fh:
        fh.write(prog.source)
    result = ProgramResult(prog.seed, prog.source, [])
    models = [expected(fn) for fn in prog.functions]
    total = sum(len(fn.vectors) for fn in prog.functions)

    def execute(flags: list[str], tag: str):
        binary = os.path.join(workdir, f"oracle_{prog.seed}_{tag}")
        err = _compile(src, binary, flags)
        if err:
            result.errors.append(err)
            return None, ""
        values, stderr, err = _run(binary)
        if err or len(values) != total:
            result.errors.append(err or f"{tag}: {len(values)} results, expected {total}")
            return None, stderr
        return values, stderr

    if run_gcc:
        observed, _ = execute(["-O0"], "O0")
        if observed is None:
            return result
        optimised = execute(["-O2"], "O2")[0] if o2 else None
        ubsan_text = execute(["-O0", "-fsanitize=shift"], "ubsan")[1] if sanitize else ""
    else:
        observed = [v for m in models for v in m[1]]
        optimised, ubsan_text = None, ""

    findings, warnings = lint(src, rules)
    result.errors += [f"signlint: {w}" for w in warnings]
    by_function: dict[int, list] = {}
    for f in findings:
        i = prog.function_at(f.position.line)
        if i is None:
            result.errors.append(f"signlint finding outside the generated functions: line {f.position.line}")
        else:
            by_function.setdefault(i, []).append(f)
    ubsan: dict[int, list[str]] = {}
    for m in _UBSAN.finditer(ubsan_text):
        i = prog.function_at(int(m["line"]))
        ubsan.setdefault(-1 if i is None else i, []).append(m["msg"])
    for msg in ubsan.get(-1, []):
        result.errors.append(f"-fsanitize=shift outside the generated functions: {msg}")

    start = 0
    lines = prog.source.splitlines()
    for i, fn in enumerate(prog.functions):
        n = len(fn.vectors)
        ideal, model, zext = models[i]
        obs = observed[start:start + n]
        opt = optimised[start:start + n] if optimised is not None else [None] * n
        ub_per_input = _model_ub(fn)
        shown = fn.attribution()
        all_fixed = fn.fixed_evaluator(SITE_RULES)
        shows = dict.fromkeys((r for r in SITE_RULES if r in rules), False)
        strong: set[str] = set()
        harness, wrong = [], []
        sign_ext = upper = True
        for j, env in enumerate(fn.vectors):
            kinds = ub_per_input[j]
            # gcc may exploit an int product's overflow at any level (it folds
            # `(uint32_t)(b * 0x1010101) == 0xffffffff` to 0 even at -O0): where one
            # overflows, its values need not be the model's.
            exploited = "mul" in kinds and (obs[j] != model[j] or (opt[j] is not None and opt[j] != obs[j]))
            if obs[j] != model[j] and "mul" not in kinds:
                harness.append(f"gcc gives {obs[j]:016x}, the model of C {model[j]:016x}, on {env}")
            if opt[j] is not None and opt[j] != obs[j] and "mul" not in kinds:
                harness.append(f"-O2 gives {opt[j]:016x}, -O0 {obs[j]:016x}, on {env} (no int product overflows)")
            if all_fixed(env) != ideal[j]:
                harness.append(f"with every fix the model gives {all_fixed(env):016x}, not the ideal "
                               f"{ideal[j]:016x}, on {env}")
            hard, here = shown(env, ideal[j], model[j])
            if exploited and (obs[j] != ideal[j] or opt[j] != ideal[j]):
                here.add("SL002")  # gcc exploited the overflow
                hard.add("SL002")
            strong |= hard
            for r in here & shows.keys():
                shows[r] = True
            if obs[j] != ideal[j] or (opt[j] is not None and opt[j] != ideal[j]):
                wrong.append((env, obs[j], ideal[j], opt[j]))
                if not here:
                    harness.append(f"a wrong value no rule's difference explains, on {env}")
                if obs[j] != ideal[j]:
                    if zext[j] != ideal[j]:
                        sign_ext = False
                    diff = obs[j] ^ ideal[j]
                    if fn.sink.kind != "compare" and (diff & 0xFFFFFFFF or obs[j] & diff != diff):
                        upper = False
        reports = ubsan.get(i, [])
        harness += [f"unexpected -fsanitize=shift report: {r}" for r in reports if not _EXPECTED_UBSAN.fullmatch(r)]
        model_ub = set().union(*ub_per_input) if ub_per_input else set()
        harness += [f"the model meets undefined behaviour outside the domain: {k}"
                    for k in sorted(model_ub - {"shift", "mul"})]
        if sanitize and run_gcc and bool(reports) != ("shift" in model_ub):
            harness.append("-fsanitize=shift reports an int shift into bit 31 that the model does not predict"
                           if reports else "the model predicts an int shift into bit 31 that -fsanitize=shift misses")
        mine = by_function.get(i, [])
        top = prog.ranges[i][0]
        per_rule: dict[str, list[str]] = {}
        for f in mine:
            family = _FAMILY.get(f.rule, f.rule)
            per_rule.setdefault(family, []).append(f"{f.rule} line {f.position.line - top + 1}: {f.message}")
        if "SL005" in rules:
            # Judged where SL001 is silent: an int shift into bit 31 that -fsanitize=shift reports.
            shows["SL005"] = None if per_rule.get("SL001") else bool(reports if sanitize and run_gcc
                                                                       else "shift" in model_ub)
        struct_text = "\n".join(_struct_lines(lines, fn.struct_name, top))
        result.functions.append(FunctionResult(
            prog.seed, i, fn, (struct_text + "\n" if struct_text else "") + prog.function_text(i),
            per_rule, wrong, shows, bool(wrong) and sign_ext, upper, tuple(rules), reports, "shift" in model_ub,
            harness, {r for r, s in shows.items() if s and r not in strong and r != "SL005"}))
        start += n
    return result


def _model_ub(fn: Function) -> list[set[str]]:
    """Per input: the kinds of undefined behaviour the model of C meets (through the
    function's evaluators: a guarded function does not evaluate what its guard stops)."""
    _, c, _, ub = fn.evaluators()
    out = []
    for env in fn.vectors:
        ub.clear()
        c(env)
        out.append({kind for kind, _ in ub})
    return out


def _struct_lines(lines: list[str], name: str, before: int) -> list[str]:
    for a in range(before - 2, -1, -1):
        if lines[a].startswith(f"struct {name}"):
            return lines[a:before - 1]
        if lines[a].startswith("}") and not lines[a].startswith("};"):
            break
    return []


# -- many programs -------------------------------------------------------------------


def run_one(args) -> ProgramResult:
    seed, count, sanitize, o2, rules, *more = args
    if more and more[0]:  # context: the share of guarded, switch and loop functions (oracle/context.py)
        from .context import generate_context

        return check_program(generate_context(seed, count, more[0]), sanitize=sanitize, o2=o2, rules=rules)
    return check_program(generate(seed, count), sanitize=sanitize, o2=o2, rules=rules)


def run_seeds(seeds, count: int = 8, jobs: int = 1, sanitize: bool = True, o2: bool = True,
              rules: tuple[str, ...] = ALL_RULES, context: float = 0.0):
    """Yield a ProgramResult per seed (in order). context > 0: programs of oracle/context.py,
    that share of their functions guarded, switch-cased or looped."""
    work = [(s, count, sanitize, o2, tuple(rules), context) for s in seeds]
    if jobs <= 1:
        for w in work:
            yield run_one(w)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(run_one, work, chunksize=2)


# -- reduction ----------------------------------------------------------------------


def _candidates(fn: Function):
    sink = fn.sink
    if sink.kind not in ("return", "compare"):
        yield fn.with_expr(fn.expr, Sink("return", sink.type))
    if sink.type != U64:
        yield fn.with_expr(fn.expr, replace(sink, type=U64))
    if sink.kind == "compound" and sink.init and sink.op != "&=":
        yield fn.with_expr(fn.expr, replace(sink, init=0))
    if sink.kind == "compare" and sink.swap:
        yield fn.with_expr(fn.expr, replace(sink, swap=False))
    for path, node in positions(fn.expr):
        for kid in node.kids:
            yield fn.with_expr(replace_at(fn.expr, path, kid))
        if isinstance(node, Cond):
            continue
        if isinstance(node, Var) and node.slot.declared != U8 and not node.slot.is_char:
            yield fn.with_expr(replace_at(fn.expr, path, Var(Slot("b9", "param", U8, 8))))


def quick_verdict(fn: Function, workdir: str, rule: str, rules=ALL_RULES) -> tuple[str | None, Function]:
    """The rule's verdict with the model of C standing in for gcc (it is checked
    against gcc on every input of every program); signlint runs for real. SL002
    (whose -O2 differences the model cannot predict) and SL005 (judged against
    -fsanitize=shift) run gcc."""
    fn = make_vectors(fn, random.Random(0), search=600)
    real = rule in ("SL002", "SL005")
    res = check_program(assemble(0, [fn]), workdir, run_gcc=real, sanitize=rule == "SL005",
                        o2=rule == "SL002", rules=rules)
    if res.errors or res.harness_errors:
        return "error", fn
    return res.functions[0].verdict_for(rule), fn


def _plain_smaller(cand: Function, fn: Function) -> bool:
    """Is cand a valid program of the plain domain, and smaller than fn?"""
    if problems(cand.expr) or degenerate(cand.expr):
        return False
    return (_size(cand), _sink_rank(cand)) < (_size(fn), _sink_rank(fn))


def reduce(fr: FunctionResult, rule: str | None = None, workdir: str | None = None,
           max_steps: int = 200, candidates=None, smaller=_plain_smaller) -> FunctionResult:
    """Greedily shrink a function while the rule's verdict (by default the first
    disagreeing rule's) stays the same, then confirm the result with gcc.
    candidates(fn) proposes smaller functions (default: _candidates); smaller(cand, fn)
    says whether one is valid and smaller (oracle/context.py passes its own)."""
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="oracle-reduce-")
    rule = rule or (fr.disagreeing or ["SL001"])[0]
    candidates = candidates or _candidates
    try:
        want, fn = fr.verdict_for(rule), fr.fn
        for _ in range(max_steps):
            for cand in candidates(fn):
                if not smaller(cand, fn):
                    continue
                verdict, cand = quick_verdict(cand, workdir, rule, fr.rules)
                if verdict == want:
                    fn = cand
                    break
            else:
                break
        final = check_program(assemble(fr.seed, [make_vectors(fn, random.Random(0), search=600)]), workdir,
                              rules=fr.rules)
        if final.errors or not final.functions:
            return fr
        out = final.functions[0]
        return out if out.verdict_for(rule) == want else fr
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def _size(fn: Function) -> int:
    return sum(1 for _ in walk(fn.expr))


def _sink_rank(fn: Function) -> tuple:
    s = fn.sink
    return (s.kind != "return", s.type != U64, s.init != 0, len(fn.slots))


def pattern(fr: FunctionResult, rule: str | None = None) -> str:
    """A short description to group disagreements by (use on reduced functions)."""
    rule = rule or (fr.disagreeing or ["SL001"])[0]
    s = fr.fn.sink
    sink = f"{s.kind} {s.type.spelling}" + (f" {s.op}" if s.op else "")
    return f"{rule} {fr.verdict_for(rule)}: {sink} <- {render_expr(_normalised(fr.fn.expr))}"


def _normalised(node: Node) -> Node:
    """Operands named by what they are (u8, u16, u32, bf7 for a 7-bit bit-field, char,
    schar), so that patterns differing only in names group together."""
    if isinstance(node, Var):
        s = node.slot
        if s.bitfield:
            name = f"bf{s.width}"
        elif s.is_char:
            name = "char" if s.declared.spelling == "char" else "schar"
            name = f"{name}_cb" if s.kind == "cbuf" else name
        else:
            name = s.declared.spelling.replace("uint", "u").replace("_t", "")
        return Var(Slot(name, "param", s.declared, s.width, s.bitfield))
    return node.with_kids(tuple(_normalised(k) for k in node.kids))
