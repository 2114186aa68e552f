#!/usr/bin/env python3
"""Kernel-scale benchmark of signlint against clang's parse, on the same TUs, in one run.

    python scripts/benchmark.py [--tree DIR] [--dirs lib/] [--jobs 2] [--repeat 1] [--only KEYS] [--tus N]

Without --tree it installs Debian's linux-source-6.1 (apt-get) if it is missing,
extracts it under --workdir, runs `make defconfig` and `make prepare`, and builds
the stated folders (`make DIR`) so that kbuild leaves .cmd files; with --tree it
reuses a tree where that was done (and still runs `make DIR`, a no-op when built,
unless --skip-build). The compile database comes from the tree's own
scripts/clang-tools/gen_compile_commands.py, filtered to the stated folders.

Measured, one after the other, on those TUs:
  floor       `clang -fsyntax-only -w` per TU, one at a time, with the flags signlint
              would use (compdb.clean_arguments), minus any the installed clang
              rejects (found by a probe run, and listed); and N at a time (what
              the machine gives N processes, the peer of N workers)
  parse       signlint's parser (libclang) on every TU in one process, no analysis
  parse_skip  the same with the bodies of the preamble's headers skipped (what parsing
              header bodies once per run could save; signlint does not do it yet)
  1 worker    `signlint check -p DB -j 1 --no-cache DIRS`
  N workers   the same with -j N (N = --jobs, default 2)
  cold        -j N with an empty --cache-dir (fills it)
  warm        the same again: every TU from the cache
  kbuild      `make C=2 CHECK="signlint kbuild" SIGNLINT_OPTS=--no-cache DIRS` (make -j1),
              and `make C=2 CHECK=true DIRS`, make's own share of it
  kbuild_server  the same with `signlint kbuild --server` (one long-lived analyser; a
              server left by an earlier round is reused, as by the files of one make run)
  kbuild_server_jN  the same under make -jN, beside the floor N at a time
--tus N keeps the first N TUs of the database (how the time per TU grows with the
count); the make rows then do not run, since make builds whole folders.
Each is printed as a ratio to the floor (lower is faster), with the peak RSS of
the workers from signlint's summary line. No assertion: targets are printed next
to the measured values. The system clang and signlint's libclang may be different
releases (Debian 12 has clang 14; the libclang-ng wheel is clang 22): the floor is
then not the same parser, which the output states.

Timings are wall-clock times of whole commands (start-up included); other load
on the machine distorts them, so the load average is printed before and after,
and --repeat R takes the fastest of R runs, the measurements taking turns round
after round (a burst of load elsewhere then weighs on all of them alike). While
iterating, --only floor,j1 (say) runs only those (the floor always: the ratios
need it); the table then has only their rows.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from signlint import __version__  # noqa: E402
from signlint.front import compdb  # noqa: E402

PACKAGE = "linux-source-6.1"
TARBALL = f"/usr/src/{PACKAGE}.tar.xz"


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(argv, cwd=None, env=None, check=True, quiet=True) -> subprocess.CompletedProcess:
    say(f"$ {' '.join(shlex.quote(a) for a in argv)}" + (f"   (in {cwd})" if cwd else ""))
    result = subprocess.run(argv, cwd=cwd, env=env, text=True, capture_output=quiet, check=False)
    if check and result.returncode != 0:
        tail = (result.stderr or "").strip().splitlines()[-5:] if quiet else []
        raise SystemExit(f"benchmark: command failed ({result.returncode}): {' '.join(argv)}\n" + "\n".join(tail))
    return result


# -- the tree ------------------------------------------------------------------------------


def prepare_tree(args) -> str:
    tree = args.tree
    if tree is None:
        tree = os.path.join(args.workdir, PACKAGE)
        if not os.path.isdir(tree):
            if not os.path.isfile(TARBALL):
                if os.geteuid() != 0:
                    raise SystemExit(f"benchmark: {TARBALL} is missing; run as root (apt-get install {PACKAGE})")
                run(["apt-get", "install", "-y", PACKAGE], quiet=False)
            os.makedirs(args.workdir, exist_ok=True)
            run(["tar", "-xf", TARBALL, "-C", args.workdir], quiet=False)
    tree = os.path.abspath(tree)
    jobs = str(os.cpu_count() or 1)
    if not os.path.isfile(os.path.join(tree, ".config")):
        run(["make", "defconfig"], cwd=tree, quiet=False)
    if not os.path.isfile(os.path.join(tree, "include", "generated", "autoconf.h")):
        run(["make", "-j", jobs, "prepare"], cwd=tree, quiet=False)
    if not args.skip_build:
        run(["make", "-j", jobs, *args.dirs], cwd=tree, quiet=False)
    return tree


def database(tree: str, dirs: list[str], out: str, first: int | None = None) -> list[dict]:
    whole = os.path.join(os.path.dirname(out), "all.json")
    run([sys.executable, os.path.join(tree, "scripts", "clang-tools", "gen_compile_commands.py"), "-d", tree,
         "-o", whole, *[os.path.join(tree, d) for d in dirs]], cwd=tree)
    with open(whole, encoding="utf-8") as fh:
        entries = json.load(fh)
    prefixes = tuple(os.path.join(tree, d.rstrip("/")) + os.sep for d in dirs)
    chosen = [e for e in entries if os.path.join(e["directory"], e["file"]).startswith(prefixes)
              and e["file"].endswith(".c")][:first]
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(chosen, fh, indent=1)
    return chosen


# -- measurements -----------------------------------------------------------------------------


_REJECTED = (re.compile(r"unknown argument:? '([^']+)'"), re.compile(r"unsupported option '([^']+)'"),
             re.compile(r"'(-f[^']+)' hasn't been enabled"), re.compile(r"unknown argument '([^']+)'"))


def floor_commands(clang: str, db: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """One `clang -fsyntax-only` command per TU, with signlint's cleaned flags less
    those this clang rejects (found by running it on the first TU)."""
    commands = compdb.load(db)
    dropped: list[str] = []
    out = []
    for command in commands.values():
        out.append((command.directory, [clang, "-fsyntax-only", "-w", *command.args, command.file]))
    if not out:
        raise SystemExit("benchmark: no TUs in the compile database")
    for _ in range(20):
        cwd, argv = out[0]
        probe = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
        found = {m.group(1) for pattern in _REJECTED for m in pattern.finditer(probe.stderr)}
        if probe.returncode == 0 or not found:
            break
        dropped += sorted(found)
        out = [(cwd, [a for a in argv if a not in found]) for cwd, argv in out]
    return out, dropped


# signlint's parser (front.translation_unit.TranslationUnit, libclang) on every TU, in one process, without
# the analysis: what signlint pays before it looks at anything.
_PARSE_ONLY = """
import sys
from signlint.front import compdb
from signlint.front.translation_unit import TranslationUnit
for command in compdb.load(sys.argv[1]).values():
    TranslationUnit(command.file, compdb.parse_arguments(command, []))
"""

# The same parse with the bodies of the functions in the preamble's headers skipped (the
# main file's kept): about what a TU would cost if header bodies were parsed once per run
# (here they are skipped even the first time). Not what signlint does yet: the helper
# summaries read those bodies.
_PARSE_SKIPPING = """
import sys
import clang.cindex as ci
from signlint.front import compdb
from signlint.front.libclang import library
library()
index = ci.Index.create()
# KeepGoing | SkipFunctionBodies | LimitSkipFunctionBodiesToPreamble | CreatePreambleOnFirstParse
# | PrecompiledPreamble
options = 0x200 | 0x40 | 0x800 | 0x100 | 0x04
for command in compdb.load(sys.argv[1]).values():
    index.parse(command.file, args=compdb.parse_arguments(command, []), options=options)
"""


def timed(label: str, work, repeat: int) -> float:
    best = None
    for _ in range(repeat):
        started = time.monotonic()
        work()
        elapsed = time.monotonic() - started
        best = elapsed if best is None else min(best, elapsed)
    say(f"  {label}: {best:.1f} s")
    return best


def signlint_run(argv: list[str], cwd: str, env: dict) -> dict:
    """Run signlint check, return what its summary line says."""
    result = subprocess.run([sys.executable, "-m", "signlint", "check", "--progress", "plain", *argv], cwd=cwd,
                            env=env, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):
        raise SystemExit(f"benchmark: signlint failed ({result.returncode}):\n{result.stderr[-2000:]}")
    summary = [line for line in result.stderr.splitlines() if " TUs in " in line]
    line = summary[-1] if summary else ""
    rss = re.search(r"peak RSS (\d+) MB", line)
    cached = re.search(r"(\d+) from cache", line)
    findings = re.search(r"findings: (.*?)(;|$)", line)
    return {"rss": int(rss.group(1)) if rss else None, "cached": int(cached.group(1)) if cached else None,
            "findings": findings.group(1) if findings else "", "summary": line}


def loadavg() -> str:
    try:
        with open("/proc/loadavg") as fh:
            return " ".join(fh.read().split()[:3])
    except OSError:
        return "?"


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")]
        if names:
            model = names[0]
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", help="a kernel tree already configured and prepared (reused)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "signlint-bench"),
                        help="where to extract the kernel without --tree")
    parser.add_argument("--dirs", nargs="+", default=["lib/"], help="folders to build and analyse (default: lib/)")
    parser.add_argument("--jobs", type=int, default=2, help="workers for the parallel runs (default 2)")
    parser.add_argument("--clang", default=shutil.which("clang") or "clang", help="the clang for the floor")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement; the fastest counts")
    parser.add_argument("--skip-build", action="store_true", help="do not run `make DIRS` (already built)")
    parser.add_argument("--json", help="also write the numbers to this file")
    parser.add_argument("--tus", type=int, help="only the first N TUs of the folders (no make rows)")
    parser.add_argument("--only", help="comma-separated measurements to run (floor, floor_n, parse, parse_skip, j1, "
                        "jN, cold, warm, make_true, kbuild, kbuild_server, kbuild_server_jN); default all. The floor "
                        "is always measured (ratios need it); warm needs cold")
    args = parser.parse_args()
    if not shutil.which(args.clang):
        raise SystemExit(f"benchmark: {args.clang} not found (apt-get install clang)")

    tree = prepare_tree(args)
    scratch = tempfile.mkdtemp(prefix="signlint-bench-")
    db = os.path.join(scratch, "compile_commands.json")
    entries = database(tree, args.dirs, db, args.tus)
    clang_version = run([args.clang, "--version"]).stdout.splitlines()[0]
    env = dict(os.environ, PYTHONPATH=os.path.dirname(HERE) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # signlint's bytecode, as an installed package has it (pip compiles at install):
    # with PYTHONDONTWRITEBYTECODE set and no .pyc, every kbuild process would
    # compile signlint's modules again, a cost no user pays.
    compileall.compile_dir(os.path.join(os.path.dirname(HERE), "signlint"), quiet=1)
    libclang = subprocess.run([sys.executable, "-m", "signlint", "--version"], env=env, capture_output=True,
                              text=True, check=False).stdout.strip()
    commands, dropped = floor_commands(args.clang, db)
    say(f"{len(entries)} TUs under {' '.join(args.dirs)}; load average {loadavg()}")
    load_before = loadavg()
    paths = [os.path.join(tree, d) for d in args.dirs]
    check = ["-p", db, "--format", "json", "-o", os.devnull]

    def floor(processes: int = 1) -> None:
        def one(command) -> None:
            cwd, argv = command
            subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)

        with ThreadPoolExecutor(processes) as pool:
            list(pool.map(one, commands))

    def parse_with(script: str):
        return lambda: subprocess.run([sys.executable, "-c", script, db], cwd=tree, env=env, check=True)

    signlint_cmd = f"{shlex.quote(sys.executable)} -m signlint kbuild"
    make_env = dict(env, SIGNLINT_OPTS="--no-cache")

    def kbuild(check_cmd: str, out: dict, jobs: int = 1) -> None:
        result = subprocess.run(["make", f"-j{jobs}", "C=2", f"CHECK={check_cmd}", *args.dirs], cwd=tree, env=make_env,
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"benchmark: make failed:\n{result.stderr[-2000:]}")
        out["checked"] = result.stdout.count("  CHECK   ")
        out["warnings"] = len(re.findall(r": warning: .*\[SL\d+\]$", result.stderr, re.MULTILINE))

    cache_dir = os.path.join(scratch, "cache")
    jn = f"j{args.jobs}"
    results: dict[str, dict] = {}

    def check_run(key: str, argv: list[str]):
        return lambda: results[key].update(signlint_run([*check, *argv, *paths], tree, env))

    # (key, label, work, runs): with --repeat R the measurements take turns, R rounds
    # (load from elsewhere then weighs on all alike), and the fastest run of each counts.
    measurements = [
        ("floor", "clang -fsyntax-only (floor)", floor, args.repeat),
        ("parse", "libclang parse only", parse_with(_PARSE_ONLY), args.repeat),
        ("parse_skip", "libclang parse, header bodies skipped", parse_with(_PARSE_SKIPPING), args.repeat),
        ("floor_n", f"clang -fsyntax-only, {args.jobs} at a time", lambda: floor(args.jobs), args.repeat),
        ("j1", "signlint -j 1", check_run("j1", ["-j", "1", "--no-cache"]), args.repeat),
        (jn, f"signlint -j {args.jobs}", check_run(jn, ["-j", str(args.jobs), "--no-cache"]), args.repeat),
        ("cold", "signlint cold, filling the cache",
         check_run("cold", ["-j", str(args.jobs), "--cache-dir", cache_dir]), 1),
        ("warm", "signlint warm re-run", check_run("warm", ["-j", str(args.jobs), "--cache-dir", cache_dir]),
         args.repeat),
        ("make_true", "make C=2 CHECK=true", lambda: kbuild("true", results["make_true"]), args.repeat),
        ("kbuild", "make C=2 CHECK=\"signlint kbuild\"", lambda: kbuild(signlint_cmd, results["kbuild"]),
         args.repeat),
        ("kbuild_server", "make C=2 CHECK=\"signlint kbuild --server\"",
         lambda: kbuild(signlint_cmd + " --server", results["kbuild_server"]), args.repeat),
        (f"kbuild_server_{jn}", f"make -j{args.jobs} C=2 CHECK=\"signlint kbuild --server\"",
         lambda: kbuild(signlint_cmd + " --server", results[f"kbuild_server_{jn}"], args.jobs), args.repeat),
    ]
    only = set(args.only.replace("jN", jn).split(",")) if args.only else None  # kbuild_server_jN too
    if only is not None:
        unknown = only - {key for key, *_ in measurements}
        if unknown:
            raise SystemExit(f"benchmark: unknown measurement(s) for --only: {', '.join(sorted(unknown))}")
        only |= {"floor"} | ({"cold"} if "warm" in only else set())
        measurements = [m for m in measurements if m[0] in only]
    if args.tus:  # make checks whole folders, not the first N TUs
        measurements = [m for m in measurements if not m[0].startswith(("make", "kbuild"))]
    for key, *_ in measurements:
        results[key] = {}
    for round_number in range(max(runs for *_, runs in measurements)):
        for key, label, work, runs in measurements:
            if round_number < runs:
                t = timed(label, work, 1)
                results[key]["seconds"] = min(t, results[key].get("seconds", t))
    load_after = loadavg()
    shutil.rmtree(scratch, ignore_errors=True)

    base = results["floor"]["seconds"]

    def seconds(key: str) -> float | None:
        return results.get(key, {}).get("seconds")

    def ratio(a: str, b: str, text: str) -> str:
        return text.format(seconds(a) / seconds(b)) if seconds(a) and seconds(b) else ""

    rows = [
        ("floor", "clang -fsyntax-only, 1 process at a time (floor)", ""),
        ("floor_n", f"clang -fsyntax-only, {args.jobs} processes at a time",
         ratio("floor", "floor_n", "the machine's own scaling: {:.2f}x")),
        ("parse", "libclang parse only, in one process (signlint's parser, no analysis)",
         "what 1 worker pays before analysing"),
        ("parse_skip", "libclang parse only, the preamble's header bodies skipped (not used yet)",
         ratio("parse_skip", "parse", "of the full parse: {:.2f}x")),
        ("j1", "signlint, 1 worker", "<= 1.0x floor"),
        (jn, f"signlint, {args.jobs} workers", ratio("j1", jn, ">= 1.8x faster than 1 worker: {:.2f}x")),
        ("cold", f"signlint, {args.jobs} workers, cold cache", ""),
        ("warm", f"signlint, {args.jobs} workers, warm re-run (cache)",
         ratio("warm", "cold", "<= 5% of cold: {:.1%}")),
        ("kbuild", "make C=2 CHECK=\"signlint kbuild\" (make -j1)",
         f"<= 1.15x floor; {results.get('kbuild', {}).get('checked')} files checked"),
        ("kbuild_server", "make C=2 CHECK=\"signlint kbuild --server\" (make -j1)",
         f"<= 1.15x floor; {results.get('kbuild_server', {}).get('checked')} files checked, "
         f"{results.get('kbuild_server', {}).get('warnings')} findings "
         f"(without the server: {results.get('kbuild', {}).get('warnings')})"),
        (f"kbuild_server_{jn}", f"make -j{args.jobs} C=2 CHECK=\"signlint kbuild --server\"",
         ratio(f"kbuild_server_{jn}", "floor_n", f"<= 1.15x {args.jobs} clang processes at a time: {{:.2f}}x; ")
         + f"{results.get(f'kbuild_server_{jn}', {}).get('checked')} files checked"),
        ("make_true", "make C=2 CHECK=true (make's own share)", ""),
    ]
    print(f"signlint {__version__} ({libclang.split('(', 1)[-1].rstrip(')')}); floor: {clang_version}")
    print(f"machine: {machine()}; load average before {load_before}, after {load_after}")
    print(f"tree: {tree}; folders: {' '.join(args.dirs)}; {len(entries)} TUs; findings: "
          f"{results.get('j1', {}).get('findings')}")
    print(f"time per TU: floor {base / len(entries) * 1000:.0f} ms"
          + "".join(f", {key} {seconds(key) / len(entries) * 1000:.0f} ms" for key in ("j1", jn) if seconds(key)))
    if dropped:
        print(f"flags the floor's clang rejects, dropped for it: {' '.join(dropped)}")
    print()
    print("| run | wall time | ratio to floor | peak RSS per worker | target / note |")
    print("|---|---|---|---|---|")
    for key, label, note in rows:
        if key not in results:
            continue
        rss = results[key].get("rss")
        shown_rss = f"{rss} MB" if rss else ""
        print(f"| {label} | {seconds(key):.1f} s | {seconds(key) / base:.2f}x | {shown_rss} | {note} |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"results": results, "tus": len(entries), "machine": machine(), "clang": clang_version,
                       "signlint": libclang, "dropped": dropped, "load": [load_before, load_after]}, fh, indent=2)


if __name__ == "__main__":
    main()
