"""Changed lines from git, so that only findings on new or edited lines are shown
(`--diff-base REF`).

changed_lines() runs ``git diff -U0 REF`` (the working tree against REF; with
staged, ``git diff -U0 --cached REF``: the index against REF) from the top of the
repository and reads the hunk headers ``@@ -a,b +c,d @@``: lines c..c+d-1 of the
new file changed. Deleted lines leave nothing in the new file; an added file
counts entirely, and so do untracked files (not with staged: they are not staged).
Renames are followed, so a moved file counts only for the lines edited in it.

With staged, the files are also analysed as staged: ``staged_texts()`` gives the
index's text of each file with unstaged edits, parsed in place of the file.

API: ``changed_lines(ref, cwd, staged=False) -> {realpath: {line, ...}}``,
``staged_texts(cwd) -> {realpath: text}``,
``keep(findings, changed) -> list``, ``parse_diff(text, root)``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable

from ..records import Finding

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class ChangedLinesError(Exception):
    """git could not tell (not a repository, an unknown REF, no git); one line."""


def changed_lines(ref: str, cwd: str = ".", staged: bool = False, untracked: bool = True) -> dict[str, set[int]]:
    """{real path: set of 1-based line numbers changed since ref} for the repository
    holding cwd. staged: compare the index (what will be committed) instead of the
    working tree. untracked: count untracked, not ignored files entirely (not with staged)."""
    if not ref or ref.startswith("-"):
        raise ChangedLinesError(f"invalid git revision '{ref}'")
    root = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    command = ["diff", "-U0", "--no-color", "--no-ext-diff", "--no-textconv", "-M",
               "--src-prefix=a/", "--dst-prefix=b/"]
    if staged:
        command.append("--cached")
    changed = parse_diff(_git([*command, ref, "--"], root), root)
    if untracked and not staged:
        listing = _git(["ls-files", "-z", "--others", "--exclude-standard"], root)
        for name in filter(None, listing.split("\0")):
            path = os.path.realpath(os.path.join(root, name))
            lines = _count_lines(path)
            if lines:
                changed.setdefault(path, set()).update(range(1, lines + 1))
    return changed


def staged_texts(cwd: str = ".") -> dict[str, str]:
    """{real path: staged text} of the files whose working copy differs from the
    index: what --staged must analyse instead of the file on disk, so that findings
    and line numbers are those of what will be committed."""
    root = _git(["rev-parse", "--show-toplevel"], cwd).strip()
    listing = _git(["diff", "-z", "--name-only", "--no-ext-diff", "--no-textconv"], root)
    texts: dict[str, str] = {}
    for name in filter(None, listing.split("\0")):
        try:
            # errors="replace": libclang takes unsaved text as UTF-8
            text = _git(["show", f":{name}"], root, errors="replace")
        except ChangedLinesError:
            continue  # removed from the index: nothing of it will be committed
        texts[os.path.realpath(os.path.join(root, name))] = text
    return texts


def parse_diff(text: str, root: str) -> dict[str, set[int]]:
    """The added and edited lines of each new file in a `git diff -U0` output
    (paths under root, with git's b/ prefix)."""
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in text.splitlines():
        if line.startswith("+++ "):
            name = _unquote(line[4:].rstrip("\t"))
            if name == "/dev/null" or not name.startswith("b/"):
                current = None  # a deleted file
            else:
                current = changed.setdefault(os.path.realpath(os.path.join(root, name[2:])), set())
        elif line.startswith("@@ ") and current is not None:
            m = _HUNK.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                current.update(range(start, start + count))
        elif line.startswith("diff --git "):
            current = None
    return {path: lines for path, lines in changed.items() if lines}


def keep(findings: Iterable[Finding], changed: dict[str, set[int]]) -> list[Finding]:
    """The findings on changed lines: a finding stays when any line from its start
    to its end (if known) changed."""
    out = []
    real: dict[str, str] = {}
    for f in findings:
        path = f.position.path
        if path not in real:
            real[path] = os.path.realpath(path)
        lines = changed.get(real[path])
        if not lines:
            continue
        last = f.end.line if f.end is not None and f.end.path == path and f.end.line >= f.position.line \
            else f.position.line
        if any(n in lines for n in range(f.position.line, last + 1)):
            out.append(f)
    return out


def _git(args: list[str], cwd: str, errors: str = "surrogateescape") -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              encoding="utf-8", errors=errors)
    except FileNotFoundError:
        raise ChangedLinesError("git is not installed (needed for --diff-base)") from None
    except NotADirectoryError:
        raise ChangedLinesError(f"not a folder: {cwd}") from None
    if done.returncode != 0:
        message = next((line for line in done.stderr.splitlines() if line.strip()), f"git {args[0]} failed")
        raise ChangedLinesError(message.removeprefix("fatal: ").removeprefix("error: ").strip())
    return done.stdout


def _unquote(name: str) -> str:
    """A path as git prints it: "a/t\\303\\251st.c" -> a/tést.c."""
    if not (name.startswith('"') and name.endswith('"') and len(name) >= 2):
        return name
    body, out, i = name[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567" and re.match(r"[0-7]{3}", body[i + 1 : i + 4]):
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out += _ESCAPES.get(nxt, nxt).encode()
            i += 2
        else:
            out += c.encode("utf-8", "surrogateescape")
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _count_lines(path: str) -> int:
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return 0
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
