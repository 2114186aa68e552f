"""Fingerprints that name a finding without its line number.

A fingerprint is made of the rule, the file's path relative to the project root,
the enclosing function, the flagged expression's text (white space folded) and
its occurrence index among findings that share all of those. Unrelated edits that
move lines leave it unchanged; so do edits to other functions. Used by SARIF
partialFingerprints, the GitLab report and baselines.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable

from ..records import Finding


def project_root(start: str | None = None) -> str:
    """The nearest folder above start holding .git (else start itself)."""
    folder = os.path.abspath(start or os.getcwd())
    probe = folder
    while True:
        if os.path.exists(os.path.join(probe, ".git")):
            return probe
        parent = os.path.dirname(probe)
        if parent == probe:
            return folder
        probe = parent


def relative_path(path: str, root: str) -> str:
    """path relative to root, with '/' separators; absolute if outside root."""
    rel = os.path.relpath(path, root)
    return path.replace(os.sep, "/") if rel.startswith("..") else rel.replace(os.sep, "/")


def identity(f: Finding, root: str) -> tuple[str, str, str, str]:
    """What a fingerprint hashes, bar the occurrence index: (rule, relative path,
    function, expression text with white space folded)."""
    return (f.rule, relative_path(f.position.path, root), f.function, " ".join(f.snippet.split()))


def fingerprints(findings: Iterable[Finding], root: str) -> dict[tuple, str]:
    """Maps each finding's key to its fingerprint (hex, 32 characters)."""
    seen: dict[tuple, int] = {}
    out: dict[tuple, str] = {}
    for f in sorted(findings, key=lambda f: (f.position.path, f.position.offset, f.rule)):
        named = identity(f, root)
        index = seen.get(named, 0)
        seen[named] = index + 1
        text = "\0".join([*named, str(index)])
        out[f.key] = hashlib.sha256(text.encode()).hexdigest()[:32]
    return out
