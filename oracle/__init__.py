"""Ground truth by execution for signlint's SL001.

Random C functions in SL001's domain (narrow unsigned operands, shifts, masks,
casts, ternaries, each ending in a sink of some width) are generated as pycparser
ASTs, compiled with gcc and run on boundary inputs. Every observed value is
compared with the *ideal* value (the expression over unbounded non-negative
integers, reduced to the sink's width), and signlint's verdict on each function is
compared with what execution showed.

- model.py: C types, expression trees, the ideal evaluator and a model of C's
  evaluation (checked against gcc on every input), sinks.
- gen.py: the random generator, the renderer (c_ast / c_generator), input vectors
  and the program harness.
- run.py: compiling, running, signlint, classification, reduction and reports.
"""

from .model import Function, Sink
from .run import FunctionResult, ProgramResult, check_program, run_seeds

__all__ = ["Function", "FunctionResult", "ProgramResult", "Sink", "check_program", "run_seeds"]
