"""The front end: from files on disk to expression trees.

In: paths and flags (a compile database, or the command line). Out: a
TranslationUnit per parsed file, whose roots are ir.Expr and ir.Stmt trees free
of libclang, and its Source (the text, for messages and fix-its). libclang is
loaded here and nowhere else. Imports only the records.

The modules: files and compdb (what to parse, with which flags), libclang (the
bindings and the C declarations they lack), limits (stack and memory for a
parse), translation_unit (the parse and its walk), expressions and statements
(cursors into ir trees), locations (where things are written, and the text),
source (that text for the rules), ir (the trees).
"""
