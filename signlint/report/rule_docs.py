"""The rule documents (rules/SLnnn.md), from the installed package or the checkout."""

from __future__ import annotations

import os
from importlib import resources


def rule_document(code: str) -> str:
    packaged = resources.files("signlint") / "_rules" / f"{code}.md"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # An editable install or a plain checkout: the repository's rules/ folder.
    checkout = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    here = os.path.join(checkout, "rules", f"{code}.md")
    with open(here, encoding="utf-8") as fh:
        return fh.read()
