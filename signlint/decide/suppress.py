"""Inline suppressions: comments in the C source that silence one finding.

Accepted forms (rule lists are comma-separated; codes are case-insensitive and
may be globs such as ``SL*``)::

    x = b << 24;  /* signlint: ignore[SL001] the top bit is never set */
    x = b << 24;  // signlint: ignore[SL001,SL002] reason
    // signlint: ignore[SL001] reason            (alone on its line: covers the next line)
    x = b << 24;  // NOLINT(signlint-SL001)      (clang-tidy style: this line)
    // NOLINTNEXTLINE(signlint-SL001)            (clang-tidy style: the next line)
    x = b << 24;  // NOLINT(signlint-*, bugprone-*)
    x = b << 24;  // NOLINT                       (bare: every check, signlint's too)
    // NOLINTBEGIN(signlint-SL001)                (a region, up to the NOLINTEND with
    ...                                            the same check list)
    // NOLINTEND(signlint-SL001)

A ``signlint: ignore`` comment covers the lines it is written on; when it stands
alone (no code on its first or last line) it also covers the line after it. A
comment after code on one line does not reach into the next line. The NOLINT
forms are read as clang-tidy reads them: NOLINT covers its own line,
NOLINTNEXTLINE the line after it, NOLINTBEGIN..NOLINTEND the lines between
(both included); a check list names signlint's rules as ``signlint-SL001`` or any
glob matching that name (``signlint-*``, ``*``), and no list means every check.
``NOLINT(bugprone-foo)`` leaves signlint's findings alone. A NOLINTBEGIN never
closed, or a NOLINTEND never opened, is a problem and suppresses nothing. A
NOLINT that does not name signlint is never reported as unused: it may be meant
for another tool.

A ``signlint: ignore`` without a rule list suppresses nothing and is reported
as a problem (the CLI shows it as a warning), as are unknown rule codes.

Comments are found by a small lexer that skips string and character literals;
a file's suppressions are read once and cached (until the file changes).

API: ``scan(path)``, ``apply(findings, files)``, ``unused(scanned, suppressed)``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import NamedTuple

from ..checks import CODES
from ..records import Finding

HINT = "signlint: ignore needs a rule list, e.g. signlint: ignore[SL001]"

_IGNORE = re.compile(r"signlint\s*:\s*ignore\b(?:\s*\[([^\]\n]*)\])?", re.IGNORECASE)
_NOLINT = re.compile(r"\bNOLINT(NEXTLINE|BEGIN|END)?\b(?:\(([^)\n]*)\))?")
_CHECK_PREFIX = "signlint-"
_ANY_DIRECTIVE = re.compile(r"(?i:signlint)|NOLINT")  # what both directives need to match


class Problem(NamedTuple):
    """A suppression comment that cannot be used as written (shown as a warning)."""

    path: str
    line: int
    message: str


class Unused(NamedTuple):
    """A suppression that matched no finding: the directive as written (with the
    codes that matched nothing, when only some of them did)."""

    path: str
    line: int
    text: str


@dataclass(frozen=True)
class Suppression:
    """One suppression comment. patterns are upper-case rule codes or globs."""

    path: str
    line: int  # where the directive is written
    first: int  # the lines whose findings it suppresses: first..last
    last: int
    patterns: tuple[str, ...]
    text: str  # the directive as written, e.g. 'signlint: ignore[SL001]'
    explicit: bool = True  # names signlint; a bare NOLINT may be meant for another tool

    def matches(self, rule: str) -> bool:
        return any(fnmatchcase(rule.upper(), p) for p in self.patterns)

    def covers(self, finding: Finding) -> bool:
        return self.first <= finding.position.line <= self.last and self.matches(finding.rule)


@dataclass(frozen=True)
class FileSuppressions:
    """The suppressions and the problems found in one file."""

    path: str
    suppressions: tuple[Suppression, ...] = ()
    problems: tuple[Problem, ...] = ()
    _by_line: dict[int, list[Suppression]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for s in self.suppressions:
            for line in range(s.first, s.last + 1):
                self._by_line.setdefault(line, []).append(s)

    def covering(self, finding: Finding) -> list[Suppression]:
        """The suppressions that silence this finding (empty: it stays)."""
        return [s for s in self._by_line.get(finding.position.line, ()) if s.matches(finding.rule)]


# -- reading files ------------------------------------------------------------

_cache: dict[str, tuple[tuple[int, int], FileSuppressions]] = {}


def scan(path: str, text: str | None = None) -> FileSuppressions:
    """The suppressions written in a file (cached until its size or mtime changes),
    or in text given for it (--staged: the index's text). An unreadable file has none."""
    if text is not None:
        return parse(text, path)
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
        stamp = (st.st_mtime_ns, st.st_size)
        cached = _cache.get(real)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        with open(real, "rb") as fh:
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return FileSuppressions(path)
    result = parse(text, path)
    _cache[real] = (stamp, result)
    return result


def clear_cache() -> None:
    _cache.clear()


def parse(text: str, path: str = "<string>") -> FileSuppressions:
    """The suppressions in C source text (scan() reads a file and calls this)."""
    if not _ANY_DIRECTIVE.search(text):
        return FileSuppressions(path)  # most files: nothing to lex for (every file of a tree is scanned)
    comments, code_lines = _lex(text)
    suppressions: list[Suppression] = []
    problems: list[Problem] = []
    regions: list[tuple] = []  # open NOLINTBEGINs: (line, key, patterns, directive, explicit)
    for comment in comments:
        standalone = comment.first not in code_lines and comment.last not in code_lines
        for m in _IGNORE.finditer(comment.text):
            line = comment.first + comment.text.count("\n", 0, m.start())
            directive = m.group(0)
            items = _split(m.group(1) or "")
            if not items:
                problems.append(Problem(path, line, HINT))
                continue
            patterns = tuple("*" if i.upper() == "ALL" else i.upper() for i in items)
            problems.extend(Problem(path, line, f"unknown rule code {p} in '{directive}'")
                            for p in patterns if not _known(p))
            last = comment.last + 1 if standalone else comment.last
            suppressions.append(Suppression(path, line, line, last, patterns, directive, True))
        for m in _NOLINT.finditer(comment.text):
            line = comment.first + comment.text.count("\n", 0, m.start())
            kind, directive = m.group(1), m.group(0)
            patterns = _nolint_patterns(m.group(2))
            if not patterns:
                continue  # another tool's NOLINT
            problems.extend(Problem(path, line, f"unknown rule code {p} in '{directive}'")
                            for p in patterns if not _known(p))
            explicit = m.group(2) is not None and _CHECK_PREFIX in m.group(2).lower()
            if kind == "BEGIN":
                regions.append((line, _region_key(m.group(2)), patterns, directive, explicit))
            elif kind == "END":
                opened = [r for r in regions if r[1] == _region_key(m.group(2))]
                if not opened:
                    problems.append(Problem(path, line, f"'{directive}' without a matching NOLINTBEGIN"))
                    continue
                begin = opened[-1]
                regions.remove(begin)
                suppressions.append(Suppression(path, begin[0], begin[0], line, begin[2], begin[3], begin[4]))
            else:
                target = line + 1 if kind == "NEXTLINE" else line
                suppressions.append(Suppression(path, line, target, target, patterns, directive, explicit))
    # As clang-tidy: a region never closed suppresses nothing, and says so.
    problems.extend(Problem(path, r[0], f"'{r[3]}' without a matching NOLINTEND; it suppresses nothing")
                    for r in regions)
    return FileSuppressions(path, tuple(suppressions), tuple(problems))


def _nolint_patterns(checks: str | None) -> tuple[str, ...]:
    """The rule-code patterns a NOLINT's check list names for signlint, as clang-tidy
    reads it: no list means every check; `signlint-SL001`, `signlint-*`; and any other
    glob that matches a check name `signlint-slNNN` (such as `*`)."""
    if checks is None:
        return ("*",)
    out: list[str] = []
    for check in _split(checks):
        lower = check.lower()
        if lower.startswith(_CHECK_PREFIX):
            out.append(check[len(_CHECK_PREFIX):].upper())
        elif lower == "*":
            out.append("*")
        else:
            out.extend(code for code in CODES if fnmatchcase(f"{_CHECK_PREFIX}{code.lower()}", lower))
    return tuple(dict.fromkeys(out))


def _region_key(checks: str | None) -> str:
    """NOLINTEND closes the NOLINTBEGIN with the same check list (clang-tidy)."""
    return ",".join(_split(checks or "")).lower()


def _split(items: str) -> list[str]:
    return [i for i in re.split(r"[\s,]+", items) if i]


def _known(pattern: str) -> bool:
    return any(fnmatchcase(code, pattern) for code in CODES)


class _Comment(NamedTuple):
    first: int  # line of its first character
    last: int  # line of its last character
    text: str  # without the comment markers


def _lex(text: str) -> tuple[list[_Comment], set[int]]:
    """The comments of C source, and the lines that hold anything but comments and
    white space. String and character literals are skipped."""
    comments: list[_Comment] = []
    code_lines: set[int] = set()
    i, n, line = 0, len(text), 1
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
            i += 1
        elif c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end
            body = text[i + 2 : end]
            comments.append(_Comment(line, line + body.count("\n"), body))
            line += body.count("\n")
            i = end + 2
        elif c == "/" and text.startswith("//", i):
            j = i + 2
            while j < n and text[j] != "\n":
                if text[j] == "\\" and text.startswith("\n", j + 1):  # continued on the next line
                    j += 1
                elif text[j] == "\\" and text.startswith("\r\n", j + 1):
                    j += 2
                j += 1
            body = text[i + 2 : j]
            comments.append(_Comment(line, line + body.count("\n"), body))
            line += body.count("\n")
            i = j
        elif c == '"' or (c == "'" and not _digit_separator(text, i)):
            code_lines.add(line)
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                if text[j] == "\\" and j + 1 < n:
                    if text[j + 1] == "\n":
                        line += 1
                    j += 1
                j += 1
            i = j + 1 if j < n and text[j] == c else j  # an unterminated literal ends at the newline
        else:
            if not c.isspace():
                code_lines.add(line)
            i += 1
    return comments, code_lines


def _digit_separator(text: str, i: int) -> bool:
    """Is the quote at i a C23 digit separator (1'000'000) rather than a character literal?"""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_."):
        j -= 1
    return j < i and text[j].isdigit()


# -- using them ---------------------------------------------------------------


def apply(findings: Iterable[Finding], files: Iterable[str] = (),
          texts: Mapping[str, str] | None = None) -> tuple[list[Finding], list[Finding], list[Problem]]:
    """Split findings into (kept, suppressed, problems).

    problems are the unusable suppression comments of the files the findings are
    in and of `files` (pass the analysed files, e.g. targets.sources + targets.headers,
    so that a bare `signlint: ignore` is reported even where nothing was found).
    texts: {real path: text} read instead of those files (the staged text).
    """
    texts = texts or {}
    kept: list[Finding] = []
    suppressed: list[Finding] = []
    scanned: dict[str, FileSuppressions] = {}
    for finding in findings:
        path = finding.position.path
        if path not in scanned:
            scanned[path] = scan(path, texts.get(os.path.realpath(path)))
        (suppressed if scanned[path].covering(finding) else kept).append(finding)
    for path in files:
        if path not in scanned:
            scanned[path] = scan(path, texts.get(os.path.realpath(path)))
    problems = sorted({p for fs in scanned.values() for p in fs.problems})
    return kept, suppressed, problems


def unused(scanned: Iterable[FileSuppressions], suppressed: Iterable[Finding],
           rules: Iterable[str] | None = None) -> list[Unused]:
    """The suppressions that silenced nothing, for an opt-in report.

    scanned: scan(path) of every file that was analysed (a file that was not
    analysed cannot tell). suppressed: the suppressed findings from apply().
    rules: the rule codes that ran; codes of rules that did not run are not judged.
    """
    ran = set(CODES) if rules is None else {r.upper() for r in rules}
    used: set[tuple[Suppression, str]] = set()
    files = list(scanned)
    by_path = {os.path.realpath(fs.path): fs for fs in files}
    for finding in suppressed:
        fs = by_path.get(os.path.realpath(finding.position.path))
        if fs is None:
            continue
        for s in fs.covering(finding):
            used.update((s, p) for p in s.patterns if fnmatchcase(finding.rule.upper(), p))
    out: list[Unused] = []
    for fs in files:
        for s in fs.suppressions:
            if not s.explicit:
                continue  # a bare NOLINT or NOLINT(*) silencing some other tool is not idle
            judged = [p for p in s.patterns if _judged(p, ran)]
            idle = [p for p in judged if (s, p) not in used]
            if not idle:
                continue
            if not any((s, p) in used for p in s.patterns):
                out.append(Unused(s.path, s.line, s.text))
            else:
                out.append(Unused(s.path, s.line, f"{s.text} ({', '.join(idle)} matched nothing)"))
    return sorted(set(out))


def _judged(pattern: str, ran: set[str]) -> bool:
    """Can we tell a pattern is unused: all rules it names ran?"""
    named = {code for code in CODES if fnmatchcase(code, pattern)}
    return bool(named) and named <= ran
