"""The rules. Each module has CODE, NAME, SUMMARY, DEFAULT (on by default) and
check(widenings, source) yielding findings.

CODES and DEFAULT_RULES name the rules without importing them (and with them
the whole analysis): a kbuild invocation whose result is cached, and the
reading of suppression comments, need only the names. RULES (code -> module)
imports the check modules on first use. tests/test_rule_docs.py checks that
the names here agree with the modules.
"""

from __future__ import annotations

CODES = ("SL001", "SL002", "SL003", "SL004", "SL005", "SL006", "SL007", "SL008")
DEFAULT_RULES = frozenset({"SL001", "SL002", "SL003", "SL008"})


def __getattr__(name: str):
    if name != "RULES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import sl001, sl002, sl003, sl004, sl005, sl006, sl007, sl008

    rules = {module.CODE: module for module in (sl001, sl002, sl003, sl004, sl005, sl006, sl007, sl008)}
    globals()["RULES"] = rules
    return rules
