"""The limits a parse and the walks after it run within: a stack deep enough for
clang's parser and signlint's recursion, and a cap on the address space.

In: work to run (on_deep_stack), the environment (SIGNLINT_MAX_MEMORY_MB). Out:
the work's result, or its exception; limit_memory() sets the cap once per
process, memory_hint() says when a failed parse came near it. Importing this
module sets LIBCLANG_NOTHREADS (see below), before any parse.
"""

from __future__ import annotations

import os
import sys
import threading

# clang's parser recurses once per nesting level. libclang parses on a thread of its
# own with an 8 MB stack, where 5,000 nested parentheses or a 5 MB `1+1+...` line
# overflow it and kill the process (SIGSEGV) before clang can say "bracket nesting
# level exceeded". LIBCLANG_NOTHREADS makes it parse on the calling thread instead,
# which on_deep_stack gives a stack large enough for clang's own limits to apply.
# (Read by libclang at each parse; the memory is reserved, not used, until needed.)
os.environ.setdefault("LIBCLANG_NOTHREADS", "1")
PARSE_STACK_BYTES = 512 * 2**20


# A parse that never ends its input (`#include "/dev/zero"`) grows until the kernel's
# OOM killer stops it, or another process. An address-space limit makes clang fail
# instead ("could not parse": the TU is not analysed, and the run says so). Far
# above what a TU needs (a kernel TU: about 150 MB resident); SIGNLINT_MAX_MEMORY_MB
# changes it, 0 removes it; a lower limit already set is kept.
DEFAULT_MAX_MEMORY_MB = 8192
_memory_limited = False


def limit_memory() -> None:
    global _memory_limited
    if _memory_limited:
        return
    _memory_limited = True
    try:
        import resource

        megabytes = int(os.environ.get("SIGNLINT_MAX_MEMORY_MB", DEFAULT_MAX_MEMORY_MB))
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = megabytes * 2**20
        if megabytes > 0 and (soft == resource.RLIM_INFINITY or soft > wanted):
            if hard != resource.RLIM_INFINITY:
                wanted = min(wanted, hard)
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ImportError, ValueError, OSError):
        pass  # not on this system, or a bad value: parse without a limit


def memory_hint() -> str:
    """Why a parse may have failed: the address space came near the memory limit
    (VmPeak is what RLIMIT_AS bounds; a buffer that doubles is refused before it is
    reached); empty when it did not, or is not known."""
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        with open("/proc/self/status") as status:
            peak = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmPeak:"))
    except (ImportError, OSError, StopIteration, ValueError):
        return ""
    if limit == resource.RLIM_INFINITY or peak < limit // 2:
        return ""
    return (f"; the process came near the memory limit of {limit // 2**20} MB: SIGNLINT_MAX_MEMORY_MB "
            f"raises it, 0 removes it")


# signlint's own walks recurse too: the statements of a function (an `else if`
# chain is one level per branch) and a few questions about an expression. On the
# same thread, a limit far above Python's default of 1,000 fits in the stack; past
# it, the part is reported as not analysed (RecursionError), the rest of the file is.
DEEP_RECURSION_LIMIT = 50_000


def on_deep_stack(work):
    """work() on a thread with a PARSE_STACK_BYTES stack and DEEP_RECURSION_LIMIT;
    its result, or its exception raised here. Called on that thread, work() runs
    directly."""
    if threading.current_thread().name == _DEEP_THREAD:
        return work()
    outcome: list = []

    def run() -> None:
        previous_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(previous_limit, DEEP_RECURSION_LIMIT))
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed back to the caller's thread
            outcome.append((False, exc))
        finally:
            sys.setrecursionlimit(previous_limit)

    with _STACK_SIZE_LOCK:
        previous = threading.stack_size(PARSE_STACK_BYTES)
        try:
            # A daemon: Ctrl-C in the waiting thread ends the process without waiting for it.
            thread = threading.Thread(target=run, name=_DEEP_THREAD, daemon=True)
            thread.start()
        finally:
            threading.stack_size(previous)
    thread.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


_DEEP_THREAD = "signlint-deep-stack"
_STACK_SIZE_LOCK = threading.Lock()
