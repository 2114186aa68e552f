"""A parsed translation unit: what the parse said, and its cursors walked.

In: a file's path, its clang arguments and any unsaved files (name -> text).
Out: the parse's errors, unknown arguments and included files; roots(), every
maximal expression of the wanted bodies and initialisers as an ir.Root; and,
for the analysis, the questions about a function (its body as statements, its
parameters, the function a call calls). Location and text questions go to the
TU's locations (locations.Locations); expressions and statements are converted
by expressions.Expressions and statements.Statements.
"""

from __future__ import annotations

import ctypes
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .expressions import Expressions
from .ir import Expr, Root, Stmt
from .libclang import EXPR_FIRST, EXPR_LAST, FUNCTION_DECL, FrontendError, ci, library, prototypes
from .limits import limit_memory, memory_hint, on_deep_stack
from .locations import Locations
from .statements import Statements

_MACRO_LOCATION = 1 << 31  # set in the raw encoding of a location inside a macro expansion

_UNKNOWN_ARGUMENT = re.compile(r"unknown argument:? '([^']*)'")

# Parse options: keep going past a missing #include so the rest is still analysed.
_PARSE_OPTIONS = 0x200  # CXTranslationUnit_KeepGoing


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str  # 'error' or 'fatal'
    text: str  # 'path:line:col: error: message'


class TranslationUnit:
    """One parsed file, with its expressions on demand. Where they are written,
    and the text there, are its locations' (a Locations)."""

    def __init__(self, path: str, args: list[str], unsaved: dict[str, str] | None = None):
        library()  # declares the C functions the bindings lack, once
        limit_memory()
        self._fast = prototypes()
        self.path = path
        index = ci.Index.create()
        files = [(name, text) for name, text in (unsaved or {}).items()]
        if not path.endswith((".c", ".h")) and "-x" not in args:
            args = ["-x", "c", *args]  # a named .inc or .def file: clang would not take it for C
        try:
            self._tu = on_deep_stack(lambda: index.parse(path, args=args, unsaved_files=files or None,
                                                         options=_PARSE_OPTIONS))
        except ci.TranslationUnitLoadError as exc:
            raise FrontendError(f"libclang could not parse {path} ({exc}{memory_hint()})") from None
        # clang names files relative to its working directory (-working-directory).
        cwd = args[args.index("-working-directory") + 1] if "-working-directory" in args[:-1] else os.getcwd()
        self.locations = Locations(cwd, unsaved)
        self._expressions = Expressions(self._tu, self._fast)
        self._statements = Statements(self._tu, self._fast, self._expressions)
        self._paths: dict[int, str] = {}  # CXFile -> real path
        self._files: list[tuple[int, int]] | None = None  # see _inclusions

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
            path = self._paths[handle] = self.locations.real(self._fast.file_name(handle))
        return path

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
        find anything (see Expressions.is_origin): most of them, and the cheapest
        to leave."""
        fast, tu = self._fast, self._tu
        raw = fast.lib
        scan = self._expressions.scanner() if relevant_only else None
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
            if kind == FUNCTION_DECL and not raw.clang_isCursorDefinition(decl):
                continue
            decl._tu = tu
            spelling = decl.spelling
            if once is not None and not raw.clang_Location_isFromMainFile(location):
                raw.clang_getExpansionLocation(location, None, None, None, ctypes.byref(offset))
                if not once((path, offset.value, spelling)):
                    continue
            function = spelling if kind == FUNCTION_DECL else ""
            scope = decl if kind == FUNCTION_DECL else None
            for expr in self._statement_roots(decl, scan):
                yield Root(expr, function, scope)

    def _statement_roots(self, cursor, scan=None) -> Iterator[Expr]:
        # Iterative: long `else if` chains and deep macro expansions must not hit
        # Python's recursion limit.
        fast, tu, expressions = self._fast, self._tu, self._expressions
        visit = fast.lib.clang_visitChildren
        pending = [cursor]
        while pending:
            node = pending.pop()
            statements: list = []
            for child in fast.children(node):
                if EXPR_FIRST <= child._kind_id <= EXPR_LAST:
                    if scan is not None:
                        # Most roots hold no origin: walk their cursors only, keeping
                        # the statements inside them (GNU statement expressions).
                        inner: list = []
                        if not expressions.is_origin(child) and not visit(child, scan, ctypes.py_object(inner)):
                            statements += inner
                            continue
                    child._tu = tu
                    yield expressions.convert(child, statements)
                else:
                    statements.append(child)
            pending.extend(reversed(statements))

    # -- functions (only for those where a finding may need them) -------------

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
        return self._statements.is_one_return(scope)

    def statements(self, scope) -> Stmt | None:
        """The body of a function (a Root's scope) as statements, with every local
        variable and parameter read identified (Expr.decl); None without a body."""
        return self._statements.body(scope)

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
            t = self._expressions.ctype(param.type)
            out.append((param.hash, (t.min, t.max)) if t.is_integer and not t.is_bool else None)
        return out
