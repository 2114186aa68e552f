"""Ground truth by execution for signlint's rules SL001-SL008.

Random C functions (narrow unsigned operands, bit-fields, literals, plain and
signed char bytes, shifts, products, complements, masks, casts, ternaries, each
ending in a sink of some width) are generated as pycparser ASTs, compiled with gcc
(-O0, -O2, -fsanitize=shift) and run on boundary inputs. Every observed value is
compared with the *ideal* value (the expression over unbounded integers with char
bytes read as unsigned, reduced to the sink's width); each wrong value is
attributed to the rules whose kind of difference it shows, and signlint's verdict
on each function is compared, rule by rule, with what execution showed.

- model.py: C types, expression trees, the ideal evaluator and a model of C's
  evaluation (checked against gcc on every input), sinks.
- gen.py: the random generator, the renderer (c_ast / c_generator), input vectors
  and the program harness.
- run.py: compiling, running, signlint, classification, reduction and reports.
"""

from .model import Function, Sink
from .run import FunctionResult, ProgramResult, check_program, run_seeds

__all__ = ["Function", "FunctionResult", "ProgramResult", "Sink", "check_program", "run_seeds"]
