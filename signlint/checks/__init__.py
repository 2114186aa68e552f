"""The rules. Each module has CODE, NAME, SUMMARY, DEFAULT (on by default) and
check(widenings, analysis, source, function) yielding findings: what to match in
the analysis, and what to say and how to fix it.

CODES and DEFAULT_RULES name the rules without importing them (and with them
the whole analysis): a kbuild invocation whose result is cached, and the
reading of suppression comments, need only the names. RULES (code -> module)
imports the check modules on first use, each named by its code (sl001.py for
SL001): a new rule adds its code here and nothing else in this file.
tests/test_rule_docs.py checks that the names here agree with the modules.
"""

from __future__ import annotations

import importlib

CODES = ("SL001", "SL002", "SL003", "SL004", "SL005", "SL006", "SL007", "SL008")
DEFAULT_RULES = frozenset({"SL001", "SL002", "SL003", "SL008"})


def __getattr__(name: str):
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    rules = {code: importlib.import_module(f".{code.lower()}", __name__) for code in CODES}
    globals()["RULES"] = rules
    return rules
