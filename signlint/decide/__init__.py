"""Deciding what to report: the user's configuration (signlint.toml), inline
suppressions, a baseline of known findings, and the lines a change touched.

In: findings. Out: the findings kept, and the reasons others were dropped.
Imports the records, front (targets), checks (rule codes) and report (paths and
files as shown).
"""
