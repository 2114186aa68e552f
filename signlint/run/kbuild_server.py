"""kbuild mode's optional long-lived analyser (`--server`).

make runs `signlint kbuild` once per file, and without a server each process
pays for Python, signlint's imports and loading libclang before it parses. With
--server, the process parses its command line and hands the rest to a server
over a Unix socket: the cache lookup, the analysis, the cache store and the
suppressions happen there (kbuild.run, as in the process), and the client writes
the server's stderr text and exits with its status, so output and exit status
are those of an analysis in the process. The server:

- is started on demand by the first process that finds none, detached from make;
- is shared by every process with the same working folder (the tree kbuild runs
  in), Python, signlint folder and version and libclang settings (server_key);
  the socket is in a folder only the user can enter ($XDG_RUNTIME_DIR, else the
  temporary folder). A server whose signlint code or libclang file changed since
  it started answers STALE and exits; the client then starts a new one;
- analyses each request on its own thread (libclang parses outside the GIL, so
  make -jN keeps N parses going), one TU per request, nothing shared between them;
- exits by itself after SIGNLINT_KBUILD_SERVER_IDLE seconds without a request
  (default 60), removing its socket.

A client that cannot reach or start a server analyses in its own process and
says so; a server that dies during a request (a libclang crash) costs only the
files it held: each gets the warning and summary line of a file not analysed,
and the next process starts a new server.
"""

from __future__ import annotations

import os
import sys

from .kbuild_client import MISMATCH, STALE, decode, dial, encode, read_all, server_key

IDLE_SECONDS = 60.0


def serve(path: str, idle: float) -> None:
    listening = _listen(path)
    if listening is None:
        return  # another server took the socket first
    listener, inode = listening
    import threading

    from . import kbuild
    from .cache import default_folder

    key = server_key(os.getcwd())
    started_with = _identity()
    busy = [0]  # requests accepted and not yet answered
    lock = threading.Lock()
    # As many analyses at a time as there are processors (make -j64 on a small machine
    # would otherwise hold 64 parses and their 512 MB stacks in one process).
    analysing = threading.BoundedSemaphore(max(1, len(os.sched_getaffinity(0))))

    def answer(connection) -> None:
        try:
            fields = decode(read_all(connection))
            if fields[:1] != [key]:
                connection.sendall(encode([MISMATCH]))
                return
            _, rules, cache_home, home, *rest = fields
            invocation = kbuild.Invocation.from_fields(rest)
            if not invocation.no_cache and not invocation.cache_dir:
                invocation.cache_dir = default_folder({"XDG_CACHE_HOME": cache_home, "HOME": home})
            written: list[str] = []
            with analysing:
                status = kbuild.run(invocation, frozenset(filter(None, rules.split(","))), written.append)
            connection.sendall(encode([str(status), "".join(written)]))
        except (OSError, ValueError):
            pass  # a client that went away, or not a client: it gets no answer
        finally:
            connection.close()
            with lock:
                busy[0] -= 1

    listener.settimeout(idle)
    try:
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                with lock:
                    if busy[0] == 0:
                        break
                continue
            connection.settimeout(None)
            if _identity() != started_with:
                # signlint was edited or libclang replaced since this server started: its
                # answers would be the old code's. The socket goes first, so that the
                # client's retry starts a new server instead of finding this one.
                _remove(path, inode)
                connection.sendall(encode([STALE]))
                connection.close()
                break
            with lock:
                busy[0] += 1
            threading.Thread(target=answer, args=(connection,), daemon=True).start()
    finally:
        _remove(path, inode)
        listener.close()


def _remove(path: str, inode: int) -> None:
    """The server's socket file, if it is still its own (not a newer server's)."""
    with _locked(path):
        try:
            if os.stat(path).st_ino == inode:
                os.unlink(path)
        except OSError:
            pass


def _identity() -> tuple[str, str]:
    """signlint's code and the libclang file, read afresh (they may change while a
    server lives)."""
    from .cache import code_digest, libclang_identity

    return code_digest.__wrapped__(), libclang_identity()


def _listen(path: str):
    """A socket listening at path and the inode of its file, or None when a live
    server already listens there."""
    import socket

    with _locked(path):
        try:
            dial(path).close()
            return None
        except OSError:
            pass
        if os.path.lexists(path):
            os.unlink(path)  # left by a server that was killed
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(64)
        return listener, os.stat(path).st_ino


class _locked:
    """Starting and stopping servers at path take turns (two clients may start one each)."""

    def __init__(self, path: str) -> None:
        self.path = path + ".lock"

    def __enter__(self) -> None:
        import fcntl

        self.handle = open(self.path, "a")  # closed in __exit__
        fcntl.flock(self.handle, fcntl.LOCK_EX)

    def __exit__(self, *_exc) -> None:
        import fcntl

        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def main() -> None:
    idle = float(os.environ.get("SIGNLINT_KBUILD_SERVER_IDLE") or IDLE_SECONDS)
    serve(sys.argv[1], idle)


if __name__ == "__main__":
    main()
