"""Writing files whole: a report or a baseline to the file the user named, and
--fix's rewritten sources (replace_file); never half-written, never replacing
what the user did not name.

- `-` is standard output.
- A symlink is written through: its target is replaced and the link stays.
- A device, FIFO or socket (`/dev/stdout`, `/dev/fd/N`) is written to in place;
  replacing it would be wrong and, for /dev, not allowed.
- A regular file is replaced atomically (a temporary file beside it, then a
  rename), keeping the old file's permissions; a new file takes the umask's
  (0666 & ~umask), as a shell redirection would, not mkstemp's 0600.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import sys
import tempfile

STDOUT = "-"


def write_text(path: str, text: str) -> None:
    """Write text (UTF-8) to path as described above; raises OSError."""
    if path == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        info = os.stat(path)  # through any symlinks
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if info is not None and not stat.S_ISREG(info.st_mode):
        # Opened by its own name: /dev/fd/N resolves to "pipe:[...]", no path at all.
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        return
    target = os.path.realpath(path)  # the file a symlink names, replaced in its own folder
    replace_file(target, text.encode("utf-8"), info.st_mode & 0o7777 if info else _new_file_mode())


def replace_file(target: str, data: bytes, mode: int) -> None:
    """Replace target with data, whole or not at all, even if the process is killed.

    The data is written to an unnamed file in target's folder (O_TMPFILE), named
    only once complete and renamed over target at once: a SIGKILL leaves either
    the old file or the new one, and no temporary file (but for the instant
    between the two calls). Where the system cannot (no O_TMPFILE, or no linking
    it through /proc, as on overlayfs), a named temporary file, removed on any
    error; one a SIGKILL left behind bears the dead process's id, and the next
    write in that folder removes it."""
    folder = os.path.dirname(target) or "."
    _remove_stale(folder)
    temp = _write_unnamed(folder, data, mode)
    if temp is None:
        fd, temp = tempfile.mkstemp(dir=folder, prefix=f".signlint-{os.getpid()}-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                _fill(fh, data, mode)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    try:
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


_STALE = re.compile(r"\.signlint-(\d+)-\w+\.tmp\Z")


def _remove_stale(folder: str) -> None:
    """Remove the temporary files that a killed signlint left in folder (named
    with its process id, which no longer runs)."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith(".signlint-")]
    except OSError:
        return
    for name in names:
        match = _STALE.match(name)
        if match and not _running(int(match.group(1))):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process
        return True
    return True


def _fill(fh, data: bytes, mode: int) -> None:
    fh.write(data)
    fh.flush()
    os.fsync(fh.fileno())
    os.fchmod(fh.fileno(), mode)


def _write_unnamed(folder: str, data: bytes, mode: int) -> str | None:
    """The name given to a complete unnamed file in folder, or None if it cannot be made."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        fd = os.open(folder, flag | os.O_WRONLY, 0o600)
    except OSError:  # a file system without it
        return None
    with os.fdopen(fd, "wb") as fh:
        _fill(fh, data, mode)
        for _ in range(100):
            name = os.path.join(folder, f".signlint-{os.getpid()}-{os.urandom(6).hex()}.tmp")
            try:  # linkat(AT_SYMLINK_FOLLOW) through /proc names the file (open(2))
                os.link(f"/proc/self/fd/{fh.fileno()}", name, follow_symlinks=True)
                return name
            except FileExistsError:
                continue
            except OSError:  # not allowed here (some sandboxes): the named way
                return None
    return None


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
