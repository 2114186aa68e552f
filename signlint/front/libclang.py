"""libclang itself: the bindings loaded, the C functions they do not wrap declared.

In: nothing but the installed bindings (libclang-ng). Out: ci (clang.cindex),
library() (the bindings' library, declared once), prototypes() (unchecked
prototypes for the walk's hot path, Raw), evaluate() (a cursor's integer value),
libclang_version(), FrontendError, and the CXCursorKind numbers the other front
modules share. The one module of the front end that imports clang.
"""

from __future__ import annotations

import ctypes


class FrontendError(Exception):
    """libclang is missing or could not parse the file at all."""


try:
    import clang.cindex as ci
except ImportError as exc:  # pragma: no cover - depends on the installation
    ci = None
    _import_error = exc

# CXCursorKind numbers (stable across releases) that more than one module reads;
# each module names the others it needs next to its code.
EXPR_FIRST, EXPR_LAST = 100, 199
FUNCTION_DECL, VAR_DECL = 8, 9
_WALKED_DECLARATIONS = frozenset({FUNCTION_DECL, VAR_DECL})  # the top-level declarations roots() reads


def library():
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


class CXType(ctypes.Structure):
    """CXType, laid out as in clang-c/Index.h; data0 is the type's QualType (a
    pointer, unique per type and qualifiers within one translation unit)."""

    _fields_ = [("kind", ctypes.c_int), ("data0", ctypes.c_void_p), ("data1", ctypes.c_void_p)]


class _String(ctypes.Structure):
    """CXString (clang-c/CXString.h)."""

    _fields_ = [("data", ctypes.c_void_p), ("private_flags", ctypes.c_uint)]


class Raw:
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
            ("clang_getCursorType", None, CXType),
            ("clang_getCanonicalType", None, CXType),
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


_raw: Raw | None = None


def prototypes() -> Raw:
    """The hot path's prototypes, made once per process."""
    global _raw
    if _raw is None:
        _raw = Raw(library())
    return _raw


def evaluate(c) -> int | None:
    """The integer value clang folds a cursor to; None if it is not a constant integer."""
    lib = library()
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


def libclang_version() -> str:
    """'clang version 22.1.4 ...' as libclang reports it."""
    try:
        lib = library()
        lib.clang_getClangVersion.argtypes, lib.clang_getClangVersion.restype = [], ci._CXString
        return ci._CXString.from_result(lib.clang_getClangVersion())
    except Exception:  # no bindings, or the shared library failed to load
        return "unavailable"
