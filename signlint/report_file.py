"""Writing a report or a baseline to a named file: never half-written, never
replacing what the user did not name.

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
    _replace(target, text.encode("utf-8"), info.st_mode & 0o7777 if info else _new_file_mode())


def _replace(target: str, data: bytes, mode: int) -> None:
    fd, temp = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".signlint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
