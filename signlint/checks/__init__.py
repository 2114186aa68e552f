"""The rules. Each module has CODE, NAME, SUMMARY, DEFAULT (on by default) and
check(widenings, source) yielding findings."""

from __future__ import annotations

from . import sl001

RULES = {module.CODE: module for module in (sl001,)}
DEFAULT_RULES = frozenset(code for code, module in RULES.items() if module.DEFAULT)
