"""The client of kbuild mode's long-lived analyser (`signlint kbuild --server`).

The kbuild process parses its command line (kbuild.parse) and hands the rest to
the server (kbuild_server) over a Unix socket: the cache lookup, the analysis,
the cache store and the suppressions happen there, as kbuild.run does them in a
process, and the client writes the server's stderr text and exits with its
status. So that each file of a make run pays little, this module imports
almost nothing (see below).

A request is NUL-separated fields: the server's key (server_key: the working
folder is in it), the rules, the client's cache environment, then kbuild.Invocation's
fields (its flags last). An answer is the exit status and the stderr text; or
STALE (the server's code or libclang changed: it has gone, start a new one) or
MISMATCH (another tree's server at this name); nothing at all when the server
died. Each side ends its message by shutting down its writing half.
"""

from __future__ import annotations

# The client's imports are paid once per file of a make run, so it takes none it
# can do without: _socket instead of socket (whose enum conversions cost more than
# the rest of the client), no json (requests and answers are NUL-separated fields:
# no argument of a command line holds a NUL), no hashlib (zlib.crc32 names the
# socket; the request carries the whole key, which the server compares).
import _socket
import os
import sys
import time

START_SECONDS = 20.0  # how long a client waits for the server it started to listen
_SOCKET_PATH_BYTES = 104  # sun_path holds 108 bytes on Linux, 104 on the BSDs
_LIBCLANG_ENVIRONMENT = ("LIBCLANG_LIBRARY_FILE", "LIBCLANG_LIBRARY_PATH", "LIBCLANG_RESOURCE_DIR_PATH")
# The client's environment that the analysis reads (the default cache folder).
ENVIRONMENT = ("XDG_CACHE_HOME", "HOME")
STALE = "stale"  # the server's answer when its code or libclang changed since it started
MISMATCH = "mismatch"  # ... and when the request's key is not its own (a crc32 collision)


class Unreachable(Exception):
    """No server could be reached or started; the caller analyses in its own process."""


class Died(Exception):
    """The server closed twice without an answer: the file is not analysed."""


def server_key(cwd: str) -> str:
    """What a server is shared by: the tree, the Python, this signlint (its folder and
    version) and the environment that picks libclang. A change to signlint's code or
    to the libclang file is caught by the server itself (it answers STALE)."""
    from .. import __version__

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return repr((os.path.realpath(cwd), sys.executable, package, __version__,
                 *(os.environ.get(name, "") for name in _LIBCLANG_ENVIRONMENT)))  # no NUL: a request's field


def socket_path(cwd: str, key: str | None = None) -> str:
    """The server's socket for the tree at cwd (key: server_key(cwd), when known)."""
    import zlib

    key = server_key(cwd) if key is None else key
    name = f"{zlib.crc32(key.encode(errors='surrogateescape')):08x}{len(key):04x}"
    leaf = os.path.join(f"signlint-{os.getuid()}", f"kbuild-{name}.sock")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and len(os.path.join(runtime, leaf).encode()) < _SOCKET_PATH_BYTES:
        return os.path.join(runtime, leaf)
    return os.path.join(_temporary_folder(), leaf)


def _temporary_folder() -> str:
    """tempfile.gettempdir()'s choice for a usual system, without importing tempfile
    (shutil, random: as much as the rest of the client)."""
    for name in ("TMPDIR", "TEMP", "TMP"):
        folder = os.environ.get(name)
        if folder and os.path.isdir(folder):
            return os.path.abspath(folder)
    return "/tmp"


def ask(invocation, rules: frozenset[str]) -> tuple[str, int]:
    """What `signlint kbuild` prints on stderr for invocation, and its exit status,
    as the server produced them. Raises Unreachable when no server can be reached
    or started, Died when the server went away twice without answering."""
    key = server_key(os.getcwd())
    path = socket_path(os.getcwd(), key)
    request = encode([key, ",".join(sorted(rules)),
                      *(os.environ.get(name, "") for name in ENVIRONMENT), *invocation.to_fields()])
    for _attempt in range(2):
        connection = _connect(path)
        try:
            connection.sendall(request)
            connection.shutdown(_socket.SHUT_WR)
            fields = decode(read_all(connection), 2)
        except OSError:
            fields = []
        finally:
            connection.close()
        if len(fields) == 2 and fields[0].isdigit():
            return fields[1], int(fields[0])
        if fields == [MISMATCH]:
            raise Unreachable("the kbuild server at this socket serves another tree")
        # No answer: the server died with this file, was closing when we came (an
        # idle exit), or found its code stale (then it has removed its socket).
        # One new server, one more try.
    raise Died("the kbuild server died while analysing it (libclang crashed?)")


def encode(fields: list[str]) -> bytes:
    return "\0".join(fields).encode(errors="surrogateescape")


def decode(data: bytes, fields: int = 0) -> list[str]:
    """The fields of data; with fields=N, the last of N keeps any NUL it holds (an
    answer's text quotes source lines)."""
    return data.decode(errors="surrogateescape").split("\0", fields - 1) if data else []


def _connect(path: str):
    try:
        return dial(path)
    except OSError:
        pass
    server = _start(path)
    deadline = time.monotonic() + START_SECONDS
    while True:
        ended = server.poll()  # before dialling: a server that lost the race to another exits at once
        try:
            return dial(path)
        except OSError as exc:
            if ended is not None:
                raise Unreachable(f"the kbuild server exited as it started (exit status {ended})") from None
            if time.monotonic() > deadline:
                raise Unreachable(f"the kbuild server did not start ({exc})") from None
            time.sleep(0.02)


def dial(path: str):
    connection = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:
        connection.close()
        raise
    return connection


def _start(path: str):
    import subprocess

    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        mode = os.stat(folder)
        if mode.st_uid != os.getuid() or mode.st_mode & 0o077:
            raise Unreachable(f"{folder} is open to other users; the kbuild server needs it private")
        return subprocess.Popen([sys.executable, "-m", "signlint.run.kbuild_server", path], cwd=os.getcwd(),
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    except OSError as exc:
        raise Unreachable(f"the kbuild server cannot be started ({exc})") from None


def read_all(connection) -> bytes:
    """Everything the other side sends before it shuts its side down; b"" when it
    closes without a word. The sender ends with shutdown(SHUT_WR), so a message
    needs no end mark."""
    chunks = []
    while True:
        chunk = connection.recv(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


