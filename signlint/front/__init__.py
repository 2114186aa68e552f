"""The front end: from files on disk to expression trees.

In: paths and flags (a compile database, or the command line). Out: a
TranslationUnit per parsed file, whose roots are ir.Expr and ir.Stmt trees free
of libclang, and its Source (the text, for messages and fix-its). libclang is
loaded here and nowhere else. Imports only the records.
"""
