"""Which files to parse and which files findings may be reported in."""

from __future__ import annotations

import os
from dataclasses import dataclass

SOURCE_SUFFIXES = (".c",)
HEADER_SUFFIXES = (".h",)


def source_and_local_headers(source: str):
    """kbuild mode's wanted files: the source (a real path) and the headers of its
    folder and below (a driver's own), not shared ones such as include/linux/."""
    folder = os.path.dirname(source) + os.sep
    return lambda path: path == source or (path.startswith(folder) and path.endswith(".h"))


class InputError(Exception):
    """A path the user named cannot be used."""


@dataclass(frozen=True)
class Targets:
    sources: tuple[str, ...]  # .c files to parse, real paths, in a stable order
    headers: tuple[str, ...]  # .h files asked for; parsed alone only if no source includes them
    files: frozenset[str]  # files named on the command line
    folders: tuple[str, ...]  # folders named on the command line (with a trailing separator)

    def wanted(self, path: str) -> bool:
        """May a finding be reported in this (real) path?"""
        return path in self.files or path.startswith(self.folders)


def discover(paths: list[str]) -> Targets:
    sources: list[str] = []
    headers: list[str] = []
    files: set[str] = set()
    folders: list[str] = []
    for path in paths:
        real = os.path.realpath(path)
        if os.path.isdir(real):
            folders.append(real.rstrip(os.sep) + os.sep)
            found = len(sources) + len(headers)
            for folder, subdirs, names in os.walk(real):
                subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
                for name in sorted(names):
                    full = os.path.join(folder, name)
                    if name.endswith(SOURCE_SUFFIXES):
                        sources.append(full)
                    elif name.endswith(HEADER_SUFFIXES):
                        headers.append(full)
            if len(sources) + len(headers) == found:
                raise InputError(f"no C files (*.c, *.h) found under {path}")
        elif os.path.isfile(real):
            _check_readable(path, real)
            files.add(real)
            (headers if real.endswith(HEADER_SUFFIXES) else sources).append(real)
        else:
            raise InputError(f"no such file or directory: {path}")
    return Targets(tuple(dict.fromkeys(sources)), tuple(dict.fromkeys(headers)), frozenset(files), tuple(folders))


def _check_readable(path: str, real: str) -> None:
    try:
        with open(real, "rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
