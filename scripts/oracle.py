#!/usr/bin/env python3
"""Run the execution oracle: generate programs, compile and run them with gcc (-O0,
-O2, -O0 -fsanitize=shift), compare every result with the ideal value, and compare
signlint's verdicts, rule by rule, with what execution showed.

    scripts/oracle.py --count 2000 --seed 1 --jobs 2
    scripts/oracle.py --count 1 --seed 1183 --program     # one program, printed whole
    scripts/oracle.py --count 500 --rules SL001,SL002,SL003,SL008  # signlint with the default rules only
    scripts/oracle.py --context --count 1000 --seed 500000   # guarded, switch-cased and looped functions
    scripts/oracle.py --context-mix 0.3 --count 500          # 30% of the functions of that kind

Program i uses seed S + i; a failing seed reproduces with --count 1 --seed <it>.
Exit status: 0 when signlint agrees everywhere and the harness is consistent, 1 otherwise.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from oracle import gen  # noqa: E402
from oracle.context import pattern as context_pattern  # noqa: E402
from oracle.context import reduce  # noqa: E402  (run.reduce for plain functions)
from oracle.run import ALL_RULES, VERDICTS, have_gcc, run_seeds  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=100, help="programs to run")
    ap.add_argument("--seed", type=int, default=0, help="seed of the first program")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--functions", type=int, default=8, help="functions per program")
    ap.add_argument("--show", type=int, default=5, help="disagreements to print")
    ap.add_argument("--reduce", type=int, default=0, metavar="N",
                    help="shrink up to N disagreements and print the distinct reduced patterns")
    ap.add_argument("--program", action="store_true", help="print the whole source of programs with disagreements")
    ap.add_argument("--degenerate", action="store_true",
                    help="also generate always-zero subexpressions such as (b & 0x100) << 24")
    ap.add_argument("--no-sanitize", action="store_true", help="skip the -fsanitize=shift build")
    ap.add_argument("--no-o2", action="store_true", help="skip the -O2 build")
    ap.add_argument("--time-limit", type=float, default=0, metavar="S",
                    help="stop after S seconds and report the programs done")
    ap.add_argument("--rules", default=",".join(ALL_RULES), help="rules signlint runs with (default: all)")
    ap.add_argument("--json", metavar="FILE", help="write one record per function")
    ap.add_argument("--context", action="store_true",
                    help="generate functions with code around the expression (oracle/context.py): guards, "
                         "switch cases, shift counts bounded by them, loop counters, helpers")
    ap.add_argument("--context-mix", type=float, default=0.0, metavar="R",
                    help="like --context, for a share R of the functions (the others as without it)")
    args = ap.parse_args(argv)
    if not have_gcc():
        print("gcc not found", file=sys.stderr)
        return 2
    gen.GENERATE_DEGENERATE = args.degenerate
    context = 1.0 if args.context else args.context_mix

    rules = tuple(r.strip().upper() for r in args.rules.split(",") if r.strip())
    unknown = set(rules) - set(ALL_RULES)
    if unknown:
        print(f"unknown rules: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    counts = collections.Counter()  # (rule, verdict)
    shown, failing, harness, records, disagreeing = 0, [], [], [], []
    ubsan_functions = wrong_functions = o2_only = 0
    start = time.time()
    seeds = range(args.seed, args.seed + args.count)
    done = 0
    try:
        for res in run_seeds(seeds, args.functions, args.jobs, not args.no_sanitize, not args.no_o2, rules,
                             context):
            if args.time_limit and time.time() - start > args.time_limit:
                print(f"time limit: stopped after {done} programs")
                break
            done += 1
            harness += [f"seed {res.seed}: {e}" for e in res.harness_errors]
            if res.disagreements:
                failing.append(res.seed)
            for f in res.functions:
                for r, v in f.verdicts.items():
                    counts[r, v] += 1
                ubsan_functions += bool(f.ubsan)
                wrong_functions += bool(f.wrong)
                o2_only += bool(f.wrong) and all(o0 == i for _, o0, i, _ in f.wrong)
                if args.json:
                    records.append({"seed": f.seed, "function": f.fn.name, "verdicts": f.verdicts,
                                    "findings": f.findings, "sink": f"{f.fn.sink.kind} {f.fn.sink.type.spelling}",
                                    "wrong_inputs": len(f.wrong), "inputs": len(f.fn.vectors), "ubsan": f.ubsan,
                                    "shows": f.shows, "source": f.text,
                                    "shape": getattr(f.fn, "describe_shape", lambda: "")()})
                for r in f.disagreeing:
                    disagreeing.append((r, f))
                if f.disagreeing and shown < args.show:
                    shown += 1
                    print(f.describe(), "\n")
            if res.disagreements and args.program:
                print(f"/* ---- program of seed {res.seed} ---- */\n{res.source}")
    except KeyboardInterrupt:
        print(f"interrupted after {done} programs")
    print(f"{done} programs, {done * args.functions} functions, {time.time() - start:.0f} s")
    print(f"  {'rule':6} " + " ".join(f"{v:>14}" for v in VERDICTS))
    for r in rules:
        print(f"  {r:6} " + " ".join(f"{counts[r, v]:>14}" for v in VERDICTS))
    print(f"  {wrong_functions} functions give a wrong value ({o2_only} only at -O2); "
          f"-fsanitize=shift reports an int shift into bit 31 in {ubsan_functions}")
    print(f"  harness errors  {len(harness)}")
    for h in harness[:10]:
        print("   ", h)
    if failing:
        print("seeds with disagreements:", " ".join(map(str, failing)))
    if args.reduce and disagreeing:
        patterns = collections.OrderedDict()
        for r, f in disagreeing[:args.reduce]:
            red = reduce(f, r)
            patterns.setdefault(context_pattern(red, r), (red, []))[1].append(f.seed)
        print(f"\n{len(patterns)} distinct reduced patterns from {min(args.reduce, len(disagreeing))} disagreements:")
        for p, (red, from_seeds) in patterns.items():
            print(f"\n{p}   (seeds {' '.join(map(str, from_seeds))})\n{red.describe(2)}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1)
    return 1 if disagreeing or harness else 0


if __name__ == "__main__":
    sys.exit(main())
