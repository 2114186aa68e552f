#!/usr/bin/env python3
"""Bad input, measured: run `signlint check` on generated and mutated inputs and
count what comes back (issue 11, item 9).

Each input is a small folder (a C file, and sometimes a compile database or a
configuration file) checked in its own process under a timeout, in one of the
formats text, json and sarif. A run is bad when it prints a traceback, hangs,
exits with a status other than 0-3, or, in json/sarif, prints a report that does
not parse while claiming to have reported (status 0, 1 or 3).

    python scripts/fuzz.py --count 2000 --seed 1 --jobs 2

prints one line per bad run, then the counts; the exit status is 1 if any run
was bad. tests/test_fuzz.py runs a short seeded batch of the same generators.

    python scripts/fuzz.py --deep

runs the deeply nested and huge inputs of issue 14 instead (parentheses, unary
operators, `? :`, `else if` and `&&` chains 100 to 100,000 deep, a macro that
expands to 1 MB, a 100,000-case switch, a 50 MB file), one at a time, and prints
each one's exit status, time, peak RSS and verdict. Each puts a finding before
the deep part: it must be reported, whatever becomes of the rest (see deep_problem).
tests/test_fuzz.py runs the affordable ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").glob("sl*/*.c"))
FORMATS = ("text", "json", "sarif")
EXPECTED_STATUS = {0, 1, 2, 3}


@dataclass
class Case:
    """One input: files to write (relative name -> bytes) and the path to check."""

    name: str
    files: dict[str, bytes]
    target: str = "input.c"
    extra: list[str] = field(default_factory=list)


# -- generators -------------------------------------------------------------------


def random_bytes(rng: random.Random) -> Case:
    return Case("random-bytes", {"input.c": rng.randbytes(rng.randint(0, 4096))})


def _fixture(rng: random.Random) -> list[bytes]:
    return rng.choice(FIXTURES).read_bytes().split(b"\n")


def deleted_lines(rng: random.Random) -> Case:
    lines = _fixture(rng)
    for _ in range(rng.randint(1, max(1, len(lines) // 4))):
        if lines:
            del lines[rng.randrange(len(lines))]
    return Case("deleted-lines", {"input.c": b"\n".join(lines)})


def duplicated_lines(rng: random.Random) -> Case:
    lines = _fixture(rng)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(lines))
        lines[i:i] = lines[i : i + rng.randint(1, 5)]
    return Case("duplicated-lines", {"input.c": b"\n".join(lines)})


def unbalanced(rng: random.Random) -> Case:
    lines = _fixture(rng)
    for _ in range(rng.randint(1, 4)):
        lines.insert(rng.randrange(len(lines) + 1), rng.choice([b"{", b"}", b"(", b")", b"#if 1", b"#endif",
                                                               b"#else", b"#ifdef X", b"/*", b"*/", b'"']))
    return Case("unbalanced", {"input.c": b"\n".join(lines)})


def bad_bytes(rng: random.Random) -> Case:
    data = bytearray(b"\n".join(_fixture(rng)))
    for _ in range(rng.randint(1, 16)):
        data[rng.randrange(len(data) + 1) : 0] = rng.choice([b"\0", b"\xff", b"\xc3", b"\xe2\x82", b"\x80",
                                                            b"\r", b"\x1b[31m", "é名".encode()])
    return Case("nul-and-non-utf8", {"input.c": bytes(data)})


def huge_line(rng: random.Random) -> Case:
    body = b"int x = " + b"1+" * (5 * 2**20 // 2) + b"1;\n"
    return Case("5MB-line", {"input.c": body})


def deep_parentheses(rng: random.Random) -> Case:
    depth = 5000
    return Case("5000-parentheses", {"input.c": b"unsigned long f(unsigned char b) { return " + b"(" * depth
                                     + b"b << 24" + b")" * depth + b"; }\n"})


def includes(rng: random.Random) -> Case:
    target = rng.choice(['"input.c"', '"."', '"/dev/zero"', '"/dev/null"', "<..>", '"sub"'])
    return Case(f"include-{target.strip(chr(34))}", {"input.c": f"#include {target}\nint x;\n".encode(),
                                                     "sub/.keep": b""})


def broken_database(rng: random.Random) -> Case:
    db = rng.choice([b"", b"{", b"[", b"{}", b"[1]", b'[{"file": "input.c"}]', b"\xff\xfe",
                     b'[{"directory": 1, "file": "input.c", "command": "cc"}]',
                     b'[{"directory": ".", "file": "input.c", "command": "cc \\"unclosed"}]',
                     b'[{"directory": "/nonexistent", "file": "input.c", "arguments": ["cc", "-I", "input.c"]}]',
                     json.dumps([{"directory": ".", "file": "input.c", "arguments": ["cc", "-x"]}]).encode()])
    return Case("broken-database", {"input.c": b"int f(void) { return 0; }\n", "compile_commands.json": db})


def broken_config(rng: random.Random) -> Case:
    config = rng.choice([b"select = [", b"select = 1", b"[tool]\nsignlint = 3", b"\xff", b"ignore = ['SL9']",
                         b"exclude = [[1]]", b"per-file-ignores = { '[' = ['SL001'] }", b"unsafe-fixes = 'x'",
                         b"compile-commands = '/nonexistent'", b"[[select]]"])
    return Case("broken-config", {"input.c": b"int f(void) { return 0; }\n", "signlint.toml": config})


# -- deeply nested and huge inputs (issue 14) -------------------------------------------

# Line 1 of every deep input: a finding that must survive whatever the deep part does.
OUTSIDE = b"unsigned long outside(unsigned char b) { return b << 24; }\n"
# Each shape's deep part ends in a finding of its own, reported unless the run says
# that part was not analysed (exit status 3).
SHAPES = {
    "parentheses": lambda d: b"unsigned long f(unsigned char b) { return " + b"(" * d + b"b << 24" + b")" * d
                             + b"; }\n",
    "unary-plus": lambda d: b"unsigned long f(unsigned char b) { return " + b"+ " * d + b"(b << 24); }\n",
    "conditional": lambda d: b"unsigned long f(unsigned char b, int c) { return " + b"c ? 0 : " * d
                             + b"(b << 24); }\n",
    "else-if": lambda d: b"unsigned long f(unsigned char b, int c) {\n"
                         + b"".join(b"if (c == %d) return %d; else\n" % (i, i) for i in range(d))
                         + b"return b << 24; }\n",
    "and-chain": lambda d: b"unsigned long f(unsigned char b, int c) { if (" + b" && ".join([b"c"] * d)
                           + b") return b << 24; return 0; }\n",
}
DEPTHS = (100, 1000, 10_000, 100_000)


def nested(shape: str, depth: int) -> Case:
    return Case(f"{shape}-{depth}", {"input.c": OUTSIDE + SHAPES[shape](depth)})


def macro_expansion(size: int = 2**20) -> Case:
    """A macro that doubles itself until its expansion is `size` bytes of `b+b+...`."""
    levels = (size // 2).bit_length() - 1
    body = b"#define A0 b\n" + b"".join(b"#define A%d A%d+A%d\n" % (i, i - 1, i - 1) for i in range(1, levels + 1))
    body += b"unsigned long f(unsigned char b) { return (A%d) << 24; }\n" % levels
    return Case(f"macro-of-{size // 1024}KB", {"input.c": OUTSIDE + body})


def switch(cases: int = 100_000) -> Case:
    body = b"unsigned long f(unsigned char b, int x) { switch (x) {\n" + b"".join(
        b"case %d: return %d;\n" % (i, i) for i in range(cases - 1))
    return Case(f"switch-of-{cases}", {"input.c": OUTSIDE + body + b"default: return b << 24; } }\n"})


def big_file(size: int = 50 * 2**20) -> Case:
    """A firmware table, as drivers carry them: `size` bytes of `0x92, `."""
    body = b"static const unsigned char fw[] = {\n" + b"0x92, " * (size // 6) + b"\n};\n"
    body += b"unsigned long g(int i) { return fw[i] << 24; }\n"
    return Case(f"file-of-{size // 2**20}MB", {"input.c": OUTSIDE + body})


def deep_cases() -> list[Case]:
    return [nested(shape, depth) for shape in SHAPES for depth in DEPTHS] + [macro_expansion(), switch(),
                                                                              big_file()]


def deep_problem(outcome: Outcome) -> str:
    """Why a deep input's run (json) is wrong; empty when right: it ends with the
    findings (exit 1, the outside one and the deep one), or says what it left out
    (exit 3): the deep part, the outside finding still reported, or the whole file,
    in a line saying it was not analysed (libclang's parse ran past --timeout)."""
    if outcome.problem:
        return outcome.problem
    lines = {f["line"] for f in outcome.findings}
    if outcome.status == 1 and (1 not in lines or len(lines) < 2):
        return f"exit 1 but findings on lines {sorted(lines)}: the deep one is missing"
    if outcome.status == 3 and 1 not in lines and ": not analysed: " not in outcome.stderr:
        return "exit 3, the finding outside the deep part is lost, and no line says the file was not analysed"
    if outcome.status not in (1, 3):
        return f"exit status {outcome.status}"
    return ""


GENERATORS = (random_bytes, deleted_lines, duplicated_lines, unbalanced, bad_bytes, broken_database, broken_config,
              includes)
SPECIAL = (huge_line, deep_parentheses)  # slow: once per format in a batch


def cases(count: int, seed: int):
    """count inputs: the special ones first (each format once), then random ones."""
    rng = random.Random(seed)
    made = 0
    for generator in SPECIAL:
        for format_ in FORMATS:
            if made < count:
                made += 1
                yield generator(rng), format_
    while made < count:
        made += 1
        yield rng.choice(GENERATORS)(rng), rng.choice(FORMATS)


# -- running ------------------------------------------------------------------------


@dataclass
class Outcome:
    case: str
    format: str
    status: int | None  # None: hung (killed at the timeout)
    problem: str = ""  # empty: a good run
    seconds: float = 0.0
    peak_rss: int = 0  # bytes
    findings: list = field(default_factory=list)  # of a json report
    stderr: str = ""


def run_one(case: Case, format_: str, timeout: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="signlint-fuzz-") as folder:
        for name, data in case.files.items():
            path = Path(folder, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        command = [sys.executable, "-m", "signlint", "check", "--no-cache", "-j", "0", "--format", format_,
                   case.target, *case.extra]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        status, seconds, peak_rss, stdout, stderr = _run_measured(command, folder, env, timeout)
    workers = [int(mb) * 2**20 for mb in re.findall(r"peak RSS (\d+) MB", stderr)]  # a worker's, from --progress
    outcome = Outcome(case.name, format_, status, seconds=seconds, peak_rss=max([peak_rss, *workers]), stderr=stderr)
    if status is None:
        outcome.problem = f"hung for more than {timeout:.0f} s"
    elif "Traceback (most recent call last)" in stderr:
        outcome.problem = "traceback: " + stderr.strip().splitlines()[-1]
    elif status not in EXPECTED_STATUS:
        outcome.problem = f"exit status {status}"
    elif status == 2 and len(stderr.strip().splitlines()) != 1 and "Usage:" not in stderr:
        outcome.problem = f"an error of {len(stderr.strip().splitlines())} lines"
    elif format_ != "text" and status != 2:
        try:
            report = json.loads(stdout)
        except ValueError as exc:
            outcome.problem = f"the {format_} report does not parse: {exc}"
        else:
            outcome.findings = report.get("findings", []) if format_ == "json" else []
    return outcome


def _run_measured(command: list[str], folder: str, env: dict, timeout: float):
    """(exit status or None when killed at the timeout, seconds, peak RSS in bytes,
    stdout, stderr) of one run; the RSS is the child's own, from wait4 (not its workers')."""
    out_path, err_path = Path(folder, ".stdout"), Path(folder, ".stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        process = subprocess.Popen(command, cwd=folder, env=env, stdout=out, stderr=err)
        killed = threading.Event()
        timer = threading.Timer(timeout, lambda: (killed.set(), process.kill()))
        timer.start()
        _, wait_status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        process.returncode = os.waitstatus_to_exitcode(wait_status)  # reaped here: Popen must not wait
        seconds = time.monotonic() - start
    status = None if killed.is_set() else process.returncode
    return (status, seconds, usage.ru_maxrss * 1024, out_path.read_text("utf-8", "replace"),
            err_path.read_text("utf-8", "replace"))


def run(count: int, seed: int, jobs: int, timeout: float) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda item: run_one(item[0], item[1], timeout), cases(count, seed)))


def report(outcomes: list[Outcome]) -> str:
    statuses = Counter("hung" if o.status is None else str(o.status) for o in outcomes)
    bad = [o for o in outcomes if o.problem]
    lines = [f"{o.case} [{o.format}]: {o.problem}" for o in bad]
    lines.append(f"{len(outcomes)} inputs; exit statuses: "
                 + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items()))
                 + f"; bad runs: {len(bad)} (tracebacks {sum('traceback' in o.problem for o in bad)}, "
                 f"hangs {sum(o.status is None for o in bad)}, "
                 f"unparsable reports {sum('does not parse' in o.problem for o in bad)})")
    return "\n".join(lines)


def deep_report(outcomes: list[Outcome]) -> str:
    lines = [f"{'input':<22} {'status':>6} {'seconds':>8} {'peak RSS':>9} {'findings':>8}  verdict"]
    for o in outcomes:
        problem = deep_problem(o)
        said = next((line for line in o.stderr.splitlines() if line.startswith("signlint: warning:")
                     and ("not analysed" in line or "parse errors" in line)), "")
        verdict = f"BAD: {problem}" if problem else "ok" + (f" ({said.strip()[:100]})" if said else "")
        lines.append(f"{o.case:<22} {'hung' if o.status is None else o.status:>6} {o.seconds:>8.1f} "
                     f"{o.peak_rss / 2**20:>7.0f}MB {len(o.findings):>8}  {verdict}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per input")
    parser.add_argument("--deep", action="store_true", help="the deeply nested and huge inputs instead")
    args = parser.parse_args()
    if args.deep:
        # In a worker (-j 1), as by default: --timeout (120 s per file) applies, which -j 0 has not;
        # the plain progress's last line gives the worker's peak RSS.
        cases = [replace(case, extra=["-j", "1", "--progress", "plain"]) for case in deep_cases()]
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            outcomes = list(pool.map(lambda case: run_one(case, "json", args.timeout), cases))
        print(deep_report(outcomes))
        return 1 if any(deep_problem(o) for o in outcomes) else 0
    outcomes = run(args.count, args.seed, args.jobs, args.timeout)
    print(report(outcomes))
    return 1 if any(o.problem for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
