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
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
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


def run_one(case: Case, format_: str, timeout: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="signlint-fuzz-") as folder:
        for name, data in case.files.items():
            path = Path(folder, name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        command = [sys.executable, "-m", "signlint", "check", "--no-cache", "-j", "0", "--format", format_,
                   case.target, *case.extra]
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        try:
            done = subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return Outcome(case.name, format_, None, f"hung for more than {timeout:.0f} s")
    stderr = done.stderr.decode("utf-8", "replace")
    if "Traceback (most recent call last)" in stderr:
        return Outcome(case.name, format_, done.returncode, "traceback: " + stderr.strip().splitlines()[-1])
    if done.returncode not in EXPECTED_STATUS:
        return Outcome(case.name, format_, done.returncode, f"exit status {done.returncode}")
    if done.returncode == 2 and len(stderr.strip().splitlines()) != 1 and "Usage:" not in stderr:
        return Outcome(case.name, format_, 2, f"an error of {len(stderr.strip().splitlines())} lines")
    if format_ != "text" and done.returncode != 2:
        try:
            json.loads(done.stdout)
        except ValueError as exc:
            return Outcome(case.name, format_, done.returncode, f"the {format_} report does not parse: {exc}")
    return Outcome(case.name, format_, done.returncode)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per input")
    args = parser.parse_args()
    outcomes = run(args.count, args.seed, args.jobs, args.timeout)
    print(report(outcomes))
    return 1 if any(o.problem for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
