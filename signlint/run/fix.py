"""Applying fixes: all edits of a file at once, verified before anything is written.

For each file with applicable edits, the new text is parsed again (as an unsaved
buffer in the translation unit that reported the findings). The file is replaced
only if that parse has no more errors than before and none of the fixed findings
is reported again; then it is written to a temporary file beside it and moved
over it, so it is never left half-written.
"""

from __future__ import annotations

import difflib
import os
import stat
from dataclasses import dataclass, field

from ..front.libclang import FrontendError
from ..records import Edit, Finding
from ..report.report_file import replace_file
from .engine import Engine


@dataclass
class FileFix:
    path: str
    findings: list[Finding]  # the findings this file's edits fix
    old: bytes = b""
    new: bytes = b""
    error: str = ""  # why the fix was not applied ('' when it verified)
    written: bool = False
    skipped: list[Finding] = field(default_factory=list)  # edits that overlapped others


def apply_edits(text: bytes, edits: list[Edit]) -> bytes:
    out, cursor = [], 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        out.append(text[cursor : edit.start])
        out.append(edit.text.encode())
        cursor = edit.end
    out.append(text[cursor:])
    return b"".join(out)


def plan(findings: list[Finding], unsafe: bool = False) -> list[FileFix]:
    """Group applicable fixes by the file they edit; drop fixes whose edits
    overlap an earlier one (they are left for a second run). Unsafe fixes (a
    declaration's type changes) only when asked for (--unsafe-fixes). A fix made of edits
    already taken is done by them: two findings at calls of one helper share the
    change of its return type."""
    by_path: dict[str, FileFix] = {}
    taken: dict[str, list[tuple[int, int]]] = {}
    for finding in findings:
        fix = finding.fix
        if fix is None or not fix.applicable or not fix.edits or not (fix.safe or unsafe):
            continue
        paths = {e.path for e in fix.edits}
        if len(paths) != 1:
            continue
        path = paths.pop()
        plan_for = by_path.setdefault(path, FileFix(path, []))
        ranges = taken.setdefault(path, [])
        if set(fix.edits) <= {e for f in plan_for.findings for e in f.fix.edits}:
            plan_for.findings.append(finding)
            continue
        if any(_overlaps(e, r) for e in fix.edits for r in ranges):
            plan_for.skipped.append(finding)
            continue
        ranges.extend((e.start, e.end) for e in fix.edits)
        plan_for.findings.append(finding)
    return [p for p in by_path.values() if p.findings]


def _overlaps(edit: Edit, taken: tuple[int, int]) -> bool:
    start, end = taken
    if edit.start == edit.end or start == end:  # insertions clash only at the same point inside a range
        return start < edit.start < end or edit.start < start < edit.end
    return edit.start < end and start < edit.end


def _moved(offset: int, edits: list[Edit]) -> int:
    """Where offset lands after the edits (insertions at offset stay before it)."""
    return offset + sum(len(e.text.encode()) - (e.end - e.start) for e in edits if e.start < offset)


def verify_and_apply(engine: Engine, wanted, file_fix: FileFix, write: bool) -> FileFix:
    path = file_fix.path
    try:
        with open(path, "rb") as fh:
            file_fix.old = fh.read()
    except OSError as exc:
        file_fix.error = f"cannot read {path}: {exc.strerror}"
        return file_fix
    edits = list(dict.fromkeys(e for f in file_fix.findings for e in f.fix.edits))
    file_fix.new = apply_edits(file_fix.old, edits)
    try:
        new_text = file_fix.new.decode("utf-8")
    except UnicodeDecodeError:
        file_fix.error = "the file is not UTF-8; fix not applied"
        return file_fix
    for unit in sorted({f.unit or path for f in file_fix.findings}):
        problem = _verify_unit(engine, wanted, unit, path, new_text, edits,
                               [f for f in file_fix.findings if (f.unit or path) == unit])
        if problem:
            file_fix.error = problem
            return file_fix
    if write:
        try:
            replace_file(path, file_fix.new, stat.S_IMODE(os.stat(path).st_mode))
        except OSError as exc:
            file_fix.error = f"cannot write the fixed file ({exc.strerror or exc}); fix not applied"
            return file_fix
        file_fix.written = True
    return file_fix


def _verify_unit(engine: Engine, wanted, unit: str, path: str, new_text: str, edits: list[Edit],
                 fixed: list[Finding]) -> str:
    try:
        before = engine.analyze(unit, wanted)
        after = engine.analyze(unit, wanted, unsaved={path: new_text})
    except FrontendError as exc:
        return str(exc)
    if len(after.errors) > len(before.errors):
        return f"the fixed file does not parse ({after.errors[0]}); fix not applied"
    still = {(f.rule, f.position.path, f.position.offset) for f in after.findings}
    for finding in fixed:
        key = (finding.rule, finding.position.path, _moved(finding.position.offset, edits))
        if key in still:
            return f"signlint still reports {finding.rule} at line {finding.position.line} after the fix; not applied"
    return ""


def unified_diff(file_fix: FileFix, shown_path: str) -> str:
    old = file_fix.old.decode("utf-8", "replace").splitlines(keepends=True)
    new = file_fix.new.decode("utf-8", "replace").splitlines(keepends=True)
    before, after = (shown_path, shown_path) if os.path.isabs(shown_path) else (f"a/{shown_path}", f"b/{shown_path}")
    return "".join(difflib.unified_diff(old, new, before, after))
