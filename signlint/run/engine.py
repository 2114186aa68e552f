"""Analyses one translation unit (TU) and returns its findings.

For each file to parse: its compiler flags (compdb), a parse
(front.translation_unit), the reading of every expression in the wanted bodies
(analysis.reading), the rules on what the reading found (checks), then one
finding per spelling location and rule.
While header_functions is a set (during schedule.run), a function defined outside
the TU's main file (a header's static inline) is walked once: later TUs skip it.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field, replace

from ..analysis.reading import Reader
from ..analysis.values import ValueAnalysis
from ..checks import RULES
from ..front import compdb
from ..front.libclang import FrontendError
from ..front.limits import on_deep_stack
from ..front.source import Source
from ..front.translation_unit import TranslationUnit
from ..records import Finding, Key, UnitOutcome, UnitResult
from ..report.explain import line_report, ranges_used
from ..report.output import display_path


@dataclass
class Options:
    rules: frozenset[str]  # rule codes to run
    extra_args: list[str] = field(default_factory=list)  # after `--` on the command line
    compile_commands: str | None = None  # -p: a database file or folder
    explain: bool = False  # attach the ranges used to each finding (Finding.explanation)
    explain_line: tuple[str, int] | None = None  # (real path, line): describe what the analysis saw there
    unsaved: dict[str, str] = field(default_factory=dict)  # real path -> text parsed instead of the file's


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

        reader = Reader(tu)
        explain, explain_line = self.options.explain, self.options.explain_line
        explanations: list[str] = []

        def judge(analysis: ValueAnalysis, function: str) -> list[Finding]:
            return [f for rule in rules for f in rule.check(analysis.widenings, analysis, source, function)]

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
            readings = reader.readings(root, judge, looked_at)
            if looked_at and readings:
                explanations.extend(line_report(readings[0].expr, readings[0].analysis, source))
            for reading in readings:
                report(*reading)

        try:
            for root in tu.roots(wanted, once if seen is not None else None, relevant_only=explain_line is None):
                try:
                    analyse(root)
                except RecursionError:
                    # Nested deeper than DEEP_RECURSION_LIMIT allows (issue 14): this root
                    # is left out and said to be; the rest of the file is analysed.
                    begin = tu.locations.expansion_range(root.expr)[0]
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

class GivenArguments(Engine):
    """An engine whose clang arguments are given with each file (by the parent
    process, or by kbuild's command line), not looked up in a compile database."""

    def __init__(self, options: Options):
        super().__init__(options)
        self.given: dict[str, list[str]] = {}

    def arguments(self, path: str) -> list[str]:
        return self.given[path]


def _covers(tu: TranslationUnit, expr, where: tuple[str, int]) -> bool:
    """Is expr (as its macros are used) on the line where = (real path, line)?"""
    begin, end = tu.locations.expansion_range(expr)
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
