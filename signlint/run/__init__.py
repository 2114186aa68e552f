"""Running a check: the commands (commands, kbuild, merge) and what they drive.

engine analyses one TU (flags from the compile database, a parse, the reading of
each root, the rules); schedule runs an engine over many TUs, in this process or
in worker processes (parallel), with results from the cache; fix applies
fix-its. Top of the house: may import every other stage.
"""
