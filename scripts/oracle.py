#!/usr/bin/env python3
"""Run the SL001 execution oracle: generate programs, compile and run them with gcc,
compare every result with the ideal value, and compare signlint's verdicts with
what execution showed.

    scripts/oracle.py --count 2000 --seed 1 --jobs 2
    scripts/oracle.py --count 1 --seed 1183 --program     # one program, printed whole

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
from oracle.run import DISAGREEMENTS, VERDICTS, have_gcc, pattern, reduce, run_seeds  # noqa: E402


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
    ap.add_argument("--json", metavar="FILE", help="write one record per function")
    args = ap.parse_args(argv)
    if not have_gcc():
        print("gcc not found", file=sys.stderr)
        return 2
    gen.GENERATE_DEGENERATE = args.degenerate

    counts = collections.Counter()
    shown, failing, harness, records, disagreeing = 0, [], [], [], []
    ubsan_functions = wrong_not_upper = 0
    start = time.time()
    seeds = range(args.seed, args.seed + args.count)
    for res in run_seeds(seeds, args.functions, args.jobs, not args.no_sanitize, not args.no_o2):
        harness += [f"seed {res.seed}: {e}" for e in res.harness_errors]
        if res.disagreements:
            failing.append(res.seed)
        for f in res.functions:
            counts[f.verdict] += 1
            ubsan_functions += bool(f.ubsan)
            wrong_not_upper += bool(f.wrong and not f.upper_ones)
            if args.json:
                records.append({"seed": f.seed, "function": f.fn.name, "verdict": f.verdict, "flagged": f.flagged,
                                "sink": f"{f.fn.sink.kind} {f.fn.sink.type.spelling}",
                                "wrong_inputs": len(f.wrong), "inputs": len(f.fn.vectors), "ubsan": f.ubsan,
                                "sign_extension": f.sign_extension, "upper_ones": f.upper_ones, "source": f.text})
            if f.verdict in DISAGREEMENTS:
                disagreeing.append(f)
                if shown < args.show:
                    shown += 1
                    print(f.describe(), "\n")
        if res.disagreements and args.program:
            print(f"/* ---- program of seed {res.seed} ---- */\n{res.source}")
    total = sum(counts.values())
    print(f"{args.count} programs, {total} functions, {time.time() - start:.0f} s")
    for v in VERDICTS:
        print(f"  {v:15} {counts[v]}")
    print(f"  -fsanitize=shift reports an int shift into bit 31 in {ubsan_functions} functions")
    if wrong_not_upper:
        print(f"  {wrong_not_upper} wrong functions differ in bits other than ones above bit 31 "
              "(sign-extended bits moved by a later >> or <<, or a later +)")
    print(f"  harness errors  {len(harness)}")
    for h in harness[:10]:
        print("   ", h)
    if failing:
        print("seeds with disagreements:", " ".join(map(str, failing)))
    if args.reduce and disagreeing:
        patterns = collections.OrderedDict()
        for f in disagreeing[:args.reduce]:
            r = reduce(f)
            patterns.setdefault(pattern(r), (r, []))[1].append(f.seed)
        print(f"\n{len(patterns)} distinct reduced patterns from {min(args.reduce, len(disagreeing))} disagreements:")
        for p, (r, from_seeds) in patterns.items():
            print(f"\n{p}   (seeds {' '.join(map(str, from_seeds))})\n{r.describe(2)}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(records, fh, indent=1)
    return 1 if disagreeing or harness else 0


if __name__ == "__main__":
    sys.exit(main())
