"""Reports for CI services: SARIF (GitHub code scanning), GitHub workflow commands
and step summary, GitLab Code Quality, and reviewdog's rdjson.

Each format_NAME(findings, root) returns the whole report as text; root is the
project root that report paths are relative to (fingerprint.project_root()).

Finding positions count columns in bytes. Where a consumer counts otherwise the
columns are recomputed from the file: SARIF (run.columnKind 'utf16CodeUnits') and
GitHub annotations use UTF-16 code units, as JavaScript strings do; rdjson counts
UTF-8 bytes, as its specification says. Fix edits are byte offsets; they are turned
into line/column ranges the same way.
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from .. import __version__
from ..checks import RULES
from ..front.libclang import libclang_version
from ..records import Edit, Finding, Fix
from .fingerprint import fingerprints, relative_path
from .output import fix_mode
from .rule_docs import rule_document

INFORMATION_URI = "https://pypi.org/project/signlint/"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "signlint/v1"
SRCROOT = "%SRCROOT%"
SUMMARY_LIMIT = 1_000_000  # GitHub refuses step summaries over 1 MiB
RULE_TAGS = ("correctness", "sign-extension", "c")


SOURCE_LABELS = ("source", "source code", "repository", "code")  # Project-URL labels of the repository


def rule_url(code: str) -> str:
    """Where to read about a rule: its document in the source repository at this
    version's tag (`<repo>/blob/v0.1.0/rules/SL001.md`), when the installed package
    names its repository (a [project.urls] Source entry); else the package page."""
    repository = _repository()
    if repository is None:
        return INFORMATION_URI
    blob = "/-/blob/" if "gitlab" in repository else "/blob/"  # GitLab's path, else GitHub's (and Gitea's)
    return f"{repository}{blob}v{__version__}/rules/{code}.md"


@functools.cache
def _repository() -> str | None:
    try:
        entries = importlib.metadata.metadata("signlint").get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() in SOURCE_LABELS and url.strip().startswith("https://"):
            return url.strip().rstrip("/")
    return None


# ---------------------------------------------------------------- positions


class _Files:
    """Turns byte offsets into (line, UTF-8 byte column, UTF-16 column), 1-based.
    Each file is read once; None when the file cannot be read or is shorter."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[bytes, list[int]] | None] = {}

    def _load(self, path: str) -> tuple[bytes, list[int]] | None:
        if path not in self._files:
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError:
                self._files[path] = None
            else:
                starts = [0] + [m.end() for m in re.finditer(b"\n", data)]
                self._files[path] = (data, starts)
        return self._files[path]

    def data(self, path: str) -> bytes | None:
        loaded = self._load(path)
        return None if loaded is None else loaded[0]

    def locate(self, path: str, offset: int) -> tuple[int, int, int] | None:
        loaded = self._load(path)
        if loaded is None or not 0 <= offset <= len(loaded[0]):
            return None
        data, starts = loaded
        lo, hi = 0, len(starts) - 1
        while lo < hi:  # the last line start <= offset
            mid = (lo + hi + 1) // 2
            if starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        prefix = data[starts[lo] : offset]
        utf16 = len(prefix.decode("utf-8", "replace").encode("utf-16-le", "surrogatepass")) // 2
        return lo + 1, len(prefix) + 1, utf16 + 1


def _span(files: _Files, f: Finding) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Start and (exclusive) end of a finding as (line, byte column, UTF-16 column);
    one column wide when the end is not known."""
    p = f.position
    start = files.locate(p.path, p.offset) or (p.line, p.column, p.column)
    end = None
    if f.end is not None and f.end.path == p.path:
        end = files.locate(p.path, f.end.offset) or (f.end.line, f.end.column, f.end.column)
    if end is None or end[:2] <= start[:2]:
        end = (start[0], start[1] + 1, start[2] + 1)
    return start, end


def _applicable_edits(fix: Fix | None) -> list[Edit]:
    if fix is None or not fix.applicable:
        return []
    return sorted(fix.edits, key=lambda e: (e.path, e.start, e.end))


def _fix_text(fix: Fix) -> str:
    shown = f": {fix.preview}" if fix.preview else ""
    return f"fix: {fix.description}{shown}{fix_mode(fix)}"


def _full_message(f: Finding) -> str:
    return f.message + (f"\n{_fix_text(f.fix)}" if f.fix else "")


def _json(document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- SARIF


def _artifact(path: str, root: str) -> dict:
    rel = relative_path(path, root)
    if os.path.isabs(rel):
        return {"uri": Path(rel).as_uri()}
    return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}


def _region(start: tuple[int, int, int], end: tuple[int, int, int]) -> dict:
    return {"startLine": start[0], "startColumn": start[2], "endLine": end[0], "endColumn": end[2]}


def _doc_parts(code: str, summary: str) -> tuple[str, str]:
    """The rule document, and its first paragraph (the full description)."""
    try:
        document = rule_document(code)
    except OSError:
        return summary, summary
    paragraphs = [p.strip() for p in document.split("\n\n")]
    first = next((p for p in paragraphs if p and not p.startswith("#")), summary)
    return document, " ".join(first.split())


def _sarif_rule(code: str, module) -> dict:
    document, first = _doc_parts(code, module.SUMMARY)
    return {
        "id": code,
        "name": module.NAME,
        "shortDescription": {"text": module.SUMMARY},
        "fullDescription": {"text": first.replace("`", ""), "markdown": first},
        "help": {"text": document, "markdown": document},
        "helpUri": rule_url(code),
        "defaultConfiguration": {"level": "warning", "enabled": bool(module.DEFAULT)},
        "properties": {"tags": list(RULE_TAGS), "precision": "high", "problem.severity": "warning"},
    }


def _sarif_fix(fix: Fix, root: str, files: _Files) -> dict | None:
    edits = _applicable_edits(fix)
    if not edits:
        return None
    changes: dict[str, list[dict]] = {}
    for e in edits:
        region: dict = {}
        start, end = files.locate(e.path, e.start), files.locate(e.path, e.end)
        if start and end:
            region = _region(start, end)
        region.update(byteOffset=e.start, byteLength=e.end - e.start)
        replacement: dict = {"deletedRegion": region}
        if e.text:
            replacement["insertedContent"] = {"text": e.text}
        changes.setdefault(e.path, []).append(replacement)
    return {
        "description": {"text": fix.description + (f": {fix.preview}" if fix.preview else "")},
        # Unsafe fixes change a declaration's type: --fix leaves them to --unsafe-fixes.
        "properties": {"safety": "safe" if fix.safe else "unsafe"},
        "artifactChanges": [{"artifactLocation": _artifact(path, root), "replacements": replacements}
                            for path, replacements in changes.items()],
    }


def _sarif_result(f: Finding, index: dict[str, int], prints: dict, root: str, files: _Files) -> dict:
    start, end = _span(files, f)
    location: dict = {"physicalLocation": {"artifactLocation": _artifact(f.position.path, root),
                                           "region": _region(start, end)}}
    if f.function:
        location["logicalLocations"] = [{"name": f.function, "kind": "function"}]
    result: dict = {"ruleId": f.rule}
    if f.rule in index:
        result["ruleIndex"] = index[f.rule]
    result.update({
        "level": "warning",
        "message": {"text": _full_message(f)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: prints[f.key]},
    })
    if f.notes:
        related = []
        for i, note in enumerate(f.notes):
            n_start = files.locate(note.position.path, note.position.offset) or (
                note.position.line, note.position.column, note.position.column)
            related.append({
                "id": i,
                "physicalLocation": {"artifactLocation": _artifact(note.position.path, root),
                                     "region": {"startLine": n_start[0], "startColumn": n_start[2]}},
                "message": {"text": note.message},
            })
        result["relatedLocations"] = related
    fix = _sarif_fix(f.fix, root, files) if f.fix else None
    if fix:
        result["fixes"] = [fix]
    return result


def _libclang_number(version: str) -> str:
    match = re.search(r"\d+(\.\d+)+", version)
    return match.group(0) if match else version


def format_sarif(findings: list[Finding], root: str) -> str:
    """SARIF 2.1.0 with what GitHub code scanning reads: rules with help, results with
    repository-relative locations, partialFingerprints and fixes."""
    root = os.path.abspath(root)
    files = _Files()
    prints = fingerprints(findings, root)
    codes = list(RULES)
    index = {code: i for i, code in enumerate(codes)}
    clang = libclang_version()
    run = {
        "tool": {
            "driver": {
                "name": "signlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_sarif_rule(code, RULES[code]) for code in codes],
            },
            "extensions": [{"name": "libclang", "version": _libclang_number(clang), "fullName": clang}],
        },
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "columnKind": "utf16CodeUnits",
        "results": [_sarif_result(f, index, prints, root, files) for f in findings],
        "properties": {"libclangVersion": clang},
    }
    return _json({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]})


# ---------------------------------------------------------------- GitHub


def escape_data(text: str) -> str:
    """A workflow command's message, escaped as @actions/core does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value, escaped as @actions/core does."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _github_message(f: Finding, root: str) -> str:
    lines = [_full_message(f)]
    for note in f.notes:
        lines.append(f"note: {relative_path(note.position.path, root)}:{note.position.line}: {note.message}")
    return "\n".join(lines)


def format_github(findings: list[Finding], root: str) -> str:
    """One ::warning workflow command per finding (GitHub shows them as annotations)."""
    root = os.path.abspath(root)
    files = _Files()
    out = []
    for f in findings:
        start, end = _span(files, f)
        props = [("file", relative_path(f.position.path, root)), ("line", start[0]), ("col", start[2]),
                 ("endLine", end[0]), ("endColumn", end[2]), ("title", f.rule)]
        head = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
        out.append(f"::warning {head}::{escape_data(_github_message(f, root))}")
    return "".join(line + "\n" for line in out)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&#~!])")


def _md(text: str) -> str:
    """Plain text for a markdown table cell."""
    return "<br>".join(_MD_SPECIAL.sub(r"\\\1", line) for line in text.splitlines() or [""])


def _md_code(text: str) -> str:
    """text as a code span in a table cell."""
    text = " ".join(text.split()).replace("|", "\\|")
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _summary_row(f: Finding, root: str) -> str:
    where = _md_code(f"{relative_path(f.position.path, root)}:{f.position.line}")
    fix = ""
    if f.fix:
        fix = _md(f.fix.description) + (f": {_md_code(f.fix.preview)}" if f.fix.preview else "")
        if not f.fix.applicable:
            fix += " (by hand)"
    return f"| {where} | {f.rule} | {_md(f.message)} | {fix} |\n"


def github_summary(findings: list[Finding], root: str, limit: int = SUMMARY_LIMIT) -> str:
    """A markdown table of every finding (as many as fit in limit bytes)."""
    root = os.path.abspath(root)
    findings = list(findings)
    if not findings:
        return "### signlint: no findings\n\n"
    count = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    head = f"### signlint: {count}\n\n| Location | Rule | Message | Fix |\n| --- | --- | --- | --- |\n"
    parts, size = [head], len(head.encode())
    for shown, f in enumerate(findings):
        row = _summary_row(f, root)
        if size + len(row.encode()) + 200 > limit:
            parts.append(f"\n*{len(findings) - shown} more not listed: the step summary is limited to 1 MiB.*\n")
            break
        parts.append(row)
        size += len(row.encode())
    parts.append("\n")
    return "".join(parts)


def write_github_summary(findings: list[Finding], root: str, path: str) -> None:
    """Append the findings table to path ($GITHUB_STEP_SUMMARY)."""
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(github_summary(findings, root))


# ---------------------------------------------------------------- GitLab


def format_gitlab(findings: list[Finding], root: str) -> str:
    """GitLab Code Quality report (the Code Climate subset GitLab reads)."""
    root = os.path.abspath(root)
    prints = fingerprints(findings, root)
    issues = []
    for f in findings:
        issues.append({
            "type": "issue",
            "description": _full_message(f).replace("\n", "; "),
            "check_name": f.rule,
            "fingerprint": prints[f.key],
            "severity": "major",
            "categories": ["Bug Risk"],
            "location": {"path": relative_path(f.position.path, root), "lines": {"begin": f.position.line}},
        })
    return _json(issues)


# ---------------------------------------------------------------- reviewdog


def _rd_position(p: tuple[int, int, int]) -> dict:
    return {"line": p[0], "column": p[1]}


def _rd_suggestion(f: Finding, files: _Files) -> dict | None:
    """The whole fix as one suggestion: reviewdog shows each suggestion on its own,
    so the edits of one fix are merged into a single replacement. An unsafe fix is
    not offered as a one-click suggestion; the message says it is unsafe."""
    if f.fix is None or not f.fix.safe:
        return None
    edits = _applicable_edits(f.fix)
    if not edits or any(e.path != f.position.path for e in edits):
        return None
    lo, hi = min(e.start for e in edits), max(e.end for e in edits)
    start, end = files.locate(f.position.path, lo), files.locate(f.position.path, hi)
    data = files.data(f.position.path)
    if start is None or end is None or data is None:
        return None
    text, cursor = [], lo
    for e in edits:
        text.append(data[cursor : e.start])
        text.append(e.text.encode())
        cursor = e.end
    text.append(data[cursor:hi])
    return {"range": {"start": _rd_position(start), "end": _rd_position(end)},
            "text": b"".join(text).decode("utf-8", "replace")}


def format_rdjson(findings: list[Finding], root: str) -> str:
    """reviewdog's rdjson (DiagnosticResult): columns in UTF-8 bytes, ends exclusive."""
    root = os.path.abspath(root)
    files = _Files()
    diagnostics = []
    for f in findings:
        start, end = _span(files, f)
        diagnostic: dict = {
            "message": _full_message(f),
            "location": {"path": relative_path(f.position.path, root),
                         "range": {"start": _rd_position(start), "end": _rd_position(end)}},
            "severity": "WARNING",
            "code": {"value": f.rule, "url": rule_url(f.rule)},
        }
        suggestion = _rd_suggestion(f, files)
        if suggestion:
            diagnostic["suggestions"] = [suggestion]
        if f.notes:
            diagnostic["related_locations"] = [
                {"message": note.message,
                 "location": {"path": relative_path(note.position.path, root),
                              "range": {"start": {"line": note.position.line, "column": note.position.column}}}}
                for note in f.notes]
        diagnostics.append(diagnostic)
    document = {"source": {"name": "signlint", "url": INFORMATION_URI}, "severity": "WARNING",
                "diagnostics": diagnostics}
    return _json(document)


FORMATS: dict[str, Callable[[list[Finding], str], str]] = {
    "sarif": format_sarif,
    "github": format_github,
    "gitlab": format_gitlab,
    "rdjson": format_rdjson,
}

__all__ = ["FORMATS", "escape_data", "escape_property", "format_github", "format_gitlab", "format_rdjson",
           "format_sarif", "github_summary", "write_github_summary"]
