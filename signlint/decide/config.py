"""Configuration files: ``[tool.signlint]`` in pyproject.toml, or the top-level
keys of ``.signlint.toml`` / ``signlint.toml`` (which may also use a
``[tool.signlint]`` table).

Discovery walks upward from each path named on the command line (in order) and
takes the first configuration found, nearest first. In one folder
``.signlint.toml`` wins over ``signlint.toml``, which wins over pyproject.toml
(as ruff does); a pyproject.toml without ``[tool.signlint]`` does not count.

Keys (all optional)::

    select = ["SL001"]                 # rules to run ("ALL" for every rule)
    ignore = ["SL002"]                 # rules not to run
    per-file-ignores = { "legacy/**" = ["SL001"], "*_test.c" = ["ALL"] }
    exclude = ["third_party", "build/**", "gen_*.c"]
    extra-args = ["-DCONFIG_64BIT"]    # compiler arguments (before those after `--`)
    compile-commands = "build"         # relative to the configuration file's folder

Globs are relative to the configuration file's folder: ``*`` and ``?`` stay in
one path component, ``**`` crosses folders, ``[abc]`` and ``{a,b}`` work; a glob
without ``/`` matches a file or folder name at any depth; a glob that matches a
folder covers everything under it.

Command-line values override the file: ``resolve(config, cli_values)``.

API: ``discover(paths) -> Config``, ``find(paths)``, ``load(path)``,
``resolve(config, cli_values) -> Settings``; Settings has ``rules``,
``extra_args``, ``compile_commands``, ``is_excluded(path)``,
``ignored_rules(path)``, ``filter_targets(targets)`` and ``filter(findings)``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..checks import DEFAULT_RULES, RULES
from ..front.files import Targets
from ..records import Finding
from ..report.output import display_path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONFIG_FILES = (".signlint.toml", "signlint.toml", "pyproject.toml")
KEYS = ("select", "ignore", "per-file-ignores", "exclude", "extra-args", "compile-commands", "unsafe-fixes",
        "allow-incomplete")


class ConfigError(Exception):
    """A configuration file cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Config:
    """What one configuration file says (all empty when there is none)."""

    path: str | None = None  # the file read, absolute; None: no configuration
    folder: str = ""  # globs are relative to it (the file's folder)
    select: frozenset[str] | None = None  # None: not set
    ignore: frozenset[str] = frozenset()
    per_file_ignores: tuple[tuple[str, frozenset[str]], ...] = ()  # (glob, codes), as written
    exclude: tuple[str, ...] = ()
    extra_args: tuple[str, ...] = ()
    compile_commands: str | None = None  # absolute
    unsafe_fixes: bool = False  # --fix also applies fixes that change a declaration's type
    allow_incomplete: bool = False  # parse errors and unanalysed files do not fail the run


# -- finding and reading ------------------------------------------------------


def find(paths: Iterable[str] = ()) -> str | None:
    """The configuration file for these paths (the working folder when none), or None."""
    starts = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    seen: set[str] = set()
    for start in starts:
        folder = start if os.path.isdir(start) else os.path.dirname(start)
        while folder not in seen:
            seen.add(folder)
            for name in CONFIG_FILES:
                candidate = os.path.join(folder, name)
                if os.path.isfile(candidate) and (name != "pyproject.toml" or _has_section(candidate)):
                    return candidate
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
    return None


def discover(paths: Iterable[str] = ()) -> Config:
    """find() then load(); an empty Config when there is no configuration file."""
    found = find(paths)
    return load(found) if found else Config()


def load(path: str) -> Config:
    """Read and check one configuration file (raises ConfigError)."""
    path = os.path.abspath(path)
    data = _read(path)
    where = ""
    if os.path.basename(path) == "pyproject.toml":
        data = data.get("tool", {}).get("signlint", {}) if isinstance(data.get("tool"), dict) else {}
        where = " in [tool.signlint]"
        if not isinstance(data, dict):
            raise ConfigError(f"{display_path(path)}: [tool.signlint] must be a table")
    elif "tool" in data:
        data, where = _unwrap_tool_table(path, data), " in [tool.signlint]"
    for key in data:
        if key not in KEYS:
            close = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else f" (known keys: {', '.join(KEYS)})"
            raise ConfigError(f"{display_path(path)}: unknown key '{key}'{where}{hint}")
    folder = os.path.dirname(path)

    def fail(key: str, message: str) -> ConfigError:
        return ConfigError(f"{display_path(path)}: '{key}'{where} {message}")

    def strings(key: str) -> list[str] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of strings")
        return value

    def codes(key: str, value: list[str]) -> frozenset[str]:
        out: set[str] = set()
        for code in value:
            code = code.strip().upper()
            if code == "ALL":
                out.update(RULES)
            elif code in RULES:
                out.add(code)
            else:
                raise fail(key, f"names an unknown rule code '{code}' (known: {', '.join(sorted(RULES))})")
        return frozenset(out)

    select = strings("select")
    ignore = strings("ignore") or []
    per_file: list[tuple[str, frozenset[str]]] = []
    table = data.get("per-file-ignores", {})
    if not isinstance(table, dict):
        raise fail("per-file-ignores", "must be a table of glob = [rule codes]")
    for glob, value in table.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail("per-file-ignores", f"entry '{glob}' must be a list of rule codes")
        per_file.append((glob, codes("per-file-ignores", value)))
    unsafe_fixes = data.get("unsafe-fixes", False)
    if not isinstance(unsafe_fixes, bool):
        raise fail("unsafe-fixes", "must be true or false")
    allow_incomplete = data.get("allow-incomplete", False)
    if not isinstance(allow_incomplete, bool):
        raise fail("allow-incomplete", "must be true or false")
    compile_commands = data.get("compile-commands")
    if compile_commands is not None and not isinstance(compile_commands, str):
        raise fail("compile-commands", "must be a string (a path)")
    return Config(
        path=path,
        folder=folder,
        select=codes("select", select) if select is not None else None,
        ignore=codes("ignore", ignore),
        per_file_ignores=tuple(per_file),
        exclude=tuple(strings("exclude") or ()),
        extra_args=tuple(strings("extra-args") or ()),
        compile_commands=os.path.normpath(os.path.join(folder, compile_commands)) if compile_commands else None,
        unsafe_fixes=unsafe_fixes,
        allow_incomplete=allow_incomplete,
    )


def _unwrap_tool_table(path: str, data: dict) -> dict:
    """signlint.toml may hold its keys under [tool.signlint], as pyproject.toml does
    (a file moved out of pyproject.toml), but not both ways at once."""
    tool = data["tool"]
    table = tool.get("signlint") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(f"{display_path(path)}: unknown key 'tool'; write the keys at the top level, "
                          "or under [tool.signlint]")
    others = sorted(k for k in data if k != "tool")
    if others:
        raise ConfigError(f"{display_path(path)}: both top-level keys ({', '.join(others)}) and [tool.signlint]; "
                          "keep one of the two")
    return table


def _read(path: str) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display_path(path)}: invalid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{display_path(path)}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None


def _has_section(pyproject: str) -> bool:
    try:
        data = _read(pyproject)
    except ConfigError:
        return True  # a broken pyproject.toml that may hold our section: let load() say what is wrong
    tool = data.get("tool")
    return isinstance(tool, dict) and "signlint" in tool


# -- globs --------------------------------------------------------------------


@dataclass(frozen=True)
class Glob:
    """A path pattern relative to a folder (see the module's docstring)."""

    pattern: str
    folder: str
    _regex: re.Pattern = field(init=False, repr=False, compare=False)
    _anchored: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pattern = self.pattern.strip()
        while pattern.startswith("./"):
            pattern = pattern[2:]
        pattern = pattern.rstrip("/") or "**"
        anchored = "/" in pattern
        object.__setattr__(self, "_anchored", anchored)
        object.__setattr__(self, "_regex", re.compile(_translate(pattern.lstrip("/"))))

    def matches(self, path: str) -> bool:
        """Does it match path (absolute or relative to the working folder), or a folder above it?"""
        rel = os.path.relpath(os.path.abspath(path), self.folder).replace(os.sep, "/")
        if rel == ".." or rel.startswith("../"):
            return False
        parts = rel.split("/")
        if not self._anchored:
            return any(self._regex.fullmatch(part) for part in parts)
        return any(self._regex.fullmatch("/".join(parts[: i + 1])) for i in range(len(parts)))


def _translate(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[" and "]" in pattern[i + 2 :]:
            j = pattern.index("]", i + 2)
            body = pattern[i + 1 : j]
            body = "^" + body[1:] if body.startswith("!") else body
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        elif c == "{" and "}" in pattern[i:]:
            j = pattern.index("}", i)
            out.append("(?:" + "|".join(_translate(alt) for alt in pattern[i + 1 : j].split(",")) + ")")
            i = j + 1
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


# -- command line over file ---------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The configuration in force: the file's values overridden by the command line."""

    rules: frozenset[str]
    extra_args: list[str]
    compile_commands: str | None
    config: Config = field(default_factory=Config)
    exclude: tuple[Glob, ...] = ()
    per_file_ignores: tuple[tuple[Glob, frozenset[str]], ...] = ()

    def is_excluded(self, path: str) -> bool:
        """Is path (or a folder above it) matched by an `exclude` glob?"""
        return any(g.matches(path) for g in self.exclude)

    def ignored_rules(self, path: str) -> frozenset[str]:
        """The rule codes per-file-ignores turns off for this file."""
        out: set[str] = set()
        for glob, codes in self.per_file_ignores:
            if glob.matches(path):
                out.update(codes)
        return frozenset(out)

    def filter_targets(self, targets: Targets, force: bool = False) -> Targets:
        """targets without the excluded files. Files named on the command line are
        kept (as ruff does) unless force (e.g. for pre-commit, which names every file)."""

        def keep(path: str) -> bool:
            return (path in targets.files and not force) or not self.is_excluded(path)

        return replace(targets, sources=tuple(p for p in targets.sources if keep(p)),
                       headers=tuple(p for p in targets.headers if keep(p)),
                       files=frozenset(p for p in targets.files if keep(p)))

    def filter(self, findings: Iterable[Finding], named: Iterable[str] = (), force: bool = False) -> list[Finding]:
        """findings without those per-file-ignores turns off, nor those in excluded
        files (e.g. a header reached from an analysed .c file), except in the files
        named on the command line (`named`, e.g. targets.files) unless force."""
        named = frozenset() if force else frozenset(named)
        out = []
        for f in findings:
            path = f.position.path
            if path not in named and self.is_excluded(path):
                continue
            if f.rule in self.ignored_rules(path):
                continue
            out.append(f)
        return out


def resolve(config: Config, cli_values: Mapping[str, Any] | None = None) -> Settings:
    """Merge a Config with the command line's values.

    cli_values keys (each optional; None, '' or empty means "not given"):
      select, ignore: rule codes, as a set or a comma-separated string ('ALL' allowed);
      extra_args: compiler arguments after `--`;
      compile_commands: the -p value;
      exclude: more globs, relative to the working folder.

    Rules are layered as in ruff: the default rules, then the file's select and
    ignore, then the command line's select (which replaces the set so far) and
    ignore. Compiler arguments from the file come first and the command line's
    after them (the later one wins in clang). -p replaces compile-commands.
    """
    cli = dict(cli_values or {})
    rules = set(DEFAULT_RULES)
    if config.select is not None:
        rules = set(config.select)
    rules -= config.ignore
    select = _cli_codes(cli.get("select"))
    if select:
        rules = set(select)
    rules -= _cli_codes(cli.get("ignore"))
    folder = config.folder or os.getcwd()
    return Settings(
        rules=frozenset(rules),
        extra_args=[*config.extra_args, *(cli.get("extra_args") or ())],
        compile_commands=cli.get("compile_commands") or config.compile_commands,
        config=config,
        exclude=tuple(Glob(p, folder) for p in config.exclude)
        + tuple(Glob(p, os.getcwd()) for p in cli.get("exclude") or ()),
        per_file_ignores=tuple((Glob(p, folder), codes) for p, codes in config.per_file_ignores),
    )


def _cli_codes(value: str | Iterable[str] | None) -> set[str]:
    if not value:
        return set()
    items = value.split(",") if isinstance(value, str) else value
    codes = {c.strip().upper() for c in items if c.strip()}
    return set(RULES) if "ALL" in codes else codes
