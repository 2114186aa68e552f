"""The rules. Each module has CODE, NAME, SUMMARY, DEFAULT (on by default) and
check(widenings, source) yielding findings."""

from __future__ import annotations

from . import sl001, sl002, sl003, sl004, sl005, sl006, sl007, sl008

RULES = {module.CODE: module for module in (sl001, sl002, sl003, sl004, sl005, sl006, sl007, sl008)}
DEFAULT_RULES = frozenset(code for code, module in RULES.items() if module.DEFAULT)
