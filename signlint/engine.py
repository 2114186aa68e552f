"""Runs the rules over translation units and gathers one report.

For each file to parse: its compiler flags (compdb), a parse (frontend), the
value analysis of every expression in the wanted bodies (values), the rules on
what the analysis found (checks), then one finding per spelling location and rule.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from . import compdb
from .checks import RULES
from .files import Targets
from .finding import Finding
from .frontend import FrontendError, TranslationUnit
from .source import Source
from .values import ValueAnalysis


@dataclass
class Options:
    rules: frozenset[str]  # rule codes to run
    extra_args: list[str] = field(default_factory=list)  # after `--` on the command line
    compile_commands: str | None = None  # -p: a database file or folder


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. parse errors: results may be incomplete
    internal_errors: list[str] = field(default_factory=list)  # files signlint failed on (its own bugs)
    parsed: int = 0


@dataclass
class UnitResult:
    findings: list[Finding]
    errors: list[str]  # the TU's parse errors ('path:line:col: error: ...')
    includes: set[str]
    unknown_arguments: list[str] = field(default_factory=list)


class Engine:
    def __init__(self, options: Options):
        self.options = options
        self._databases: dict[str, dict[str, compdb.Command]] = {}
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
        found = compdb.find_database(path)
        if found is None:
            return None
        if found not in self._databases:
            self._databases[found] = compdb.load(found)
        return self._databases[found]

    def is_built(self, path: str) -> bool:
        """False for a file a compile database governs but does not list: the
        build does not compile it (another architecture, a disabled option)."""
        database = self._database(path)
        return database is None or path in database

    # -- analysis -------------------------------------------------------------

    def analyze(self, path: str, wanted, unsaved: dict[str, str] | None = None) -> UnitResult:
        """Parse one file and run the selected rules on the wanted bodies."""
        tu = TranslationUnit(path, self.arguments(path), unsaved)
        source = Source(tu)
        findings: list[Finding] = []
        rules = [RULES[code] for code in sorted(self.options.rules)]
        for root in tu.roots(wanted):
            analysis = ValueAnalysis()
            analysis.run(root.expr)
            if not (analysis.widenings or analysis.char_uses or analysis.sign_shifts):
                continue
            for rule in rules:
                for finding in rule.check(analysis.widenings, analysis, source, root.function):
                    placed = _place(finding, wanted)
                    if placed is not None:
                        findings.append(replace(placed, unit=path))
        errors = [d.text for d in tu.errors()]
        return UnitResult(findings, errors, tu.included_files(), tu.unknown_arguments())

    def run(self, targets: Targets) -> Report:
        report = Report()
        seen: dict[tuple, Finding] = {}
        included: set[str] = set()
        ignored: set[str] = set()

        def take(path: str) -> None:
            try:
                result = self.analyze(path, targets.wanted)
            except FrontendError as exc:
                report.warnings.append(str(exc))
                return
            except Exception as exc:  # a bug in signlint: say so, and go on with the other files
                report.internal_errors.append(f"{_rel(path)}: internal error ({type(exc).__name__}: {exc})")
                return
            report.parsed += 1
            included.update(result.includes)
            for argument in result.unknown_arguments:
                if argument not in ignored:
                    ignored.add(argument)
                    report.warnings.append(f"clang does not know the argument '{argument}'; it was ignored")
            if result.errors:
                report.warnings.append(f"{_rel(path)}: parse errors, results may be incomplete: {result.errors[0]}")
            merge(seen, result.findings)

        # In a folder scan, files the build does not compile are left out; named
        # files are always analysed (a header borrows its nearest neighbour's flags).
        unbuilt = 0
        for path in targets.sources:
            if path in targets.files or self.is_built(path):
                take(path)
            else:
                unbuilt += 1
        for header in targets.headers:
            if header in included:
                continue
            if header in targets.files or self._database(header) is None:
                take(header)
            else:
                unbuilt += 1
        if unbuilt:
            report.warnings.append(f"{unbuilt} file(s) under the named folders are not in the compile database "
                                   f"and no listed file includes them; they were not analysed")
        report.findings = sorted(seen.values(), key=lambda f: (f.position.path, f.position.offset, f.rule))
        return report


def merge(seen: dict[tuple, Finding], findings: Iterable[Finding]) -> None:
    """One finding per spelling location and rule; notes of repeats are kept."""
    for finding in findings:
        first = seen.get(finding.key)
        if first is None:
            seen[finding.key] = finding
        else:
            notes = first.notes + tuple(n for n in finding.notes if n not in first.notes)
            seen[finding.key] = replace(first, notes=notes)


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


def _rel(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel
