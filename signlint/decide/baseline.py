"""Baselines: a file of known findings, so that only new ones are reported.

The file is JSON, keyed by fingerprint (signlint.fingerprint: rule, path relative
to the project root, function, expression text and occurrence; no line numbers,
so unrelated edits that move lines keep a finding known). Each entry also holds
the rule, path, function and snippet for the humans who read the diff, and the
source line, which tells apart repeats of one expression in one function. Entries
are sorted and the file ends with a newline, so it diffs well in review::

    {
      "findings": [
        {"context": "return b << 24;", "fingerprint": "…", "function": "f", "path": "src/a.c",
         "rule": "SL001", "snippet": "b << 24"}
      ],
      "tool": "signlint",
      "version": 1
    }

Pass the same root to write() and filter() (e.g. fingerprint.project_root() of the
baseline's folder), and the findings of the same stage (e.g. after inline
suppressions), since a fingerprint counts repeats of one expression.

API: ``load(path, missing_ok=False) -> Baseline``, ``filter(findings, baseline, root)
-> (new, known)``, ``write(path, findings, root, keep=()) -> int``.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..records import Finding
from ..report.fingerprint import fingerprints, identity
from ..report.output import SourceLines
from ..report.report_file import write_text

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read; the message is one line."""


@dataclass(frozen=True, order=True)
class Entry:
    """One known finding (sorted by path, function, rule, snippet, fingerprint)."""

    path: str  # relative to the project root, '/' separators
    function: str
    rule: str
    snippet: str
    fingerprint: str
    context: str = ""  # the finding's source line, white space folded: tells repeats of a snippet apart

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """As fingerprint.identity() of the finding it was written for."""
        return (self.rule, self.path, self.function, self.snippet)

    def as_json(self) -> dict[str, str]:
        return {"fingerprint": self.fingerprint, "function": self.function, "path": self.path,
                "rule": self.rule, "snippet": self.snippet, **({"context": self.context} if self.context else {})}


@dataclass
class Baseline:
    path: str
    entries: dict[str, Entry] = field(default_factory=dict)  # by fingerprint

    def __contains__(self, fingerprint: str) -> bool:
        return fingerprint in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def outside(self, analysed: Callable[[str], bool], root: str) -> list[Entry]:
        """Entries whose file was not analysed (analysed() takes an absolute path),
        to keep with write(..., keep=) when a run covers part of the project."""
        return [e for e in self.entries.values() if not analysed(os.path.normpath(os.path.join(root, e.path)))]

    def stale(self, known: Iterable[Finding], root: str) -> list[Entry]:
        """Entries that no known finding matched (fixed, or their code changed)."""
        found = set(fingerprints(known, root).values())
        return sorted(e for fp, e in self.entries.items() if fp not in found)


def load(path: str, missing_ok: bool = False) -> Baseline:
    """Read a baseline. A missing file is an empty baseline when missing_ok (for
    --update-baseline), else a BaselineError, as is a malformed one."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        if missing_ok:
            return Baseline(path)
        raise BaselineError(f"baseline {path} does not exist (create it with --update-baseline)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"cannot read baseline {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: not a signlint baseline: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("tool") != "signlint" or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a signlint baseline (expected an object with \"tool\": \"signlint\" "
                            f"and a \"findings\" list)")
    if data.get("version") != VERSION:
        raise BaselineError(f"{path}: baseline version {data.get('version')!r} is not supported "
                            f"(this signlint writes version {VERSION}); recreate it with --update-baseline")
    entries: dict[str, Entry] = {}
    for i, item in enumerate(data["findings"]):
        try:
            entry = Entry(**{k: item[k] for k in ("path", "function", "rule", "snippet", "fingerprint")},
                          context=item.get("context", ""))
        except (TypeError, KeyError) as exc:
            raise BaselineError(f"{path}: finding #{i + 1} is malformed (missing {exc})") from None
        if not all(isinstance(v, str) for v in entry.as_json().values()):
            raise BaselineError(f"{path}: finding #{i + 1} is malformed (values must be strings)")
        entries[entry.fingerprint] = entry
    return Baseline(path, entries)


def filter(findings: Iterable[Finding], baseline: Baseline, root: str) -> tuple[list[Finding], list[Finding]]:
    """Split findings into (new, known), keeping their order.

    Findings that share rule, file, function and expression are counted against
    the baseline's entries for them: when there are more now, the extra ones are
    new. Which ones: those whose source line no entry recorded (a second `b << 24`
    added above the known one is new, not the known one moved down); among equal
    lines, the last ones."""
    findings = list(findings)
    entries_of: dict[tuple, list[Entry]] = {}
    for entry in baseline.entries.values():
        entries_of.setdefault(entry.identity, []).append(entry)
    groups: dict[tuple, list[Finding]] = {}
    for f in sorted(findings, key=lambda f: (f.position.path, f.position.offset, f.rule)):
        groups.setdefault(identity(f, root), []).append(f)
    lines = SourceLines()
    known_keys: set = set()
    for named, group in groups.items():
        recorded = entries_of.get(named, [])
        if len(group) <= len(recorded):
            known_keys.update(f.key for f in group)
            continue
        contexts = Counter(e.context for e in recorded if e.context)
        budget = len(recorded)
        for f in group:  # first the lines recorded as they are
            line = _context(f, lines)
            if budget and contexts[line] > 0:
                contexts[line] -= 1
                budget -= 1
                known_keys.add(f.key)
        for f in group:  # then, for entries without a line that still matches, in order
            if budget and f.key not in known_keys:
                budget -= 1
                known_keys.add(f.key)
    new = [f for f in findings if f.key not in known_keys]
    return new, [f for f in findings if f.key in known_keys]


def _context(f: Finding, lines: SourceLines) -> str:
    return " ".join(lines.line(f.position.path, f.position.line).decode("utf-8", "replace").split())


def entries(findings: Iterable[Finding], root: str) -> list[Entry]:
    """The baseline entries for these findings, sorted."""
    findings = list(findings)
    table = fingerprints(findings, root)
    lines = SourceLines()
    out = set()
    for f in findings:
        rule, path, function, snippet = identity(f, root)
        out.add(Entry(path, function, rule, snippet, table[f.key], _context(f, lines)))
    return sorted(out)


def write(path: str, findings: Iterable[Finding], root: str, keep: Iterable[Entry] = ()) -> int:
    """Write the baseline of these findings (plus the `keep` entries) atomically;
    returns how many entries it holds."""
    merged = {e.fingerprint: e for e in keep}
    merged.update((e.fingerprint, e) for e in entries(findings, root))
    items = sorted(merged.values())
    data = {"findings": [e.as_json() for e in items], "tool": "signlint", "version": VERSION}
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    write_text(path, text)
    return len(items)
