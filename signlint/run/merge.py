"""Merging reports of shards (`--shard K/N`) into one: `signlint merge FILES...`.

Two formats can be merged, each only with itself: signlint's JSON
(`--format json`) and SARIF (`--format sarif`). A finding reported by several
shards (in a header two shards both include) is kept once: JSON findings are
the same finding when rule, path, line and column agree; SARIF results when
ruleId, file, start line and column agree (their partialFingerprints then agree
too). Notes (relatedLocations) of such repeats are united, and of repeats that
differ (a macro body's shift reported from different functions) the one kept is
the one a single run keeps (engine.merge: the least by function and message).
The result is sorted as one run sorts its findings (by file, position, rule;
notes by position), so merging the shards of a run gives the report of the
unsharded run.

Paths in JSON reports are relative to the folder signlint ran in: merge in
that folder too (CI jobs of one matrix do).
"""

from __future__ import annotations

import json
import os
from urllib.parse import unquote, urlparse


class MergeError(Exception):
    pass


def load(path: str) -> tuple[str, dict]:
    """('json' | 'sarif', document)."""
    try:
        with open(path, encoding="utf-8") as fh:
            document = json.load(fh)
    except OSError as exc:
        raise MergeError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise MergeError(f"{path} is not valid JSON: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("findings"), list) and "signlint_version" in document:
        return "json", document
    if isinstance(document, dict) and isinstance(document.get("runs"), list) and document.get("version") == "2.1.0":
        if len(document["runs"]) != 1:
            raise MergeError(f"{path}: a SARIF log with {len(document['runs'])} runs (signlint writes one)")
        return "sarif", document
    raise MergeError(f"{path} is neither a signlint JSON report (--format json) nor a SARIF log (--format sarif)")


def merge_files(paths: list[str]) -> tuple[str, list[str]]:
    """The merged report's text, and warnings (e.g. different signlint versions)."""
    loaded = [(path, *load(path)) for path in paths]
    kinds = {kind for _, kind, _ in loaded}
    if len(kinds) != 1:
        raise MergeError("cannot merge JSON reports with SARIF logs; merge each format on its own")
    kind = kinds.pop()
    documents = [document for _, _, document in loaded]
    if kind == "json":
        merged, warnings = merge_json(documents)
    else:
        merged, warnings = merge_sarif(documents)
    return json.dumps(merged, indent=2, ensure_ascii=False) + "\n", warnings


# -- signlint JSON ------------------------------------------------------------------


def _abs(path: str) -> str:
    return os.path.abspath(path)


def merge_json(documents: list[dict]) -> tuple[dict, list[str]]:
    warnings = _versions([(d.get("signlint_version"), d.get("libclang_version")) for d in documents])
    seen: dict[tuple, dict] = {}
    for document in documents:
        for finding in document["findings"]:
            key = (finding["rule"], finding["path"], finding["line"], finding["column"])
            first = seen.get(key)
            if first is None:
                seen[key] = dict(finding, notes=list(finding.get("notes") or []))
                continue
            notes = first["notes"] + [n for n in finding.get("notes") or [] if n not in first["notes"]]
            if (finding["function"], finding["message"]) < (first["function"], first["message"]):
                first = seen[key] = dict(finding)  # the one a single run keeps (engine.merge)
            first["notes"] = notes
    findings = sorted(seen.values(), key=lambda f: (_abs(f["path"]), f["line"], f["column"], f["rule"]))
    for finding in findings:
        finding["notes"].sort(key=lambda n: (_abs(n["path"]), n["line"], n["column"], n["message"]))
    merged = dict(documents[0])
    merged["findings"] = findings
    return merged, warnings


# -- SARIF ----------------------------------------------------------------------------


def _sarif_path(location: dict, bases: dict) -> str:
    """A physical location's file as an absolute path (for sorting)."""
    artifact = location.get("physicalLocation", {}).get("artifactLocation", {})
    uri = artifact.get("uri", "")
    base = bases.get(artifact.get("uriBaseId", ""), {}).get("uri", "")
    full = base + uri if base and not urlparse(uri).scheme else uri
    parsed = urlparse(full)
    return unquote(parsed.path if parsed.scheme == "file" else full)


def _region(location: dict) -> tuple[int, int]:
    region = location.get("physicalLocation", {}).get("region", {})
    return region.get("startLine", 0), region.get("startColumn", 0)


def merge_sarif(documents: list[dict]) -> tuple[dict, list[str]]:
    runs = [d["runs"][0] for d in documents]
    drivers = [run.get("tool", {}).get("driver", {}) for run in runs]
    warnings = _versions([(d.get("version"), run.get("properties", {}).get("libclangVersion"))
                          for d, run in zip(drivers, runs, strict=True)])
    seen: dict[tuple, tuple[dict, str]] = {}
    for run in runs:
        bases = run.get("originalUriBaseIds", {})
        for result in run.get("results", []):
            location = (result.get("locations") or [{}])[0]
            path = _sarif_path(location, bases)
            key = (result.get("ruleId"), path, *_region(location))
            first = seen.get(key)
            if first is None:
                seen[key] = (json.loads(json.dumps(result)), path)
                continue
            related = first[0].get("relatedLocations", [])
            known = [_related_key(r, bases) for r in related]
            for extra in result.get("relatedLocations", []):
                if _related_key(extra, bases) not in known:
                    related.append(json.loads(json.dumps(extra)))
                    known.append(_related_key(extra, bases))
            if _choice(result) < _choice(first[0]):  # the one a single run keeps (engine.merge)
                first = seen[key] = (json.loads(json.dumps(result)), path)
            if related:
                first[0]["relatedLocations"] = related
    bases = runs[0].get("originalUriBaseIds", {})
    ordered = sorted(seen.items(), key=lambda item: (item[1][1], *item[0][2:], item[0][0] or ""))
    results = []
    for _, (result, _path) in ordered:
        related = result.get("relatedLocations")
        if related:
            related.sort(key=lambda r: _related_key(r, bases))
            for i, r in enumerate(related):
                r["id"] = i
        results.append(result)
    merged = json.loads(json.dumps(documents[0]))
    merged["runs"][0]["results"] = results
    return merged, warnings


def _choice(result: dict) -> tuple[str, str]:
    """(function, message) of a result, as engine.merge chooses between repeats."""
    logical = (result.get("locations") or [{}])[0].get("logicalLocations") or [{}]
    return logical[0].get("name", ""), result.get("message", {}).get("text", "")


def _related_key(related: dict, bases: dict) -> tuple:
    return (_sarif_path(related, bases), *_region(related), related.get("message", {}).get("text", ""))


def _versions(pairs: list[tuple]) -> list[str]:
    distinct = sorted({pair for pair in pairs}, key=str)
    if len(distinct) > 1:
        shown = "; ".join(f"signlint {a}, libclang {b}" for a, b in distinct)
        return [f"the reports come from different versions ({shown}); merged anyway"]
    return []
