"""kbuild mode's optional long-lived analyser (`--server`).

make runs `signlint kbuild` once per file, and without a server each process
pays for Python, the analysis's imports and loading libclang before it parses.
With --server, a process whose file is not in the cache hands it to a server
over a Unix socket instead, and prints the outcome exactly as if it had analysed
the file itself (same output, same exit status). The server:

- is started on demand by the first process that finds none, detached from make;
- is shared by every process with the same working folder (the tree kbuild runs
  in), signlint code, libclang and Python: the socket's name is a digest of
  those, in a folder only the user can enter ($XDG_RUNTIME_DIR, else the
  temporary folder);
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

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import sys
import time

from ..records import UnitOutcome

IDLE_SECONDS = 60.0
START_SECONDS = 20.0  # how long a client waits for the server it started to listen
_SOCKET_PATH_BYTES = 104  # sun_path holds 108 bytes on Linux, 104 on the BSDs


class Unreachable(Exception):
    """No server could be reached or started; the caller analyses in its own process."""


def socket_path(cwd: str) -> str:
    from .cache import code_digest, libclang_identity

    key = "\0".join([os.path.realpath(cwd), code_digest(), libclang_identity(), sys.executable])
    name = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    leaf = os.path.join(f"signlint-{os.getuid()}", f"kbuild-{name}.sock")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and len(os.path.join(runtime, leaf).encode()) < _SOCKET_PATH_BYTES:
        return os.path.join(runtime, leaf)
    import tempfile

    return os.path.join(tempfile.gettempdir(), leaf)


# -- the client ------------------------------------------------------------------


def analyse(source: str, args: list[str], rules: frozenset[str]) -> UnitOutcome:
    """The outcome of source as the server analysed it. Raises Unreachable when
    no server can be reached or started."""
    path = socket_path(os.getcwd())
    request = json.dumps({"source": source, "args": args, "rules": sorted(rules)}).encode() + b"\n"
    for _attempt in range(2):
        connection = _connect(path)
        try:
            connection.sendall(request)
            reply = _read_line(connection)
        except OSError:
            reply = b""
        finally:
            connection.close()
        if reply:
            from .cache import outcome_from

            return outcome_from(json.loads(reply))
        # No answer: the server died with this file, or was closing when we came
        # (an idle exit). One new server, one more try.
    from ..report.output import display_path

    return UnitOutcome(source, failure=f"{display_path(source)}: not analysed: the kbuild server died while "
                                       f"analysing it (libclang crashed?)")


def _connect(path: str) -> socket.socket:
    with contextlib.suppress(OSError):
        return _dial(path)
    server = _start(path)
    deadline = time.monotonic() + START_SECONDS
    while True:
        ended = server.poll()  # before dialling: a server that lost the race to another exits at once
        try:
            return _dial(path)
        except OSError as exc:
            if ended is not None:
                raise Unreachable(f"the kbuild server exited as it started (exit status {ended})") from None
            if time.monotonic() > deadline:
                raise Unreachable(f"the kbuild server did not start ({exc})") from None
            time.sleep(0.02)


def _dial(path: str) -> socket.socket:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
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
        return subprocess.Popen([sys.executable, "-m", __name__, path], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    except OSError as exc:
        raise Unreachable(f"the kbuild server cannot be started ({exc})") from None


def _read_line(connection: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = connection.recv(1 << 16)
        if not chunk:
            return b""  # closed before the line ended: no answer
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            return b"".join(chunks)


# -- the server ------------------------------------------------------------------


def serve(path: str, idle: float) -> None:
    listening = _listen(path)
    if listening is None:
        return  # another server took the socket first
    listener, inode = listening
    import threading

    from ..front.files import source_and_local_headers
    from .cache import outcome_to
    from .engine import GivenArguments, Options

    busy = [0]  # requests accepted and not yet answered
    lock = threading.Lock()
    # As many parses at a time as there are processors (make -j64 on a small machine
    # would otherwise hold 64 parses and their 512 MB stacks in one process).
    parsing = threading.BoundedSemaphore(max(1, len(os.sched_getaffinity(0))))

    def answer(connection: socket.socket) -> None:
        try:
            request = json.loads(_read_line(connection) or b"null")
            source = request["source"]
            engine = GivenArguments(Options(frozenset(request["rules"])))
            engine.given[source] = request["args"]
            with parsing:
                outcome = engine.analyze_unit(source, source_and_local_headers(source))
            connection.sendall(json.dumps(outcome_to(outcome)).encode() + b"\n")
        except (OSError, ValueError, TypeError, KeyError):
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
            with lock:
                busy[0] += 1
            threading.Thread(target=answer, args=(connection,), daemon=True).start()
    finally:
        with _locked(path):
            with contextlib.suppress(OSError):
                if os.stat(path).st_ino == inode:  # still ours (not a newer server's)
                    os.unlink(path)
            listener.close()


def _listen(path: str) -> tuple[socket.socket, int] | None:
    """A socket listening at path and the inode of its file, or None when a live
    server already listens there."""
    with _locked(path):
        with contextlib.suppress(OSError):
            _dial(path).close()
            return None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # left by a server that was killed
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(64)
        return listener, os.stat(path).st_ino


@contextlib.contextmanager
def _locked(path: str):
    """Starting and stopping servers at path take turns (two clients may start one each)."""
    with open(path + ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main() -> None:
    idle = float(os.environ.get("SIGNLINT_KBUILD_SERVER_IDLE") or IDLE_SECONDS)
    serve(sys.argv[1], idle)


if __name__ == "__main__":
    main()
