"""Reporting: findings shown to people and machines.

In: findings and a run's report. Out: text, JSON, SARIF, GitHub annotations
(output, formats), progress lines, what the analysis saw on a line (explain),
finding fingerprints, and files written whole or not at all (report_file).
Imports the records, front, analysis and checks (for rule names and documents).
"""
