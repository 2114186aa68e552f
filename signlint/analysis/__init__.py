"""The analysis: how many value bits each expression can hold, and where an int
is widened.

In: a TranslationUnit's roots (front). Out: per root, a values.ValueAnalysis
(its widenings, char uses, sign shifts; the rules per operator in operators, the
Values in value_types) read with the ranges its function's code proves (context,
conditions, facts, syntax, byte_uses, helpers); reading.Reader is the one entry
point. Imports only front and the records; it knows no rule.
"""
