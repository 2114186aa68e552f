"""`signlint kbuild`: signlint as the kernel build's source checker (in sparse's place).

    make C=1 CHECK="signlint kbuild"             # files kbuild recompiles
    make C=2 CHECK="signlint kbuild" lib/        # every file of lib/, recompiled or not

Kbuild runs `$(CHECK) $(CHECKFLAGS) $(c_flags) file.c` in the tree's root for
each object: sparse's flags (-D__linux__ ... -Wbitwise --arch=x86
-mlittle-endian -m64, and whatever CF= adds), then gcc's full flags, then the
source. This mode drops what only sparse understands, cleans gcc's flags as for
a compile database (compdb.clean_arguments), analyses the file in this process,
prints the findings gcc-style on stderr and exits 0: findings never stop the
build (a file with parse errors gets the summary line of `signlint check`, and
still exit 0). Only a broken invocation (no source file, an unknown signlint option)
exits 2.

signlint's own options, in any of three places (the last one given wins):
  - in CHECK, after `kbuild`:  make C=1 CHECK="signlint kbuild --select SL001,SL002"
  - in CF:                     make C=1 CF="--signlint-select=SL001" ...
  - in $SIGNLINT_OPTS:         SIGNLINT_OPTS="--ignore SL003" make C=1 ...
Options: --select CODES, --ignore CODES, --no-cache, --cache-dir DIR, --quiet
(no warnings about parse errors or flags clang ignored), --server (the cache
lookup and the analysis happen in a long-lived analyser that the processes of
one make run share, started on demand and gone after a minute without work; the
output is the same: see signlint/run/kbuild_server.py). Among compiler flags
the prefixed one-word form --signlint-NAME[=VALUE] is the convention (it cannot
be mistaken for a compiler's option); the bare --select CODES, --ignore CODES,
--cache-dir DIR, --no-cache, --quiet and --server are recognised anywhere too, as no
compiler (nor sparse) has options of those names, so CF="--select SL001" works.
The environment variable is applied after the command line.

Findings are reported in the source file and in the headers in its folder and
below (a driver's own headers), not in shared headers such as include/linux/,
which every file includes; each kbuild invocation is a separate process, so a
finding in a local header is reported by every file of the folder that
includes it, as sparse does. Configuration files are not read in this mode.

Start-up is paid per file: this module imports only what one analysis needs
(no click, no report formats, no configuration), the analysis and libclang only
when the cache has no result for the file, and suppressions only when there are
findings (tests/test_kbuild.py checks what a cached call imports). With
--server it imports only kbuild_client (tests/test_kbuild_server.py checks).
"""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_USAGE = 0, 2

# Options sparse takes that clang rejects or would misread (compdb.clean_arguments
# drops every -W option and gcc's own, sparse's -Wbitwise included).
_SPARSE_ONLY_PREFIXES = ("--arch=", "-fmemcpy-max-count=", "-fdiagnostic-prefix", "-fmax-warnings=")
_SPARSE_ONLY = frozenset({"-mlittle-endian", "-mbig-endian", "-D__STDC__"})
_SPARSE_WITH_VALUE = frozenset({"-gcc-base-dir", "-multiarch-dir"})

# signlint's options in this mode: name -> takes a value.
OPTIONS = {"select": True, "ignore": True, "cache-dir": True, "no-cache": False, "quiet": False, "server": False}
PREFIX = "--signlint-"


class UsageError(Exception):
    pass


class Invocation:
    def __init__(self) -> None:
        self.select: str = ""
        self.ignore: str = ""
        self.cache_dir: str | None = None
        self.no_cache = False
        self.quiet = False
        self.server = False  # hand the file to a long-lived analyser (kbuild_server)
        self.flags: list[str] = []  # for the compiler, sparse-only ones removed
        self.source = ""

    def set(self, name: str, value: str | None) -> None:
        if name not in OPTIONS:
            raise UsageError(f"unknown option '--{name}' (kbuild mode knows: "
                             f"{', '.join('--' + n for n in OPTIONS)})")
        if OPTIONS[name] and not value:
            raise UsageError(f"option '--{name}' needs a value")
        if not OPTIONS[name] and value is not None:
            raise UsageError(f"option '--{name}' takes no value")
        if name == "select":
            self.select = value
        elif name == "ignore":
            self.ignore = value
        elif name == "cache-dir":
            self.cache_dir = value
        elif name == "no-cache":
            self.no_cache = True
        elif name == "server":
            self.server = True
        else:
            self.quiet = True

    # As fields of a kbuild server request (kbuild_client): strings, the flags last.
    def to_fields(self) -> list[str]:
        return [self.select, self.ignore, self.cache_dir or "", "1" if self.no_cache else "",
                "1" if self.quiet else "", self.source, *self.flags]

    @classmethod
    def from_fields(cls, fields: list[str]) -> Invocation:
        invocation = cls()
        invocation.select, invocation.ignore, cache_dir, no_cache, quiet, invocation.source, *invocation.flags = fields
        invocation.cache_dir = cache_dir or None
        invocation.no_cache, invocation.quiet = bool(no_cache), bool(quiet)
        return invocation


def _options(args: list[str], invocation: Invocation, strict: bool) -> list[str]:
    """Take signlint's options out of args (`--signlint-NAME[=VALUE]`, and the
    bare `--NAME VALUE` / `--NAME=VALUE` no compiler has); returns the rest.
    strict: every argument must be an option (SIGNLINT_OPTS)."""
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith(PREFIX) or (arg.startswith("--") and arg[2:].partition("=")[0] in OPTIONS):
            name, eq, value = arg[len(PREFIX) if arg.startswith(PREFIX) else 2 :].partition("=")
            if not eq and OPTIONS.get(name) and not arg.startswith(PREFIX):
                if i + 1 >= len(args):
                    raise UsageError(f"option '--{name}' needs a value")
                i += 1
                value, eq = args[i], "="
            invocation.set(name, value if eq else None)
        elif strict:
            raise UsageError(f"SIGNLINT_OPTS: '{arg}' is not a signlint option")
        else:
            rest.append(arg)
        i += 1
    return rest


def parse(argv: list[str], environ_options: str = "") -> Invocation:
    invocation = Invocation()
    rest = _options(list(argv), invocation, strict=False)
    if environ_options:
        _options(_words(environ_options), invocation, strict=True)
    flags: list[str] = []
    skip = False
    for arg in rest:
        if skip:
            skip = False
        elif arg in _SPARSE_WITH_VALUE:
            skip = True
        elif arg not in _SPARSE_ONLY and not arg.startswith(_SPARSE_ONLY_PREFIXES):
            flags.append(arg)
    if not flags or flags[-1].startswith("-") or not flags[-1].endswith((".c", ".h")):
        raise UsageError("no C source file at the end of the command line; kbuild runs "
                         "$(CHECK) $(CHECKFLAGS) $(c_flags) file.c (make C=1 CHECK=\"signlint kbuild\")")
    invocation.source = flags.pop()
    invocation.flags = flags
    return invocation


def _words(text: str) -> list[str]:
    """text split as the shell would; shlex (and with it re) only when text quotes."""
    if text.isascii() and not any(c in text for c in "'\"\\\x0b\x0c"):
        return text.split()
    import shlex

    try:
        return shlex.split(text)
    except ValueError as exc:
        raise UsageError(f"SIGNLINT_OPTS cannot be split into words: {exc}") from None


def _codes(text: str, option: str, known) -> set[str]:
    codes = {c.strip().upper() for c in text.split(",") if c.strip()}
    if "ALL" in codes:
        return set(known)
    unknown = sorted(codes - set(known))
    if unknown:
        raise UsageError(f"{option}: unknown rule code {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return codes


def main(argv: list[str]) -> int:
    if argv in (["--help"], ["-h"]):
        sys.stdout.write(__doc__.split("\n\nStart-up")[0].rstrip() + "\n")
        return EXIT_OK
    try:
        invocation = parse(argv, os.environ.get("SIGNLINT_OPTS", ""))
        source = invocation.source
        if not os.path.isfile(source):
            raise UsageError(f"no such file: {source}")
        from ..checks import CODES, DEFAULT_RULES

        rules = set(DEFAULT_RULES)
        if invocation.select:
            rules = _codes(invocation.select, "--select", CODES)
        rules -= _codes(invocation.ignore, "--ignore", CODES) if invocation.ignore else set()
    except UsageError as exc:
        sys.stderr.write(f"signlint: error: kbuild: {exc}\n")
        return EXIT_USAGE
    if invocation.server:
        from . import kbuild_client

        try:
            text, status = kbuild_client.ask(invocation, frozenset(rules))
            sys.stderr.write(text)
            return status
        except kbuild_client.Died as exc:
            from ..report.output import display_path

            failure = f"{display_path(os.path.realpath(invocation.source))}: not analysed: {exc}"
            return _not_analysed(invocation.source, failure, sys.stderr.write)
        except kbuild_client.Unreachable as exc:
            if not invocation.quiet:
                sys.stderr.write(f"signlint: warning: {exc}; analysing {invocation.source} in this process\n")
    return run(invocation, frozenset(rules), sys.stderr.write)


def run(invocation: Invocation, rules: frozenset[str], write) -> int:
    """Check invocation's file, in this process: its findings and warnings go to
    write (stderr, or the kbuild server's answer); returns the exit status."""
    try:
        return _check(invocation, rules, write)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug in signlint must not stop the kernel build
        write(f"signlint: error: {invocation.source}: internal error ({type(exc).__name__}: {exc}); "
              f"please report this\n")
        return EXIT_OK


def _check(invocation: Invocation, rules: frozenset[str], write) -> int:
    from ..front import compdb
    from ..front.files import source_and_local_headers
    from ..records import merge

    source = os.path.realpath(invocation.source)
    cwd = os.getcwd()
    command = compdb.Command(source, cwd, tuple(compdb.clean_arguments(["cc", *invocation.flags], source, cwd)))
    args = compdb.parse_arguments(command, [])
    wanted = source_and_local_headers(source)
    cache = None
    if not invocation.no_cache:
        from .cache import Cache, default_folder

        cache = Cache(invocation.cache_dir or default_folder(), rules)
    outcome = cache.lookup(source, args, wanted) if cache is not None else None
    if outcome is None:
        from .engine import GivenArguments, Options  # the analysis: imported only when the cache misses

        engine = GivenArguments(Options(rules))
        engine.given[source] = args
        outcome = engine.analyze_unit(source, wanted)
    if not outcome.cached and cache is not None and outcome.result is not None:
        from .cache import digests

        outcome.deps = digests([source, *outcome.result.includes])
        cache.store(source, args, outcome, wanted)
        if cache.warning and not invocation.quiet:
            write(f"signlint: warning: {cache.warning}\n")
    result = outcome.result
    if result is None:
        if outcome.internal:
            write(f"signlint: error: {outcome.failure}; please report this\n")
            return EXIT_OK
        return _not_analysed(invocation.source, outcome.failure, write)
    if not invocation.quiet:
        for argument in result.unknown_arguments:
            write(f"signlint: warning: clang does not know the argument '{argument}'; it was ignored\n")
        if result.errors:
            write(f"signlint: warning: {invocation.source}: parse errors, results may be incomplete: "
                  f"{result.errors[0]}\n")
    if result.too_deep and not invocation.quiet:
        from ..report.output import too_deep_warning

        write(f"signlint: warning: {too_deep_warning(result.too_deep)}\n")
    if result.errors or result.too_deep:
        _incomplete(write, [invocation.source] if result.errors else [], [],
                    [invocation.source] if result.too_deep else [])
    seen: dict = {}
    merge(seen, result.findings)
    findings = sorted(seen.values(), key=lambda f: (f.position.path, f.position.offset, f.rule))
    if findings:
        from ..decide import suppress
        from ..report.output import format_text

        findings, _, problems = suppress.apply(findings, files=[source])
        for problem in problems:
            write(f"{problem.path}:{problem.line}: warning: {problem.message}\n")
        write(format_text(findings))
    return EXIT_OK


def _not_analysed(source: str, failure: str, write) -> int:
    """A file libclang failed on, or the kbuild server died with: the warning and
    the summary line (exit status 0: make goes on)."""
    write(f"signlint: warning: {failure}\n")
    _incomplete(write, [], [source])
    return EXIT_OK


def _incomplete(write, with_errors: list[str], not_analysed: list[str], partly_analysed: list[str] = ()) -> None:
    """The check command's summary line, printed even with --quiet; the exit
    status stays 0 so that make goes on."""
    from ..report.output import incomplete_summary

    write(f"signlint: warning: {incomplete_summary(with_errors, not_analysed, partly_analysed)}\n")
