"""The result cache: a TU whose inputs are unchanged is not parsed again.

An entry is keyed by what the parse is given: signlint's code and version, the
libclang library (libclang_identity), the rules, the file's real path, its clang arguments (which
carry the working directory) and, without -working-directory, the process's
working directory. It holds the TU's result (findings as plain records, parse
errors, unknown arguments, includes, the header functions it walked or skipped)
and every file the parse read, each with a content digest and whether findings
could be reported in it then. A lookup hits only if every one of those files
still has that digest and is still (or still not) reportable, so editing an
included header, or naming other folders, misses.

Not cached: TUs libclang could not parse at all, internal errors, and TUs with
a missing #include (the file could appear later and change the result).

The folder is `$XDG_CACHE_HOME/signlint` or `~/.cache/signlint` (or --cache-dir):
one JSON file per entry under v1/, written atomically, so parallel runs and
`make -j` share it safely. Nothing is evicted; `signlint cache clear` empties it.

API: ``default_folder()``, ``Cache(folder, rules)`` with ``lookup(path, args,
wanted)``, ``store(path, args, outcome, wanted)`` and ``warning``; ``digests(paths)``;
``clear(folder)``, ``info(folder)``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os

from .. import __version__
from ..records import Edit, Finding, Fix, Note, Position, UnitOutcome, UnitResult

LAYOUT = "v1"  # bump when the entry format changes
TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# signlint's result cache (see https://bford.info/cachedir/)\n"


def default_folder(environ=None) -> str:
    """$XDG_CACHE_HOME/signlint, else ~/.cache/signlint; environ: the environment to
    read (the kbuild server's client's, not the server's own)."""
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        home = environ.get("HOME") or os.path.expanduser("~")
        base = os.path.join(home, ".cache")
    return os.path.join(base, "signlint")


def digest_file(path: str) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.blake2b(fh.read(), digest_size=16).hexdigest()
    except OSError:
        return None


def digests(paths) -> dict[str, str]:
    """Content digests of files (a file that cannot be read is left out, so it never matches)."""
    out = {}
    for path in paths:
        found = digest_file(path)
        if found is not None:
            out[path] = found
    return out


@functools.cache
def code_digest() -> str:
    """signlint's own code: an edited checkout must not reuse results of the old code.
    Read once per process; the kbuild server reads it afresh per request (code_digest.__wrapped__)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # signlint/, not signlint/run/
    h = hashlib.blake2b(__version__.encode(), digest_size=16)
    for folder, subdirs, names in os.walk(package):
        subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
        for name in sorted(names):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, package).encode() + b"\0")
                h.update((digest_file(path) or "").encode())
    return h.hexdigest()


# What the clang bindings read from the environment to choose the library and its headers.
_LIBCLANG_ENVIRONMENT = ("LIBCLANG_LIBRARY_FILE", "LIBCLANG_LIBRARY_PATH", "LIBCLANG_RESOURCE_DIR_PATH")
_LIBRARY_NAMES = ("libclang.so", "libclang.dylib", "libclang.dll")


def libclang_identity() -> str:
    """The libclang a parse would use, named without loading it: loading it to ask
    its version would cost a cached kbuild call more than the lookup. It is the
    bindings' settings from the environment, and the path, size and time of the
    library file they pick (LIBCLANG_LIBRARY_FILE, else libclang.so in
    LIBCLANG_LIBRARY_PATH or the clang package's native/). With no such file, the
    loader finds a system libclang: then its version, asked of the library."""
    import importlib.util

    settings = [os.environ.get(name, "") for name in _LIBCLANG_ENVIRONMENT]
    library_file = os.environ.get("LIBCLANG_LIBRARY_FILE")
    spec = importlib.util.find_spec("clang")
    native = os.path.join(os.path.dirname(spec.origin), "native") if spec and spec.origin else ""
    folder = os.environ.get("LIBCLANG_LIBRARY_PATH", native)
    candidates = [library_file] if library_file else [os.path.join(folder, name) for name in _LIBRARY_NAMES]
    for path in candidates:
        with contextlib.suppress(OSError):
            st = os.stat(path)
            return "\0".join([*settings, os.path.realpath(path), str(st.st_size), str(st.st_mtime_ns)])
    from ..front.libclang import libclang_version

    return "\0".join([*settings, libclang_version()])


class Cache:
    def __init__(self, folder: str, rules, libclang: str | None = None):
        if libclang is None:
            libclang = libclang_identity()
        self.folder = folder
        self.warning: str | None = None  # set when the folder cannot be written (the run goes on uncached)
        self._salt = "\0".join([LAYOUT, code_digest(), libclang, ",".join(sorted(rules))])
        self._digests: dict[str, str | None] = {}  # per run: each file is read once

    # -- keys ---------------------------------------------------------------

    def _key(self, path: str, args: list[str]) -> str:
        parts = [self._salt, path, *args]
        if "-working-directory" not in args:
            parts.append(os.getcwd())  # relative include paths resolve there
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def _entry_path(self, key: str) -> str:
        return os.path.join(self.folder, LAYOUT, key[:2], key[2:] + ".json")

    def _digest(self, path: str) -> str | None:
        if path not in self._digests:
            self._digests[path] = digest_file(path)
        return self._digests[path]

    # -- lookup and store -----------------------------------------------------

    def lookup(self, path: str, args: list[str], wanted) -> UnitOutcome | None:
        try:
            with open(self._entry_path(self._key(path, args)), encoding="utf-8") as fh:
                entry = json.load(fh)
            for dep, digest, reportable in entry["deps"]:
                if self._digest(dep) != digest or bool(wanted(dep)) != reportable:
                    return None
            return UnitOutcome(path, _result_from(entry["result"]), cached=True)
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no entry, or one this code cannot read: a miss

    def store(self, path: str, args: list[str], outcome: UnitOutcome, wanted) -> None:
        result = outcome.result
        if self.warning or result is None or outcome.deps is None or outcome.cached:
            return
        if any("file not found" in error for error in result.errors):
            return
        files = {path, *result.includes}
        if not files.issubset(outcome.deps):
            return  # a file read by the parse could not be read again
        deps = [[f, outcome.deps[f], bool(wanted(f))] for f in sorted(files)]
        for f, digest, _ in deps:
            self._digests.setdefault(f, digest)
        entry = {"path": path, "deps": deps, "result": _result_to(result)}
        target = self._entry_path(self._key(path, args))
        import tempfile  # only when writing (kbuild's start-up is paid per file)

        try:
            _ensure_folder(self.folder)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, separators=(",", ":"))
            os.replace(temp, target)
        except OSError as exc:
            self.warning = f"cannot write to the cache folder {self.folder}: {exc.strerror or exc}; results not cached"


def _ensure_folder(folder: str) -> None:
    tag = os.path.join(folder, "CACHEDIR.TAG")
    if not os.path.exists(tag):
        os.makedirs(folder, exist_ok=True)
        with open(tag, "w", encoding="utf-8") as fh:
            fh.write(TAG)


def clear(folder: str) -> int:
    """Remove every entry; returns how many there were."""
    import shutil

    removed = 0
    if not os.path.isdir(folder):
        return 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if name.startswith("v") and name[1:].isdigit() and os.path.isdir(path):
            removed += sum(len([n for n in names if n.endswith(".json")]) for _, _, names in os.walk(path))
            shutil.rmtree(path)
    return removed


def info(folder: str) -> tuple[int, int]:
    """(entries, bytes) in the cache folder."""
    count = size = 0
    layout = os.path.join(folder, LAYOUT)
    for root, _, names in os.walk(layout):
        for name in names:
            if name.endswith(".json"):
                count += 1
                with contextlib.suppress(OSError):
                    size += os.path.getsize(os.path.join(root, name))
    return count, size


# -- findings as plain JSON ------------------------------------------------------


def _pos(p: Position | None):
    return None if p is None else [p.path, p.line, p.column, p.offset]


def _unpos(v) -> Position | None:
    return None if v is None else Position(v[0], v[1], v[2], v[3])


def finding_to(f: Finding) -> dict:
    fix = None
    if f.fix is not None:
        fix = {"description": f.fix.description, "preview": f.fix.preview, "applicable": f.fix.applicable,
               "safe": f.fix.safe,
               "edits": [[e.path, e.start, e.end, e.text] for e in f.fix.edits]}
    return {"rule": f.rule, "position": _pos(f.position), "end": _pos(f.end), "message": f.message,
            "function": f.function, "fix": fix, "notes": [[_pos(n.position), n.message] for n in f.notes],
            "unit": f.unit, "snippet": f.snippet}


def finding_from(d: dict) -> Finding:
    fix = None
    if d["fix"] is not None:
        fx = d["fix"]
        fix = Fix(fx["description"], tuple(Edit(*e) for e in fx["edits"]), fx["preview"], fx["applicable"],
                  fx.get("safe", True))
    return Finding(d["rule"], _unpos(d["position"]), _unpos(d["end"]), d["message"], d["function"], fix,
                   tuple(Note(_unpos(p), m) for p, m in d["notes"]), d["unit"], d["snippet"])


def _result_to(r: UnitResult) -> dict:
    return {"findings": [finding_to(f) for f in r.findings], "errors": r.errors, "includes": sorted(r.includes),
            "unknown_arguments": r.unknown_arguments, "functions_analysed": [list(k) for k in r.functions_analysed],
            "functions_skipped": [list(k) for k in r.functions_skipped], "too_deep": r.too_deep}


def _result_from(d: dict) -> UnitResult:
    return UnitResult([finding_from(f) for f in d["findings"]], list(d["errors"]), set(d["includes"]),
                      list(d["unknown_arguments"]), [tuple(k) for k in d["functions_analysed"]],
                      [tuple(k) for k in d["functions_skipped"]], too_deep=list(d["too_deep"]))
