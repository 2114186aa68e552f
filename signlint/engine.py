"""Runs the rules over translation units and gathers one report.

For each file to parse: its compiler flags (compdb), a parse (frontend), the
value analysis of every expression in the wanted bodies (values), the rules on
what the analysis found (checks), then one finding per spelling location and rule.

run() schedules the translation units (TUs): in this process or in worker
processes (parallel), results from the cache when the TU and everything it
includes is unchanged (cache), a deterministic share of the TUs with --shard.
A function defined outside the TU's main file (a header's static inline) is
walked once per run: later TUs skip it (see RunOptions and parallel for how
workers share what was walked). Outcomes are folded in the order of the TUs,
so the report does not depend on which worker finished first.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from . import compdb
from .byte_uses import drop_harmless_chars, has_char_uses
from .checks import RULES
from .context import Surroundings
from .explain import line_report, ranges_used
from .files import Targets
from .finding import Finding
from .frontend import FrontendError, TranslationUnit, on_deep_stack
from .helpers import Summaries
from .outcome import Key, UnitOutcome, UnitResult, merge
from .output import display_path, too_deep_warning
from .source import Source
from .values import ValueAnalysis


@dataclass
class Options:
    rules: frozenset[str]  # rule codes to run
    extra_args: list[str] = field(default_factory=list)  # after `--` on the command line
    compile_commands: str | None = None  # -p: a database file or folder
    explain: bool = False  # attach the ranges used to each finding (Finding.explanation)
    explain_line: tuple[str, int] | None = None  # (real path, line): describe what the analysis saw there
    unsaved: dict[str, str] = field(default_factory=dict)  # real path -> text parsed instead of the file's


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. parse errors: results may be incomplete
    internal_errors: list[str] = field(default_factory=list)  # files signlint failed on (its own bugs)
    parsed: int = 0  # TUs with a result (analysed now or taken from the cache)
    units: int = 0  # TUs scheduled
    cached: int = 0  # TUs whose result came from the cache
    parse_errors: int = 0  # TUs with parse errors (results may be incomplete)
    failed: int = 0  # TUs without a result: libclang failed, crashed or timed out, or an internal error
    functions_skipped: int = 0  # header function walks skipped (already analysed in the run)
    worker_rss: dict[int, int] = field(default_factory=dict)  # worker number -> peak RSS in bytes
    explanations: list[str] = field(default_factory=list)  # --explain-silent: what was seen on the line
    with_errors: list[str] = field(default_factory=list)  # TUs with parse errors (shown paths)
    not_analysed: list[str] = field(default_factory=list)  # TUs libclang failed on, crashed or timed out
    partly_analysed: list[str] = field(default_factory=list)  # TUs with an expression nested too deeply
    unbuilt: list[str] = field(default_factory=list)  # files left out: a compile database governs them, lists none
    databases: list[str] = field(default_factory=list)  # the compile databases used (paths)
    without_database: int = 0  # TUs parsed with no database: only the default and extra flags
    example_flags: tuple[str, list[str]] | None = None  # (first TU, its clang arguments), for --verbose

    @property
    def incomplete(self) -> bool:
        """Findings may be missing: some TU was not analysed, or not all of it."""
        return bool(self.with_errors or self.not_analysed or self.partly_analysed)


@dataclass
class RunOptions:
    """How run() schedules TUs (what it finds does not depend on these).

    jobs: 0 analyses in this process; N > 0 in N worker processes (a TU that
    crashes libclang or runs past timeout seconds is reported and the run goes on).
    cache: a cache.Cache, or None. shard: (k, n), 1 <= k <= n: only the TUs whose
    path hashes to share k. progress: an object with start(total), add(count),
    advance(outcome) and done() (progress.Progress), or None."""

    jobs: int = 0
    timeout: float | None = None
    cache: object | None = None
    shard: tuple[int, int] | None = None
    progress: object | None = None


class Engine:
    def __init__(self, options: Options):
        self.options = options
        self._databases: dict[str, dict[str, compdb.Command]] = {}
        self._found: dict[str, str | None] = {}  # folder -> the database found for its files
        # During run(): the header declarations already walked in this run (see analyze).
        self.header_functions: set[Key] | None = None
        if options.compile_commands:
            self._fixed_db = compdb.load(options.compile_commands)
        else:
            self._fixed_db = None

    # -- flags ----------------------------------------------------------------

    def arguments(self, path: str) -> list[str]:
        return compdb.parse_arguments(self._command(path), self.options.extra_args)

    def _command(self, path: str) -> compdb.Command | None:
        database = self._database(path)
        if database is None:
            return None
        return database.get(path) or compdb.nearest(database, path)

    def _database(self, path: str) -> dict[str, compdb.Command] | None:
        if self._fixed_db is not None:
            return self._fixed_db
        # Asked for each TU up to three times (flags, is_built, the report): one search per folder.
        folder = os.path.dirname(path)
        if folder not in self._found:
            self._found[folder] = compdb.find_database(path)
        found = self._found[folder]
        if found is None:
            return None
        if found not in self._databases:
            self._databases[found] = compdb.load(found)
        return self._databases[found]

    def databases_used(self) -> list[str]:
        if self._fixed_db is not None:
            return [self.options.compile_commands]
        return sorted(self._databases)

    def is_built(self, path: str) -> bool:
        """False for a file a compile database governs but does not list: the
        build does not compile it (another architecture, a disabled option)."""
        database = self._database(path)
        return database is None or path in database

    # -- analysis -------------------------------------------------------------

    def analyze(self, path: str, wanted, unsaved: dict[str, str] | None = None) -> UnitResult:
        """Parse one file and run the selected rules on the wanted bodies. While
        header_functions is a set, declarations outside the main file that are in
        it are not walked, and those walked are added to it."""
        return on_deep_stack(lambda: self._analyze(path, wanted, unsaved))

    def _analyze(self, path: str, wanted, unsaved: dict[str, str] | None) -> UnitResult:
        tu = TranslationUnit(path, self.arguments(path), {**self.options.unsaved, **(unsaved or {})} or None)
        source = Source(tu)
        findings: list[Finding] = []
        rules = [RULES[code] for code in sorted(self.options.rules)]
        seen = self.header_functions
        walked: list[Key] = []
        skipped: list[Key] = []

        def once(key: Key) -> bool:
            if key in seen:
                skipped.append(key)
                return False
            seen.add(key)
            walked.append(key)
            return True

        helpers = Summaries(tu)
        surroundings = Surroundings(tu)
        explain, explain_line = self.options.explain, self.options.explain_line
        explanations: list[str] = []
        carrying: set[int] = set()  # functions whose stored values were followed (scope keys)

        def report(expr, analysis, found) -> None:
            for finding in found:
                placed = _place(finding, wanted)
                if placed is None:
                    continue  # (one found twice, by a root and as a read of a stored value, is merged later)
                if explain:
                    placed = replace(placed, explanation=tuple(ranges_used(expr, analysis, source, _extent(finding))))
                findings.append(replace(placed, unit=path))

        too_deep: list[str] = []

        def analyse(root) -> None:
            looked_at = explain_line is not None and _covers(tu, root.expr, explain_line)
            analysed = _analyse_root(root, rules, source, helpers, surroundings, looked_at)
            if analysed is None:
                return
            expr, analysis, found = analysed
            if looked_at:
                explanations.extend(line_report(expr, analysis, source))
            report(expr, analysis, found)
            if analysis.stores_taint and root.scope is not None and tu.scope_key(root.scope) not in carrying:
                # `int t = b << 24;`: where the function widens t later, its ones show.
                carrying.add(tu.scope_key(root.scope))
                for later in _reads_of_stored(root.scope, rules, source, helpers, surroundings):
                    report(*later)

        try:
            for root in tu.roots(wanted, once if seen is not None else None, relevant_only=explain_line is None):
                try:
                    analyse(root)
                except RecursionError:
                    # Nested deeper than DEEP_RECURSION_LIMIT allows (issue 14): this root
                    # is left out and said to be; the rest of the file is analysed.
                    begin = tu.expansion_range(root.expr)[0]
                    too_deep.append(f"{display_path(begin.path)}:{begin.line}")
        except BaseException:
            if seen is not None:
                seen.difference_update(walked)  # not analysed after all: let another TU do it
            raise
        errors = [d.text for d in tu.errors()]
        return UnitResult(findings, errors, tu.included_files(), tu.unknown_arguments(), walked, skipped,
                          explanations, too_deep)

    def analyze_unit(self, path: str, wanted) -> UnitOutcome:
        """analyze(), with a failure turned into the message to show."""
        try:
            return UnitOutcome(path, self.analyze(path, wanted))
        except FrontendError as exc:
            return UnitOutcome(path, failure=str(exc))
        except RecursionError:
            # Outside any one expression (finding the TU's declarations): nothing of it.
            return UnitOutcome(path, failure=f"{display_path(path)}: not analysed: nested too deeply for "
                                             f"signlint's walk")
        except Exception as exc:  # a bug in signlint: say so, and go on with the other files
            return UnitOutcome(path, failure=f"{display_path(path)}: internal error ({type(exc).__name__}: {exc})",
                               internal=True)
        finally:
            # The expressions and the libclang cursors they wrap form cycles with the parsed
            # unit, so it outlives analyze() until a full collection; libclang's memory is
            # invisible to the collector's thresholds, and a worker would hold several units.
            gc.collect()

    def run(self, targets: Targets, how: RunOptions | None = None) -> Report:
        how = how or RunOptions()
        from . import parallel  # not needed by kbuild mode, which analyses one file

        runner = parallel.Pool(self, targets, how) if how.jobs > 0 else parallel.Inline(self, targets, how)
        batch = _Batch(self, targets, how, runner)
        try:
            return batch.run()
        finally:
            runner.close()
            if how.progress is not None:
                how.progress.done()


class GivenArguments(Engine):
    """An engine whose clang arguments are given with each file (by the parent
    process, or by kbuild's command line), not looked up in a compile database."""

    def __init__(self, options: Options):
        super().__init__(options)
        self.given: dict[str, list[str]] = {}

    def arguments(self, path: str) -> list[str]:
        return self.given[path]


class _Batch:
    """One run(): which TUs, in which order, from the cache or a runner."""

    def __init__(self, engine: Engine, targets: Targets, how: RunOptions, runner) -> None:
        self.engine, self.targets, self.how, self.runner = engine, targets, how, runner
        self.outcomes: list[UnitOutcome] = []
        self.arguments: list[list[str]] = []

    def run(self) -> Report:
        engine, targets, how = self.engine, self.targets, self.how
        # In a folder scan, files the build does not compile are left out; named
        # files are always analysed (a header borrows its nearest neighbour's flags).
        sources = _shard(targets.sources, how.shard)
        built: list[str] = []
        unbuilt: list[str] = []
        for path in sources:  # one pass: `not in built` was quadratic on a whole tree
            (built if path in targets.files or engine.is_built(path) else unbuilt).append(path)
        if how.progress is not None:
            how.progress.start(len(built))
        self._analyse(built)
        included = {inc for o in self.outcomes if o.result for inc in o.result.includes}
        headers = []
        for header in _shard(targets.headers, how.shard):
            if header in included:
                continue
            if header in targets.files or engine._database(header) is None:
                headers.append(header)
            else:
                unbuilt.append(header)
        if how.progress is not None and headers:
            how.progress.add(len(headers))
        self._analyse(headers)
        self._cover()
        report = self._fold()
        report.unbuilt = [display_path(p) for p in unbuilt]
        if unbuilt:
            report.warnings.append(f"{len(unbuilt)} file(s) under the named folders are not in the compile "
                                   f"database and no listed file includes them; they were not analysed")
        report.databases = engine.databases_used()
        report.without_database = sum(1 for o in self.outcomes if engine._database(o.path) is None)
        if self.outcomes:
            report.example_flags = (display_path(self.outcomes[0].path), self.arguments[0])
        return report

    def _analyse(self, paths: list[str]) -> None:
        """Outcomes for paths, appended in their order: cached ones first known."""
        cache, progress = self.how.cache, self.how.progress
        pending: list[tuple[int, str, list[str]]] = []
        for path in paths:
            index = len(self.outcomes)
            args = self.engine.arguments(path)
            self.arguments.append(args)
            hit = cache.lookup(path, args, self.targets.wanted) if cache is not None else None
            if hit is not None:
                self.runner.share(hit.result.functions_analysed)
                if progress is not None:
                    progress.advance(hit)
            else:
                pending.append((index, path, args))
                hit = UnitOutcome(path, failure="not analysed")
            self.outcomes.append(hit)
        self._dispatch(pending)

    def _dispatch(self, tasks: list[tuple[int, str, list[str]]]) -> None:
        cache, progress = self.how.cache, self.how.progress
        for index, outcome in self.runner.run(tasks):
            self.outcomes[index] = outcome
            if cache is not None and outcome.result is not None:
                cache.store(outcome.path, self.arguments[index], outcome, self.targets.wanted)
            if progress is not None:
                progress.advance(outcome)

    def _cover(self) -> None:
        """A TU that skipped a header function relies on another TU of this run
        having walked it. Results from the cache can break that (the TU that walked
        it left the run, or failed): analyse such TUs again, skipping only what is
        covered."""
        walked = {k for o in self.outcomes if o.result for k in o.result.functions_analysed}
        redo = [(i, o.path, self.arguments[i]) for i, o in enumerate(self.outcomes)
                if o.result and not walked.issuperset(o.result.functions_skipped)]
        if redo:
            self.runner.reset(walked)
            self._dispatch(redo)

    def _fold(self) -> Report:
        report = Report(units=len(self.outcomes))
        seen: dict[tuple, Finding] = {}
        ignored: set[str] = set()
        for outcome in self.outcomes:
            if outcome.worker >= 0:
                report.worker_rss[outcome.worker] = max(report.worker_rss.get(outcome.worker, 0), outcome.rss)
            result = outcome.result
            if result is None:
                report.failed += 1
                (report.internal_errors if outcome.internal else report.warnings).append(outcome.failure)
                if not outcome.internal:
                    report.not_analysed.append(display_path(outcome.path))
                continue
            report.parsed += 1
            report.cached += outcome.cached
            report.functions_skipped += len(result.functions_skipped)
            for argument in result.unknown_arguments:
                if argument not in ignored:
                    ignored.add(argument)
                    report.warnings.append(f"clang does not know the argument '{argument}'; it was ignored")
            if result.errors:
                report.parse_errors += 1
                report.with_errors.append(display_path(outcome.path))
                report.warnings.append(f"{display_path(outcome.path)}: parse errors, results may be incomplete: "
                                       f"{result.errors[0]}")
            if result.too_deep:
                report.partly_analysed.append(display_path(outcome.path))
                report.warnings.append(too_deep_warning(result.too_deep))
            merge(seen, result.findings)
            report.explanations.extend(result.explanations)
        # Notes of a finding seen in several TUs, in one order whatever the TU order.
        report.findings = sorted((_sorted_notes(f) for f in seen.values()),
                                 key=lambda f: (f.position.path, f.position.offset, f.rule))
        return report


def _sorted_notes(finding: Finding) -> Finding:
    if len(finding.notes) < 2:
        return finding
    notes = tuple(sorted(finding.notes, key=lambda n: (n.position.path, n.position.offset, n.message)))
    return replace(finding, notes=notes)


def shard_of(path: str, count: int, root: str | None = None) -> int:
    """The share (1..count) a file belongs to: a hash of its path relative to the
    project root, so every checkout and machine splits the same way."""
    from .fingerprint import project_root, relative_path

    rel = relative_path(path, root or project_root())
    return int.from_bytes(hashlib.sha256(rel.encode()).digest()[:8], "big") % count + 1


def _shard(paths: Iterable[str], shard: tuple[int, int] | None) -> list[str]:
    if shard is None:
        return list(paths)
    from .fingerprint import project_root

    k, n = shard
    root = project_root()
    return [p for p in paths if shard_of(p, n, root) == k]


def _analyse_root(root, rules, source: Source, helpers: Summaries, surroundings: Surroundings, looked_at: bool):
    """The rules' findings in one root: (the expression analysed, its analysis, the
    findings), or None when the analysis found nothing to look at. A root with
    findings (or a shift whose sign, or whether its count is bounded, only the code
    around can decide) is read again with
    what the code around it proves; only then, as that costs a walk of the function."""
    analysis = ValueAnalysis(helpers=helpers)
    analysis.run(root.expr)
    if not (analysis.widenings or analysis.char_uses or analysis.sign_shifts or analysis.unsure or looked_at
            or analysis.stores_taint):
        return None
    expr = root.expr
    found = [f for rule in rules for f in rule.check(analysis.widenings, analysis, source, root.function)]
    if found or looked_at or analysis.unsure or analysis.widens_unbounded_shift():
        refined = surroundings.refine(root.scope, expr)
        chars = has_char_uses(analysis)  # judged on the function's own tree: read it again
        if refined is not None and (refined[1] or refined[2] or chars):
            expr, facts, scoped = refined
            analysis = ValueAnalysis(facts, helpers=helpers, scoped=scoped)
            analysis.run(expr)
            if chars and has_char_uses(analysis):
                uses = surroundings.byte_uses(root.scope)
                if uses is not None:
                    drop_harmless_chars(analysis, uses)
            found = [f for rule in rules for f in rule.check(analysis.widenings, analysis, source, root.function)]
    return expr, analysis, found


def _reads_of_stored(scope, rules, source: Source, helpers: Summaries, surroundings: Surroundings):
    """(expression, analysis, findings) of the roots of a function that read a variable
    holding an int a shift, a product or a '~' can have made negative (context.Fact.taint)."""
    for expr, facts, scoped in surroundings.reads_of_tainted(scope):
        analysis = ValueAnalysis(facts, helpers=helpers, scoped=scoped)
        analysis.run(expr)
        yield expr, analysis, [f for rule in rules for f in rule.check(analysis.widenings, analysis, source,
                                                                        scope.spelling)]


def _covers(tu: TranslationUnit, expr, where: tuple[str, int]) -> bool:
    """Is expr (as its macros are used) on the line where = (real path, line)?"""
    begin, end = tu.expansion_range(expr)
    return begin.path == where[0] and begin.line <= where[1] <= end.line


def _extent(finding: Finding) -> tuple[str, int, int] | None:
    """Where the flagged expression is spelled, when known."""
    if finding.end is None:
        return None
    return finding.position.path, finding.position.offset, finding.end.offset


def _place(finding: Finding, wanted) -> Finding | None:
    """Report where the user can act: the spelling location if it is in a wanted
    file, else the macro's use in a wanted file (the fix is then left to the author)."""
    if wanted(finding.position.path):
        return finding
    for note in finding.notes:
        if wanted(note.position.path):
            fix = replace(finding.fix, applicable=False) if finding.fix else None
            return replace(finding, position=note.position, end=None, fix=fix, notes=())
    return None
