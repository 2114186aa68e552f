"""The front end: every libclang call of signlint lives in this module.

It parses a translation unit, turns the expressions of the wanted function bodies
and initialisers into ir.Expr trees, and answers location and spelling questions
about those expressions. Nothing outside this module imports clang.
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from ..records import Position
from .ir import NOT_INTEGER, CType, Expr, Kind, Root, Span, Stmt, StmtKind, implicit_gone


class FrontendError(Exception):
    """libclang is missing or could not parse the file at all."""


try:
    import clang.cindex as ci
except ImportError as exc:  # pragma: no cover - depends on the installation
    ci = None
    _import_error = exc


def _lib():
    if ci is None:
        raise FrontendError(f"libclang bindings are not installed ({_import_error}); pip install libclang-ng")
    lib = ci.conf.lib
    if not getattr(lib, "_signlint_ready", False):
        _declare(lib)
    return lib


def _declare(lib) -> None:
    """Declare the C functions the Python bindings do not wrap."""
    loc_out = [ci.SourceLocation, ctypes.POINTER(ctypes.c_void_p)] + [ctypes.POINTER(ctypes.c_uint)] * 3
    for name in ("clang_getSpellingLocation", "clang_getFileLocation"):
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = loc_out, None
    lib.clang_getFileName.argtypes, lib.clang_getFileName.restype = [ctypes.c_void_p], ci._CXString
    lib.clang_Cursor_Evaluate.argtypes, lib.clang_Cursor_Evaluate.restype = [ci.Cursor], ctypes.c_void_p
    lib.clang_EvalResult_getKind.argtypes, lib.clang_EvalResult_getKind.restype = [ctypes.c_void_p], ctypes.c_int
    lib.clang_EvalResult_isUnsignedInt.argtypes = [ctypes.c_void_p]
    lib.clang_EvalResult_isUnsignedInt.restype = ctypes.c_uint
    lib.clang_EvalResult_getAsLongLong.argtypes = [ctypes.c_void_p]
    lib.clang_EvalResult_getAsLongLong.restype = ctypes.c_longlong
    lib.clang_EvalResult_getAsUnsigned.argtypes = [ctypes.c_void_p]
    lib.clang_EvalResult_getAsUnsigned.restype = ctypes.c_ulonglong
    lib.clang_EvalResult_dispose.argtypes, lib.clang_EvalResult_dispose.restype = [ctypes.c_void_p], None
    lib.clang_getCursorUnaryOperatorKind.argtypes = [ci.Cursor]
    lib.clang_getCursorUnaryOperatorKind.restype = ctypes.c_int
    lib._signlint_ready = True


class _CXType(ctypes.Structure):
    """CXType, laid out as in clang-c/Index.h; data0 is the type's QualType (a
    pointer, unique per type and qualifiers within one translation unit)."""

    _fields_ = [("kind", ctypes.c_int), ("data0", ctypes.c_void_p), ("data1", ctypes.c_void_p)]


class _String(ctypes.Structure):
    """CXString (clang-c/CXString.h)."""

    _fields_ = [("data", ctypes.c_void_p), ("private_flags", ctypes.c_uint)]


class _Raw:
    """Prototypes for the walk's hot path, without the bindings' per-call checks
    (which cost more than the calls: a null test, by a library call, per property).

    The hot ones have no argtypes either: ctypes then passes each argument as the
    ctypes object it is (a structure by value, byref(), None, a callback, a
    ctypes.py_object), which is about a third faster than converting it through
    argtypes. Every argument given to them must be such an object: a Python int
    would go as a C int."""

    def __init__(self, lib) -> None:
        raw = ctypes.CDLL(lib._name)
        visit = ctypes.CFUNCTYPE(ctypes.c_int, ci.Cursor, ci.Cursor, ctypes.py_object)
        includes = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.py_object)
        for name, args, result in (
            ("clang_getInclusions", [ctypes.c_void_p, includes, ctypes.py_object], None),
            ("clang_getFileName", [ctypes.c_void_p], _String),
            ("clang_getFileContents", [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t)],
             ctypes.c_void_p),
            ("clang_getLocationForOffset", [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint], ci.SourceLocation),
            ("clang_getCString", None, ctypes.c_char_p),
            ("clang_disposeString", None, None),
            # unchecked (see above)
            ("clang_visitChildren", None, ctypes.c_uint),
            ("clang_getCursorType", None, _CXType),
            ("clang_getCanonicalType", None, _CXType),
            ("clang_Type_getSizeOf", None, ctypes.c_longlong),
            ("clang_getCursorBinaryOperatorKind", None, ctypes.c_int),
            ("clang_getCursorUnaryOperatorKind", None, ctypes.c_int),
            ("clang_getCursorReferenced", None, ci.Cursor),
            ("clang_Cursor_isBitField", None, ctypes.c_uint),
            ("clang_getFieldDeclBitWidth", None, ctypes.c_int),
            ("clang_getCursorLocation", None, ci.SourceLocation),
            ("clang_getExpansionLocation", None, None),
            ("clang_isCursorDefinition", None, ctypes.c_uint),
            ("clang_Location_isFromMainFile", None, ctypes.c_int),
        ):
            fn = getattr(raw, name)
            fn.argtypes, fn.restype = args, result
        self.lib = raw
        self.visit = visit  # the visitor type, for other callbacks
        self.visitor = visit(_collect)
        self.declarations = visit(_collect_declarations)
        self.includes = includes(_include)

    def children(self, cursor) -> list:
        out: list = []
        self.lib.clang_visitChildren(cursor, self.visitor, ctypes.py_object(out))
        return out

    def file_name(self, handle: int) -> str:
        """The name of a CXFile (a non-null handle), as clang reports it."""
        string = self.lib.clang_getFileName(handle)
        try:
            return (self.lib.clang_getCString(string) or b"").decode("utf-8", "surrogateescape")
        finally:
            self.lib.clang_disposeString(string)


def _collect(child, parent, out) -> int:
    out.append(child)
    return 1  # CXChildVisit_Continue


def _collect_declarations(child, parent, out) -> int:
    if child._kind_id in _WALKED_DECLARATIONS:
        out.append(child)
    return 1


def _include(file, stack, depth, out) -> None:
    out.append((file, depth))  # depth 0: the main file


_raw: _Raw | None = None


def _fast() -> _Raw:
    global _raw
    if _raw is None:
        _raw = _Raw(_lib())
    return _raw


def libclang_version() -> str:
    """'clang version 22.1.4 ...' as libclang reports it."""
    try:
        lib = _lib()
        lib.clang_getClangVersion.argtypes, lib.clang_getClangVersion.restype = [], ci._CXString
        return ci._CXString.from_result(lib.clang_getClangVersion())
    except Exception:  # no bindings, or the shared library failed to load
        return "unavailable"


# CXCursorKind numbers (stable across releases) for the hot path.
_EXPR_FIRST, _EXPR_LAST = 100, 199
_UNEXPOSED_EXPR, _DECL_REF, _MEMBER_REF, _CALL = 100, 101, 102, 103
_INTEGER_LITERAL, _CHARACTER_LITERAL, _PAREN, _UNARY = 106, 110, 111, 112
_SUBSCRIPT, _BINARY, _COMPOUND_ASSIGN, _CONDITIONAL, _CSTYLE_CAST = 113, 114, 115, 116, 117
_MUL, _SHL = 3, 8  # CXBinaryOperatorKind
_NOT = 9  # CXUnaryOperatorKind of '~'
_SIZEOF_LIKE = 136  # sizeof / alignof (UnaryExprOrTypeTraitExpr)
_FIELD_DECL, _ENUM_CONSTANT_DECL, _FUNCTION_DECL, _VAR_DECL = 6, 7, 8, 9
_COMPOUND_STMT = 202
_RETURN_STMT = 214

_STATEMENT_KINDS = {
    201: StmtKind.LABEL, 202: StmtKind.COMPOUND, 203: StmtKind.CASE, 204: StmtKind.DEFAULT, 205: StmtKind.IF,
    206: StmtKind.SWITCH, 207: StmtKind.WHILE, 208: StmtKind.DO, 209: StmtKind.FOR, 210: StmtKind.GOTO,
    211: StmtKind.GOTO, 212: StmtKind.CONTINUE, 213: StmtKind.BREAK, 214: StmtKind.RETURN, 231: StmtKind.DECL,
}


def _as_stmt(part) -> Stmt:
    return part if isinstance(part, Stmt) else _expression_statement(part, part.handle.location.line)


def _expression_statement(expr: Expr, line: int) -> Stmt:
    """An expression as a statement: NORETURN when it calls a function that never
    returns (`fatal("bad digit");` after a failed check: the check holds after it)."""
    call = expr
    while call.kind in (Kind.PAREN, Kind.CAST) and call.children:  # `(void)die()`
        call = call.children[-1]
    if call.kind is Kind.CALL and _never_returns(call.handle.referenced):
        return Stmt(StmtKind.NORETURN, [expr], [], line)
    return Stmt(StmtKind.EXPR, [expr], [], line)


def _never_returns(callee) -> bool:
    """Is callee a function declared noreturn: GNU `__attribute__((noreturn))`
    (clang shows it in the type: glibc's exit and abort, the kernel's __noreturn),
    C11 `_Noreturn` or C23 `[[noreturn]]`? libclang exposes the last two only as
    an attribute of no kind, whose tokens may be a macro's (xz's
    tuklib_attr_noreturn): the declaration printed without its body says."""
    if callee is None or callee.kind != ci.CursorKind.FUNCTION_DECL:
        return False
    if "__attribute__((noreturn))" in callee.type.spelling:
        return True
    if not any(child.kind == ci.CursorKind.UNEXPOSED_ATTR for child in callee.get_children()):
        return False
    policy = ci.PrintingPolicy.create(callee)
    policy.set_property(ci.PrintingPolicyProperty.TerseOutput, 1)  # no body
    head = callee.pretty_printed(policy).split(f"{callee.spelling}(")[0]
    return _NORETURN_WORD.search(head) is not None


_EXPECT_BUILTINS = ("__builtin_expect", "__builtin_expect_with_probability")  # likely(), unlikely()
_NORETURN_WORD = re.compile(r"\b(?:_Noreturn|noreturn|__noreturn__)\b")


def _shape(kind: StmtKind, parts: list, line: int) -> Stmt:
    """A statement from its children (Expr or Stmt, in order): clause by clause when
    they can be told apart, else OTHER (libclang omits a `for`'s missing clauses)."""
    n = len(parts)
    first_is_expr = n > 0 and isinstance(parts[0], Expr)
    if kind is StmtKind.COMPOUND:
        return Stmt(kind, [], [_as_stmt(p) for p in parts], line)
    if kind is StmtKind.IF and n in (2, 3) and first_is_expr:
        return Stmt(kind, [parts[0]], [_as_stmt(p) for p in parts[1:]], line)
    if kind in (StmtKind.SWITCH, StmtKind.WHILE) and n == 2 and first_is_expr:
        return Stmt(kind, [parts[0]], [_as_stmt(parts[1])], line)
    if kind is StmtKind.DO and n == 2 and isinstance(parts[1], Expr):
        return Stmt(kind, [parts[1]], [_as_stmt(parts[0])], line)
    if kind is StmtKind.CASE and n in (2, 3) and first_is_expr:
        values = [_evaluate(e.handle) for e in parts[:-1]]
        case = (values[0], values[-1]) if None not in values else None
        return Stmt(kind, [], [_as_stmt(parts[-1])], line, case_values=case)
    if kind in (StmtKind.DEFAULT, StmtKind.LABEL) and n == 1:
        return Stmt(kind, [], [_as_stmt(parts[0])], line)
    if kind is StmtKind.FOR and n == 4 and isinstance(parts[1], Expr) and isinstance(parts[2], Expr):
        return Stmt(kind, [parts[1], parts[2]], [_as_stmt(parts[3])], line, init=_as_stmt(parts[0]))
    if kind in (StmtKind.RETURN, StmtKind.BREAK, StmtKind.CONTINUE, StmtKind.GOTO) \
            and all(isinstance(p, Expr) for p in parts):
        return Stmt(kind, list(parts), [], line)
    if kind is StmtKind.DECL:
        return Stmt(kind, [], [], line, decls=[d for p in parts if isinstance(p, Stmt) for d in p.decls])
    return Stmt(StmtKind.OTHER, [], [_as_stmt(p) for p in parts], line)


def _for_clauses(c, parts: list) -> list:
    """The four parts of `for (; cond; step) body`, a missing init as an empty
    statement, placed by the semicolons of its header (libclang leaves missing
    clauses out); parts unchanged when the header cannot be read (spelled by a
    macro) or the condition or the step is missing."""
    tokens = c.get_tokens()
    first, second = next(tokens, None), next(tokens, None)
    if first is None or first.spelling != "for" or second is None or second.spelling != "(":
        return parts
    depth, semicolons = 1, []
    for t in tokens:
        text = t.spelling
        if text in ("(", "[", "{"):
            depth += 1
        elif text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                break
        elif text == ";" and depth == 1:
            semicolons.append(t.extent.start.offset)
    if len(semicolons) != 2:
        return parts
    placed: list = [None, None, None]
    for part in parts[:-1]:
        clause = 0 if isinstance(part, Stmt) else sum(part.handle.extent.start.offset > at for at in semicolons)
        if placed[clause] is not None:
            return parts
        placed[clause] = part
    if placed[1] is None or placed[2] is None:
        return parts  # `for (;;)`, `for (i = 0; i < n;)`: read as OTHER
    return [placed[0] or Stmt(StmtKind.COMPOUND), placed[1], placed[2], parts[-1]]


_MACRO_LOCATION = 1 << 31  # set in the raw encoding of a location inside a macro expansion
_WALKED_DECLARATIONS = frozenset({_FUNCTION_DECL, _VAR_DECL})  # the top-level declarations roots() reads

# CXUnaryOperatorKind (clang-c/Index.h).
_UNARY_OPS = {1: "post++", 2: "post--", 3: "++", 4: "--", 5: "&", 6: "*", 7: "+", 8: "-",
              9: "~", 10: "!", 11: "__real", 12: "__imag", 13: "__extension__"}

# Canonical integer type kinds, with their signedness; sizes come from clang.
_INTEGER_KINDS = {
    "BOOL": False, "CHAR_U": False, "UCHAR": False, "CHAR16": False, "CHAR32": False,
    "USHORT": False, "UINT": False, "ULONG": False, "ULONGLONG": False, "UINT128": False,
    "CHAR_S": True, "SCHAR": True, "WCHAR": True, "SHORT": True, "INT": True,
    "LONG": True, "LONGLONG": True, "INT128": True,
}

# Typedefs clang gives sizeof and pointer differences; gcc does not know them.
_CLANG_ONLY_TYPEDEFS = frozenset({"__size_t", "__signed_size_t", "__ptrdiff_t"})

_UNKNOWN_ARGUMENT = re.compile(r"unknown argument:? '([^']*)'")

# Real paths of the file names clang reports, per working directory: a kernel TU
# includes hundreds of headers, mostly the same ones in every TU of a run.
_REAL_PATHS: dict[tuple[str, str], str] = {}

# Parse options: keep going past a missing #include so the rest is still analysed.
_PARSE_OPTIONS = 0x200  # CXTranslationUnit_KeepGoing


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str  # 'error' or 'fatal'
    text: str  # 'path:line:col: error: message'


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


def _limit_memory() -> None:
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


def _memory_hint() -> str:
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


class TranslationUnit:
    """One parsed file, with its expressions on demand."""

    def __init__(self, path: str, args: list[str], unsaved: dict[str, str] | None = None):
        _lib()  # declares the C functions the bindings lack, once
        _limit_memory()
        self._fast = _fast()
        self.path = path
        index = ci.Index.create()
        files = [(name, text) for name, text in (unsaved or {}).items()]
        if not path.endswith((".c", ".h")) and "-x" not in args:
            args = ["-x", "c", *args]  # a named .inc or .def file: clang would not take it for C
        try:
            self._tu = on_deep_stack(lambda: index.parse(path, args=args, unsaved_files=files or None,
                                                         options=_PARSE_OPTIONS))
        except ci.TranslationUnitLoadError as exc:
            raise FrontendError(f"libclang could not parse {path} ({exc}{_memory_hint()})") from None
        # clang names files relative to its working directory (-working-directory).
        self._cwd = args[args.index("-working-directory") + 1] if "-working-directory" in args[:-1] else os.getcwd()
        self._ctypes: dict[tuple, CType] = {}  # by canonical type kind (or enum)
        self._type_ctypes: dict[int | None, CType] = {}  # by CXType data0: one entry per type spelled
        self._tables: dict[int, tuple[int, int] | None] = {}  # const arrays' element ranges, by declaration
        self._file_names: dict[int, str | None] = {}
        self._paths: dict[int, str] = {}  # CXFile -> real path
        self._files: list[tuple[int, int]] | None = None  # see _inclusions
        self._texts: dict[str, bytes] = {os.path.realpath(k): v.encode() for k, v in (unsaved or {}).items()}

    # -- diagnostics -------------------------------------------------------

    def errors(self) -> list[Diagnostic]:
        """Errors in the code; not the driver's complaints about arguments."""
        out = []
        for d in self._tu.diagnostics:
            if d.severity >= ci.Diagnostic.Error and not _UNKNOWN_ARGUMENT.match(d.spelling):
                loc = d.location
                where = f"{loc.file.name}:{loc.line}:{loc.column}: " if loc.file else ""
                kind = "fatal error" if d.severity == ci.Diagnostic.Fatal else "error"
                out.append(Diagnostic(kind, f"{where}{kind}: {d.spelling}"))
        return out

    def unknown_arguments(self) -> list[str]:
        """Compiler arguments clang did not know (and so ignored)."""
        return [m.group(1) for d in self._tu.diagnostics if (m := _UNKNOWN_ARGUMENT.match(d.spelling))]

    def included_files(self) -> set[str]:
        return {self._file_path(h) for h, depth in self._inclusions() if h and depth}

    def _inclusions(self) -> list[tuple[int, int]]:
        """(CXFile, depth) of every file the parse read; depth 0 is the main file."""
        if self._files is None:
            self._files = []
            self._fast.lib.clang_getInclusions(self._tu._as_parameter_, self._fast.includes, self._files)
        return self._files

    def _main_file_range(self) -> tuple[int, int, str] | None:
        """(first, last, real path): the raw encodings of the main file's locations.

        A CXSourceLocation carries clang's SourceLocation raw encoding (int_data):
        for a location in a file, its offset in the source manager's address space,
        where each file entered gets a range of its own, as long as its text; a
        location in a macro expansion has the top bit set. So int_data in
        first..last is in the main file, without a call to ask."""
        raw, tu = self._fast.lib, self._tu._as_parameter_
        main = next((h for h, depth in self._inclusions() if h and not depth), None)
        if main is None:
            return None
        size = ctypes.c_size_t()
        if not raw.clang_getFileContents(tu, main, ctypes.byref(size)):
            return None
        first = raw.clang_getLocationForOffset(tu, main, 0).int_data
        if not first or first & _MACRO_LOCATION:
            return None
        return first, first + size.value, self._file_path(main)

    def _file_path(self, handle: int) -> str:
        """The real path of a CXFile of this TU (a non-null handle)."""
        path = self._paths.get(handle)
        if path is None:
            path = self._paths[handle] = self._real(self._fast.file_name(handle))
        return path

    def _real(self, name: str) -> str:
        key = (self._cwd, name)
        real = _REAL_PATHS.get(key)
        if real is None:
            real = _REAL_PATHS[key] = os.path.realpath(os.path.join(self._cwd, name))
        return real

    # -- expressions -------------------------------------------------------

    def roots(self, wanted: Callable[[str], bool],
              once: Callable[[tuple[str, int, str]], bool] | None = None,
              relevant_only: bool = False) -> Iterator[Root]:
        """Every maximal expression in the bodies and initialisers of top-level
        declarations that sit in a wanted file (a realpath predicate).

        once, if given, is asked about each such declaration outside the main file
        (a header's static inline function, say), keyed by (real path, offset,
        name): False skips its walk (it was analysed in another translation unit).
        relevant_only leaves out the roots in which the value analysis cannot
        find anything (see _is_origin): most of them, and the cheapest to leave."""
        fast, tu = self._fast, self._tu
        raw = fast.lib
        scan = self._scanner() if relevant_only else None
        file_ok: dict[int, str | None] = {}  # CXFile -> its real path if wanted, else None
        handle = ctypes.c_void_p()
        offset = ctypes.c_uint()
        file_of, location_of, handle_ref = raw.clang_getExpansionLocation, raw.clang_getCursorLocation, \
            ctypes.byref(handle)
        decls: list = []
        raw.clang_visitChildren(tu.cursor, fast.declarations, ctypes.py_object(decls))
        known = file_ok.get
        # Most declarations are in headers. When no header is wanted, those spelled
        # in a file (not by a macro) outside the main file are left by their raw
        # location alone (see _main_file_range), without asking for their file.
        main = None
        if not any(depth and h and wanted(self._file_path(h)) for h, depth in self._inclusions()):
            main = self._main_file_range()
        first, last, main_path = main if main is not None else (1, 0, None)
        main_wanted = main_path is not None and wanted(main_path)
        for decl in decls:  # thousands per kernel TU, mostly in headers: raw calls only
            location = location_of(decl)
            where = location.int_data
            if first <= where <= last:
                if not main_wanted:
                    continue
                path = main_path
            elif main is not None and where < _MACRO_LOCATION:
                continue  # in a header, not wanted
            else:
                file_of(location, handle_ref, None, None, None)
                key = handle.value
                path = known(key, file_ok)  # file_ok: not seen yet
            if path is file_ok:
                path = None
                if key:
                    real = self._file_path(key)
                    path = real if wanted(real) else None
                file_ok[key] = path
            if path is None:
                continue
            kind = decl._kind_id
            if kind == _FUNCTION_DECL and not raw.clang_isCursorDefinition(decl):
                continue
            decl._tu = tu
            spelling = decl.spelling
            if once is not None and not raw.clang_Location_isFromMainFile(location):
                raw.clang_getExpansionLocation(location, None, None, None, ctypes.byref(offset))
                if not once((path, offset.value, spelling)):
                    continue
            function = spelling if kind == _FUNCTION_DECL else ""
            scope = decl if kind == _FUNCTION_DECL else None
            for expr in self._statement_roots(decl, scan):
                yield Root(expr, function, scope)

    def _statement_roots(self, cursor, scan=None) -> Iterator[Expr]:
        # Iterative: long `else if` chains and deep macro expansions must not hit
        # Python's recursion limit.
        fast, tu = self._fast, self._tu
        visit = fast.lib.clang_visitChildren
        pending = [cursor]
        while pending:
            node = pending.pop()
            statements: list = []
            for child in fast.children(node):
                if _EXPR_FIRST <= child._kind_id <= _EXPR_LAST:
                    if scan is not None:
                        # Most roots hold no origin: walk their cursors only, keeping
                        # the statements inside them (GNU statement expressions).
                        inner: list = []
                        if not self._is_origin(child) and not visit(child, scan, ctypes.py_object(inner)):
                            statements += inner
                            continue
                    child._tu = tu
                    yield self._convert(child, statements)
                else:
                    statements.append(child)
            pending.extend(reversed(statements))

    # -- the pre-test: can a root produce anything? ---------------------------
    #
    # The value analysis (values.py) reports only widenings, char uses and sign
    # shifts, and each needs an origin in the root: a '<<' (a sign shift, or upper
    # bits lost), a '*' of signed type (an overflow), a '~' of signed type or of an
    # unsigned type of at most 32 bits, a conversion of a signed 8-bit value (a
    # char promotion, or a char used as an index), or the widening of a call's
    # signed result (a helper's shift, helpers.py). A root without any of them
    # yields nothing, so it is neither converted nor analysed. The test looks at
    # cursor kinds, operator kinds and (for a few cursors) types only. A new kind
    # of origin in values.py must be added here: tests/test_prefilter.py compares
    # the results with and without this test on every fixture.

    def _is_origin(self, c) -> bool:
        """Is the cursor itself a '<<', a signed '*' or a '~' that can lose or set
        upper bits (see above)?"""
        kind = c._kind_id
        raw = self._fast.lib
        if kind == _BINARY:
            op = raw.clang_getCursorBinaryOperatorKind(c)
            if op == _SHL:
                return True
            return op == _MUL and self._ctype_of(c).signed
        if kind == _UNARY and raw.clang_getCursorUnaryOperatorKind(c) == _NOT:
            t = self._ctype_of(c)
            return t.is_integer and (t.signed or t.bits <= 32)
        return False

    def _scanner(self):
        """A clang_visitChildren callback over the cursors of one root: recurses
        into expressions, collects statements (in its data list) and breaks at the
        first origin. A char is looked for among the operands of conversions
        (implicit ones are unexposed expressions) and subscripts."""
        is_origin, ctype_of = self._is_origin, self._ctype_of
        operators = frozenset({_BINARY, _UNARY})
        conversions = frozenset({_UNEXPOSED_EXPR, _CSTYLE_CAST, _SUBSCRIPT})  # their operands may be chars

        def scan(child, parent, statements) -> int:
            kind = child._kind_id
            if kind < _EXPR_FIRST or kind > _EXPR_LAST:
                if 200 <= kind < 300:
                    statements.append(child)
                return 1  # CXChildVisit_Continue
            if kind in operators and is_origin(child):
                return 0  # CXChildVisit_Break
            if parent._kind_id in conversions:
                t = ctype_of(child)
                if t.signed and t.bits == 8:
                    return 0
                if kind == _CALL and t.signed and t.is_integer and ctype_of(parent).bits > t.bits:
                    return 0  # an int result widened: a helper's shift may have made it negative
            elif kind == _CALL and parent._kind_id == _PAREN:  # `(get(p)) == x`: its conversion is above
                t = ctype_of(child)
                if t.signed and t.is_integer and t.bits <= 32:
                    return 0
            return 2  # CXChildVisit_Recurse

        return self._fast.visit(scan)

    def _convert(self, root, statements: list) -> Expr:
        """Post-order conversion of an expression; statements found inside it (GNU
        statement expressions) are appended to statements for the caller to walk."""
        fast, tu = self._fast, self._tu
        done: list[Expr] = []
        work: list[tuple] = [(root, -1)]
        while work:
            c, count = work.pop()
            if count < 0:
                kids = []
                for ch in fast.children(c):
                    ch._tu = tu
                    kid = ch._kind_id
                    if _EXPR_FIRST <= kid <= _EXPR_LAST:
                        kids.append(ch)
                    elif 200 <= kid < 300:
                        statements.append(ch)
                work.append((c, len(kids)))
                work.extend((ch, -1) for ch in reversed(kids))
            else:
                children = done[len(done) - count :] if count else []
                del done[len(done) - count :]
                done.append(self._node(c, children))
        return done[0]

    def _node(self, c, children: list[Expr]) -> Expr:
        kid = c._kind_id
        raw = self._fast.lib
        node = Expr(Kind.OTHER, self._ctype_of(c), children, handle=c)
        if kid in (_BINARY, _COMPOUND_ASSIGN):
            node.kind = Kind.BINARY if kid == _BINARY else Kind.COMPOUND_ASSIGN
            node.op = _BINARY_OPS.get(raw.clang_getCursorBinaryOperatorKind(c), "?")
            if node.op in ("<<", ">>") and len(children) == 2 and children[1].value is None:
                # A count clang can fold (type_max(), hweight32(const), a const local)
                # is exact; asking only here keeps evaluation off the hot path.
                children[1].value = _evaluate(children[1].handle)
        elif kid == _UNARY:
            node.kind = Kind.UNARY
            node.op = _UNARY_OPS.get(raw.clang_getCursorUnaryOperatorKind(c), "?")
        elif kid == _CSTYLE_CAST:
            node.kind, node.explicit = Kind.CAST, True
        elif kid == _UNEXPOSED_EXPR:
            if len(children) == 1:  # an implicit conversion (or a no-op wrapper)
                node.kind = Kind.CAST
        elif kid == _PAREN:
            node.kind = Kind.PAREN
        elif kid in (_INTEGER_LITERAL, _CHARACTER_LITERAL):
            node.kind, node.value = Kind.LITERAL, _evaluate(c)
        elif kid == _DECL_REF:
            node.kind = Kind.DECL_REF
            if raw.clang_getCursorReferenced(c)._kind_id == _ENUM_CONSTANT_DECL:
                node.value = _evaluate(c)
        elif kid == _MEMBER_REF:
            node.kind = Kind.MEMBER
            ref = raw.clang_getCursorReferenced(c)
            if ref._kind_id == _FIELD_DECL and raw.clang_Cursor_isBitField(ref):
                node.bitfield_width = raw.clang_getFieldDeclBitWidth(ref)
                node.type = self._ctype_of(ref)  # the declared type, for its sign
        elif kid == _CONDITIONAL:
            node.kind = Kind.CONDITIONAL
        elif kid == _CALL:
            node.kind = Kind.CALL
            if len(children) in (3, 4) and c.spelling in _EXPECT_BUILTINS:
                # `if (unlikely(x > max))`: __builtin_expect's value is its first argument
                # (converted to long), so tests and ranges see through it.
                node.kind, node.children = Kind.CAST, children[1:2]
        elif kid == _SUBSCRIPT:
            node.kind = Kind.SUBSCRIPT
            if node.type.is_integer and children:
                node.elements = self._table_range(children[0])
        elif kid == _SIZEOF_LIKE:
            node.value = _evaluate(c)
        return node

    def _table_range(self, base: Expr) -> tuple[int, int] | None:
        """For `table[i]` where table is a const array whose initializer is a list of
        constants (`static const char xmlEscapeContent[] = { 8, '&', ... }`): the
        lowest and highest element, 0 among them (elements left out are 0)."""
        base = implicit_gone(base)
        if base.kind is not Kind.DECL_REF:
            return None
        ref = self._fast.lib.clang_getCursorReferenced(base.handle)
        if ref._kind_id != _VAR_DECL:
            return None
        key = ref.hash
        if key not in self._tables:
            self._tables[key] = _constant_elements(ref, self._tu)
        return self._tables[key]

    def _ctype_of(self, c) -> CType:
        """The type of a cursor, cached per type as spelled (a typedef, say)."""
        t = self._fast.lib.clang_getCursorType(c)
        found = self._type_ctypes.get(t.data0)
        if found is None:
            found = self._type_ctypes[t.data0] = self._ctype(t)
        return found

    def _ctype(self, t: _CXType) -> CType:
        raw = self._fast.lib
        canon = raw.clang_getCanonicalType(t)
        kind_id = canon.kind
        found = self._ctypes.get(kind_id)
        if found is not None:
            return found
        kind = ci.TypeKind.from_id(kind_id)
        if kind == ci.TypeKind.ENUM:  # keyed by the enum: its underlying type varies
            enum = ci.Type.from_buffer_copy(canon)  # for the bindings' properties
            enum._tu = self._tu
            key = ("enum", enum.spelling)
            if key not in self._ctypes:
                declaration = enum.get_declaration()
                underlying = declaration.enum_type.get_canonical()
                t = self._integer(underlying.kind.name, raw.clang_Type_getSizeOf(canon))
                values = [c.enum_value for c in declaration.get_children()
                          if c.kind == ci.CursorKind.ENUM_CONSTANT_DECL]
                if t.is_integer and values:
                    t = replace(t, enum_range=_enum_range(values, t))
                self._ctypes[key] = t
            return self._ctypes[key]
        if kind.name in _INTEGER_KINDS:
            found = self._integer(kind.name, raw.clang_Type_getSizeOf(canon))
        elif kind == ci.TypeKind.POINTER:
            found = CType(False, raw.clang_Type_getSizeOf(canon) * 8, is_pointer=True)
        else:
            found = NOT_INTEGER
        self._ctypes[kind_id] = found
        return found

    @staticmethod
    def _integer(kind_name: str, size: int) -> CType:
        if kind_name not in _INTEGER_KINDS or size <= 0:
            return NOT_INTEGER
        if kind_name == "BOOL":
            return CType(True, 1, False, is_bool=True)
        return CType(True, size * 8, _INTEGER_KINDS[kind_name], is_plain_char=kind_name in ("CHAR_S", "CHAR_U"))

    # -- statements (only for functions where a finding may need them) -----

    def root_key(self, expr: Expr) -> int:
        """The same number for a root expression however it was reached."""
        return expr.handle.hash

    def in_main_file(self, scope) -> bool:
        """Is a function defined in the file this TU parses, or in a `.c` file it
        includes (lua's onelua.c includes every source), not in a header?"""
        where = scope.location.file
        if where is None:
            return False
        return where.name.endswith(".c") or os.path.realpath(where.name) == os.path.realpath(self.path)

    def is_one_return(self, scope) -> bool:
        """Is a function's body a single `return` statement? (Cheap: no Stmt tree.)"""
        body = next((c for c in self._fast.children(scope) if c._kind_id == _COMPOUND_STMT), None)
        if body is None:
            return False
        kids = self._fast.children(body)
        return len(kids) == 1 and kids[0]._kind_id == _RETURN_STMT

    def statements(self, scope) -> Stmt | None:
        """The body of a function (a Root's scope) as statements, with every local
        variable and parameter read identified (Expr.decl); None without a body."""
        body = next((c for c in self._fast.children(scope) if c._kind_id == _COMPOUND_STMT), None)
        if body is None:
            return None
        body._tu = self._tu
        return self._stmt(body)

    def _stmt(self, c) -> Stmt:
        kind_id = c._kind_id
        line = c.location.line
        nested: list = []  # statements inside expressions (GNU statement expressions): they run first
        if _EXPR_FIRST <= kind_id <= _EXPR_LAST:
            stmt = _expression_statement(self._keyed(c, nested), line)
        else:
            parts: list = []  # Expr or Stmt, in source order
            for child in self._fast.children(c):
                child._tu = self._tu
                kid = child._kind_id
                if _EXPR_FIRST <= kid <= _EXPR_LAST:
                    parts.append(self._keyed(child, nested))
                elif 200 <= kid < 300 or kid == _VAR_DECL:
                    parts.append(self._stmt(child))
            kind = _STATEMENT_KINDS.get(kind_id, StmtKind.OTHER)
            if kind is StmtKind.FOR and len(parts) < 4:
                parts = _for_clauses(c, parts)
            stmt = _shape(kind, parts, line)
            if kind_id == _VAR_DECL:
                init = parts[-1] if parts and isinstance(parts[-1], Expr) else None
                stmt = Stmt(StmtKind.DECL, [], [], line, decls=[(c.hash, init)])
        if nested:
            return Stmt(StmtKind.COMPOUND, [], [self._stmt(n) for n in nested] + [stmt], line)
        return stmt

    def scope_key(self, scope) -> int:
        return scope.hash

    def callee(self, call: Expr) -> tuple[object, str] | None:
        """The definition in this TU of the function a call calls (a scope for
        statements()) and its name; None for a call through a pointer or to a
        function defined elsewhere."""
        ref = call.handle.referenced
        if ref is None or ref.kind != ci.CursorKind.FUNCTION_DECL:
            return None
        definition = ref.get_definition()
        if definition is None:
            return None
        return definition, definition.spelling

    def callee_name(self, call: Expr) -> str | None:
        """The name of the function a call calls by name, defined here or not."""
        ref = call.handle.referenced
        return ref.spelling if ref is not None and ref.kind == ci.CursorKind.FUNCTION_DECL else None

    def parameters(self, scope) -> list[tuple[int, tuple[int, int]] | None]:
        """Each parameter of a function: its identity (as Expr.decl) and its type's
        range; None for a parameter that is not an integer."""
        out: list[tuple[int, tuple[int, int]] | None] = []
        for param in scope.get_arguments():
            t = self._ctype(param.type)
            out.append((param.hash, (t.min, t.max)) if t.is_integer and not t.is_bool else None)
        return out

    def result_type_token(self, scope) -> tuple[Position, Position, str] | None:
        """Where a function's result type is written, as the one or two tokens just
        before its name (`int`, `s32`, `signed int`), and their text; None when
        the declaration is not spelled plainly (a macro, a pointer)."""
        name = scope.location
        tokens = [t for t in scope.get_tokens() if t.location.file and t.location.file.name == name.file.name]
        at = next((i for i, t in enumerate(tokens) if t.location.offset == name.offset), None)
        if not at:
            return None
        first = at - 1
        if tokens[first].spelling == "int" and first > 0 and tokens[first - 1].spelling == "signed":
            first -= 1
        begin = self._position(tokens[first].extent.start, spelling=True)
        end = self._position(tokens[at - 1].extent.end, spelling=True)
        return begin, end, " ".join(t.spelling for t in tokens[first:at])

    def _keyed(self, c, nested: list) -> Expr:
        """An expression, its reads of local variables and parameters identified."""
        expr = self._convert(c, nested)
        work = [expr]
        while work:
            e = work.pop()
            work.extend(e.children)
            if e.kind is Kind.DECL_REF and e.value is None:
                ref = e.handle.referenced
                if ref is not None and ref.kind in (ci.CursorKind.VAR_DECL, ci.CursorKind.PARM_DECL) \
                        and ref.semantic_parent is not None \
                        and ref.semantic_parent.kind == ci.CursorKind.FUNCTION_DECL:
                    e.decl = ref.hash
        return expr

    # -- where things are written -------------------------------------------

    def span(self, expr: Expr) -> Span:
        """Where the expression is spelled; see ir.Span."""
        extent = expr.handle.extent
        begin = self._position(extent.start, spelling=True)
        expansion = self._position(extent.start, spelling=False)
        in_macro = (begin.path, begin.offset) != (expansion.path, expansion.offset)
        end: Position | None
        if in_macro:
            end = self._macro_end(expr, begin)
        else:
            end = self._position(extent.end, spelling=False)
            if end.path != begin.path or end.offset < begin.offset:
                end = None
        return Span(begin, end, expansion if in_macro else None)

    def expansion_range(self, expr: Expr) -> tuple[Position, Position]:
        """Where the macro uses that produce the expression begin and end."""
        extent = expr.handle.extent
        return self._position(extent.start, spelling=False), self._position(extent.end, spelling=False)

    def _macro_end(self, expr: Expr, begin: Position) -> Position | None:
        """The end of an expression spelled in a macro, when all of it is spelled in
        one place (else None): follow the last child down to a token, or to a
        parenthesis or call closed on the same logical line."""
        if not begin.path:  # a token pasted by `##` is spelled in clang's scratch buffer, no file
            return None
        text = self.file_bytes(begin.path)
        last = expr
        suffixes: list[Kind] = []  # subscripts (a ']' follows the index) and members (`->name` follows the base)
        while True:
            if last.kind in (Kind.PAREN, Kind.CALL):
                start = self._position(last.handle.extent.start, spelling=True)
                if start.path != begin.path or not one_logical_line(text, begin.offset, start.offset):
                    return None
                end = _closing_paren(text, start.offset, call=last.kind is Kind.CALL)
                break
            if not last.children:
                if last.kind is Kind.OTHER:
                    return None  # a statement expression, say: more than one token, its end unknown
                start = self._position(last.handle.extent.start, spelling=True)
                if start.path != begin.path or not one_logical_line(text, begin.offset, start.offset):
                    return None
                end = start.offset + _token_length(text, start.offset)
                break
            if last.kind in (Kind.SUBSCRIPT, Kind.MEMBER):
                suffixes.append(last.kind)
            last = last.children[-1]
        for kind in reversed(suffixes):
            if end is None:
                break
            while text[end : end + 1] in (b" ", b"\t"):
                end += 1
            if kind is Kind.SUBSCRIPT:
                end = end + 1 if text[end : end + 1] == b"]" else None
                continue
            arrow = 2 if text.startswith(b"->", end) else 1 if text[end : end + 1] == b"." else 0
            if not arrow:
                end = None
                continue
            end += arrow
            while text[end : end + 1] in (b" ", b"\t"):
                end += 1
            length = _token_length(text, end)
            end = end + length if length and (text[end : end + 1].isalpha() or text[end : end + 1] == b"_") else None
        if end is None:
            return None
        return Position(begin.path, start.line, start.column + end - start.offset, end)

    def _position(self, loc, spelling: bool) -> Position:
        lib = _lib()
        f, line, col, off = ctypes.c_void_p(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        fn = lib.clang_getSpellingLocation if spelling else lib.clang_getFileLocation
        fn(loc, ctypes.byref(f), ctypes.byref(line), ctypes.byref(col), ctypes.byref(off))
        key = f.value or 0
        name = self._file_names.get(key)
        if name is None:
            name = ci._CXString.from_result(lib.clang_getFileName(f)) if f.value else ""
            name = self._real(name) if name else ""
            self._file_names[key] = name
        return Position(name, line.value, col.value, off.value)

    def type_spelling(self, expr: Expr) -> str:
        """The expression's type as written (typedef names kept), without qualifiers;
        a typeof() is spelled as the type it stands for."""
        t = expr.handle.type
        spelling = t.spelling
        if "typeof" in spelling or spelling in _CLANG_ONLY_TYPEDEFS:
            spelling = t.get_canonical().spelling
        for qualifier in ("const ", "volatile "):
            spelling = spelling.replace(qualifier, "")
        return spelling.strip()

    def is_system(self, expr: Expr) -> bool:
        return expr.handle.extent.start.is_in_system_header

    def file_bytes(self, path: str) -> bytes:
        text = self._texts.get(path)
        if text is None:
            with open(path, "rb") as fh:
                text = fh.read()
            self._texts[path] = text
        return text




_BINARY_SPELLINGS = {
    "PtrMemD": ".*", "PtrMemI": "->*", "Mul": "*", "Div": "/", "Rem": "%", "Add": "+", "Sub": "-",
    "Shl": "<<", "Shr": ">>", "Cmp": "<=>", "LT": "<", "GT": ">", "LE": "<=", "GE": ">=", "EQ": "==",
    "NE": "!=", "And": "&", "Xor": "^", "Or": "|", "LAnd": "&&", "LOr": "||", "Assign": "=",
    "MulAssign": "*=", "DivAssign": "/=", "RemAssign": "%=", "AddAssign": "+=", "SubAssign": "-=",
    "ShlAssign": "<<=", "ShrAssign": ">>=", "AndAssign": "&=", "XorAssign": "^=", "OrAssign": "|=",
    "Comma": ",",
}
_BINARY_OPS = {op.value: _BINARY_SPELLINGS.get(op.name, op.name) for op in ci.BinaryOperator} if ci else {}


def _enum_range(values: list[int], t: CType) -> tuple[int, int] | None:
    """The values an enum's enumerators can form, OR-ed together as flags: all the
    bits of the largest one (and the sign, if one is negative)."""
    top = max(max(values).bit_length(), (-min(values) - 1).bit_length() if min(values) < 0 else 0)
    lo, hi = (-(1 << top), (1 << top) - 1) if min(values) < 0 else (0, (1 << top) - 1)
    return (lo, hi) if t.min <= lo and hi <= t.max and (lo, hi) != (t.min, t.max) else None


def _constant_elements(decl, tu) -> tuple[int, int] | None:
    """The range of a const array's constant initializer elements (with 0), or None."""
    decl._tu = tu
    t = decl.type
    if t.kind not in (ci.TypeKind.CONSTANTARRAY, ci.TypeKind.INCOMPLETEARRAY):
        return None
    if not t.element_type.is_const_qualified():
        return None
    lists = [c for c in decl.get_children() if c.kind == ci.CursorKind.INIT_LIST_EXPR]
    if len(lists) != 1:
        return None
    values = [0]
    for element in lists[0].get_children():
        value = _evaluate(element)
        if value is None:
            return None
        values.append(value)
    return min(values), max(values)


def _evaluate(c) -> int | None:
    lib = _lib()
    result = lib.clang_Cursor_Evaluate(c)
    if not result:
        return None
    try:
        if lib.clang_EvalResult_getKind(result) != 1:  # CXEval_Int
            return None
        if lib.clang_EvalResult_isUnsignedInt(result):
            return lib.clang_EvalResult_getAsUnsigned(result)
        return lib.clang_EvalResult_getAsLongLong(result)
    finally:
        lib.clang_EvalResult_dispose(result)


def _token_length(text: bytes, offset: int) -> int:
    """Length of the C token starting at offset (identifiers, numbers, punctuators)."""
    if offset >= len(text):
        return 0
    first = text[offset : offset + 1]
    end = offset + 1
    if first.isalnum() or first == b"_":
        while end < len(text) and (text[end : end + 1].isalnum() or text[end : end + 1] in (b"_", b".")):
            end += 1
        return end - offset
    for punct in (b"<<=", b">>=", b"...", b"->", b"++", b"--", b"<<", b">>", b"<=", b">=", b"==", b"!=",
                  b"&&", b"||", b"*=", b"/=", b"%=", b"+=", b"-=", b"&=", b"^=", b"|=", b"##"):
        if text.startswith(punct, offset):
            return len(punct)
    return 1


def _closing_paren(text: bytes, offset: int, call: bool) -> int | None:
    """Offset just past the ')' matching the '(' at offset (after a name, for a
    call), within one logical line (a macro body); None if it is not there."""
    i = offset
    if call:
        i += _token_length(text, i)
        while i < len(text) and text[i : i + 1] in (b" ", b"\t"):
            i += 1
    if text[i : i + 1] != b"(":
        return None
    depth = 0
    while i < len(text):
        ch = text[i : i + 1]
        if ch == b"\n" and text[i - 1 : i] != b"\\":
            return None
        if ch == b"(":
            depth += 1
        elif ch == b")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


def one_logical_line(text: bytes, start: int, end: int) -> bool:
    """Is text[start:end] in order and on one logical line (a macro body goes on
    over backslash-newlines)?"""
    return start <= end and b"\n" not in text[start:end].replace(b"\\\n", b"")
