"""Compile and run generated programs, run signlint on them, classify every function.

Verdicts:
- agree-bug: signlint flags it and some input gives a wrong value.
- agree-ok: signlint is silent and every input gives the ideal value.
- false-positive: flagged, but no input gives a wrong value.
- miss: some input gives a wrong value, and signlint is silent.

Harness errors (the oracle itself is wrong, or the program left the domain) are
kept apart: gcc disagreeing with the model of C, -O2 disagreeing with -O0, a
-fsanitize=shift report other than an int shift into bit 31, a wrong value not
explained by sign extension, signlint warnings on the generated file.
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
from .model import U8, U64, Cond, Function, Node, Sink, Slot, Var, problems, walk

VERDICTS = ("agree-bug", "agree-ok", "false-positive", "miss")
DISAGREEMENTS = ("false-positive", "miss")
GCC = os.environ.get("ORACLE_CC", "gcc")
_UBSAN = re.compile(r"^(?P<file>[^:\n]*):(?P<line>\d+):(?P<col>\d+): runtime error: (?P<msg>.*)$", re.M)
_EXPECTED_UBSAN = re.compile(r"left shift of \d+ by \d+ places cannot be represented in type 'int'")


@dataclass
class FunctionResult:
    seed: int
    index: int
    fn: Function
    text: str  # the function's C source (as rendered in the program)
    flagged: bool
    messages: list[str]  # signlint's SL001 messages in the function
    wrong: list[tuple[dict, int, int]]  # (input, observed at -O0, ideal)
    sign_extension: bool  # every wrong value is the ideal one with sign- instead of zero-extension
    upper_ones: bool  # in every wrong value, the bits that differ are ones above bit 31 of the observed value
    ubsan: list[str] = field(default_factory=list)  # -fsanitize=shift reports in the function
    model_shift_ub: bool = False  # the model saw an int shift into bit 31 on some input
    harness: list[str] = field(default_factory=list)  # errors of the oracle, not of signlint

    @property
    def verdict(self) -> str:
        if self.wrong:
            return "agree-bug" if self.flagged else "miss"
        return "false-positive" if self.flagged else "agree-ok"

    def describe(self, limit: int = 3) -> str:
        lines = [f"seed {self.seed} function {self.fn.name}: {self.verdict}", self.text]
        slot_keys = [s.key for s in self.fn.slots]
        for env, observed, ideal in self.wrong[:limit]:
            shown = ", ".join(f"{k}={env[k]:#x}" for k in slot_keys)
            lines.append(f"  input {shown or '(none)'}: observed {observed:016x} ideal {ideal:016x}")
        if len(self.wrong) > limit:
            lines.append(f"  ... {len(self.wrong) - limit} more wrong inputs")
        if not self.wrong:
            lines.append(f"  all {len(self.fn.vectors)} inputs give the ideal value")
        lines += [f"  signlint: {m}" for m in self.messages] or ["  signlint: (silent)"]
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
        return [f for f in self.functions if f.verdict in DISAGREEMENTS]

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


_ENGINE = None


def _engine():
    global _ENGINE
    if _ENGINE is None:
        from signlint.engine import Engine, Options

        _ENGINE = Engine(Options(frozenset({"SL001"})))
    return _ENGINE


def lint(path: str) -> tuple[list, list[str]]:
    """signlint's SL001 findings on a file, and its warnings/internal errors."""
    from signlint.files import discover

    report = _engine().run(discover([path]))
    problems = list(report.warnings) + list(getattr(report, "internal_errors", []))
    return [f for f in report.findings if f.rule == "SL001"], problems


# -- one program -------------------------------------------------------------------


def check_program(prog: Program, workdir: str | None = None, sanitize: bool = True, o2: bool = True,
                  run_gcc: bool = True) -> ProgramResult:
    """Compile, run and lint one program; classify each function. run_gcc=False
    trusts the model of C instead of gcc (for reduction only)."""
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="oracle-")
    try:
        return _check(prog, workdir, sanitize, o2, run_gcc)
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def _check(prog: Program, workdir: str, sanitize: bool, o2: bool, run_gcc: bool) -> ProgramResult:
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

    findings, warnings = lint(src)
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
    for i, fn in enumerate(prog.functions):
        n = len(fn.vectors)
        ideal, model, zext = models[i]
        obs = observed[start:start + n]
        harness = []
        wrong = []
        sign_ext = upper = True
        for j, env in enumerate(fn.vectors):
            if obs[j] != model[j]:
                harness.append(f"gcc gives {obs[j]:016x}, the model of C {model[j]:016x}, on {env}")
            if optimised is not None and optimised[start + j] != obs[j]:
                harness.append(f"-O2 gives {optimised[start + j]:016x}, -O0 {obs[j]:016x}, on {env}")
            if obs[j] != ideal[j]:
                wrong.append((env, obs[j], ideal[j]))
                if zext[j] != ideal[j]:
                    sign_ext = False
                diff = obs[j] ^ ideal[j]
                if fn.sink.kind != "compare" and (diff & 0xFFFFFFFF or obs[j] & diff != diff):
                    upper = False
        if wrong and not sign_ext:
            harness.append("a wrong value that sign extension does not explain")
        reports = ubsan.get(i, [])
        harness += [f"unexpected -fsanitize=shift report: {r}" for r in reports if not _EXPECTED_UBSAN.fullmatch(r)]
        model_ub = _model_ub(fn)
        harness += [f"the model meets undefined behaviour outside the domain: {k}"
                    for k in sorted(model_ub - {"shift"})]
        if sanitize and run_gcc and bool(reports) != ("shift" in model_ub):
            harness.append("-fsanitize=shift reports an int shift into bit 31 that the model does not predict"
                           if reports else "the model predicts an int shift into bit 31 that -fsanitize=shift misses")
        lines = prog.source.splitlines()
        st = fn.struct_name
        struct_text = "\n".join(_struct_lines(lines, st, prog.ranges[i][0]))
        result.functions.append(FunctionResult(
            prog.seed, i, fn, (struct_text + "\n" if struct_text else "") + prog.function_text(i),
            bool(by_function.get(i)), [f"line {f.position.line - prog.ranges[i][0] + 1}: {f.message}"
                                       for f in by_function.get(i, [])],
            wrong, sign_ext, upper, reports, "shift" in model_ub, harness))
        start += n
    return result


def _model_ub(fn: Function) -> set[str]:
    from .model import c_fn

    ub: set = set()
    f = c_fn(fn.expr, False, ub)
    for env in fn.vectors:
        f(env)
    return {kind for kind, _ in ub}


def _struct_lines(lines: list[str], name: str, before: int) -> list[str]:
    for a in range(before - 2, -1, -1):
        if lines[a].startswith(f"struct {name}"):
            return lines[a:before - 1]
        if lines[a].startswith("}") and not lines[a].startswith("};"):
            break
    return []


# -- many programs -------------------------------------------------------------------


def run_one(args) -> ProgramResult:
    seed, count, sanitize, o2 = args
    return check_program(generate(seed, count), sanitize=sanitize, o2=o2)


def run_seeds(seeds, count: int = 8, jobs: int = 1, sanitize: bool = True, o2: bool = True):
    """Yield a ProgramResult per seed (in order)."""
    work = [(s, count, sanitize, o2) for s in seeds]
    if jobs <= 1:
        for w in work:
            yield run_one(w)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap(run_one, work, chunksize=2)


# -- reduction ----------------------------------------------------------------------


def _positions(node: Node, path=()):
    yield path, node
    for i, k in enumerate(node.kids):
        yield from _positions(k, (*path, i))


def _replace(node: Node, path, new: Node) -> Node:
    if not path:
        return new
    kids = list(node.kids)
    kids[path[0]] = _replace(kids[path[0]], path[1:], new)
    return node.with_kids(tuple(kids))


def _candidates(fn: Function):
    sink = fn.sink
    if sink.kind not in ("return", "compare"):
        yield fn.with_expr(fn.expr, Sink("return", sink.type))
    if sink.type != U64:
        yield fn.with_expr(fn.expr, replace(sink, type=U64))
    if sink.kind == "compound" and sink.init:
        yield fn.with_expr(fn.expr, replace(sink, init=0))
    if sink.kind == "compare" and sink.swap:
        yield fn.with_expr(fn.expr, replace(sink, swap=False))
    for path, node in _positions(fn.expr):
        for kid in node.kids:
            yield fn.with_expr(_replace(fn.expr, path, kid))
        if isinstance(node, Cond):
            continue
        if isinstance(node, Var) and node.slot.declared != U8:
            yield fn.with_expr(_replace(fn.expr, path, Var(Slot("b9", "param", U8, 8))))


def quick_verdict(fn: Function, workdir: str) -> tuple[str, Function]:
    """The verdict with the model of C standing in for gcc (it is checked against gcc
    on every input of every program); signlint runs for real."""
    fn = make_vectors(fn, random.Random(0), search=600)
    res = check_program(assemble(0, [fn]), workdir, run_gcc=False)
    if res.errors:
        return "error", fn
    return res.functions[0].verdict, fn


def reduce(fr: FunctionResult, workdir: str | None = None, max_steps: int = 200) -> FunctionResult:
    """Greedily shrink a disagreeing function while its verdict stays the same, then
    confirm the result with gcc."""
    own = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="oracle-reduce-")
    try:
        want, fn = fr.verdict, fr.fn
        for _ in range(max_steps):
            for cand in _candidates(fn):
                if problems(cand.expr) or degenerate(cand.expr) or _size(cand) > _size(fn):
                    continue
                verdict, cand = quick_verdict(cand, workdir)
                if verdict == want and (_size(cand), _sink_rank(cand)) < (_size(fn), _sink_rank(fn)):
                    fn = cand
                    break
            else:
                break
        final = check_program(assemble(fr.seed, [make_vectors(fn, random.Random(0), search=600)]), workdir)
        if final.errors or not final.functions:
            return fr
        out = final.functions[0]
        return out if out.verdict == want else fr
    finally:
        if own:
            shutil.rmtree(workdir, ignore_errors=True)


def _size(fn: Function) -> int:
    return sum(1 for _ in walk(fn.expr))


def _sink_rank(fn: Function) -> tuple:
    s = fn.sink
    return (s.kind != "return", s.type != U64, s.init != 0, len(fn.slots))


def pattern(fr: FunctionResult) -> str:
    """A short description to group disagreements by (use on reduced functions)."""
    s = fr.fn.sink
    sink = f"{s.kind} {s.type.spelling}" + (f" {s.op}" if s.op else "")
    return f"{fr.verdict}: {sink} <- {render_expr(_normalised(fr.fn.expr))}"


def _normalised(node: Node) -> Node:
    """Operands named by what they are (u8, u16, u32, bf7 for a 7-bit bit-field), so
    that patterns differing only in names group together."""
    if isinstance(node, Var):
        s = node.slot
        name = f"bf{s.width}" if s.bitfield else s.declared.spelling.replace("uint", "u").replace("_t", "")
        return Var(Slot(name, "param", s.declared, s.width, s.bitfield))
    return node.with_kids(tuple(_normalised(k) for k in node.kids))
