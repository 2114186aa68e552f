"""Does code rely on a helper's int result being negative? Then making the helper
return an unsigned type would change behaviour: `get_be32(p) < 0` becomes always
false, and `return -EINVAL;` turns into a large positive value.

Read from the tokens (of the helper, and of the TU's main file and the helper's
file for its callers), so it errs towards refusing: any sign test of the call's
result, or of a variable assigned from it, counts.
"""

from __future__ import annotations

from ..front.locations import file_tokens

# `x < 0` and `x >= 0` test the sign; so does any comparison with a negative value.
_SIGN_TESTS = {"<", ">="}
_REVERSED = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_COMPARISONS = set(_REVERSED)
_NOT_TYPES = {"return", "if", "while", "else", "case", "do", "sizeof"}


def refusal(name: str, scope) -> str:
    """Why `name`'s result type must stay signed ('' when nothing says so)."""
    body = list(scope.get_tokens())
    for i, token in enumerate(body[:-1]):
        if token.spelling == "return" and body[i + 1].spelling == "-":
            return f"{name}() returns a negative value (line {token.location.line})"
    for tokens in _files_tokens(scope):
        found = _sign_test(name, tokens)
        if found:
            return found
    return ""


def _files_tokens(scope):
    """The tokens of the TU's main file, and of the helper's file when it is another one."""
    tu = scope.translation_unit
    main = list(tu.cursor.get_tokens())
    yield main
    helper_file = scope.location.file.name if scope.location.file else None
    main_file = main[0].location.file.name if main and main[0].location.file else None
    if helper_file and helper_file != main_file:
        yield file_tokens(tu, helper_file)


def _sign_test(name: str, tokens) -> str:
    spelled = [t.spelling for t in tokens]
    held = set()  # variables assigned the call's result: `ret = get_be32(p); if (ret < 0)`
    for i, word in enumerate(spelled):
        if word != name or i + 1 >= len(spelled) or spelled[i + 1] != "(" or _declares(spelled, i):
            continue
        close = _closing(spelled, i + 1)
        if _compares_signed(spelled, i - 1, close + 1):
            return f"a caller tests the sign of {name}()'s result (line {tokens[i].location.line})"
        if i >= 2 and spelled[i - 1] == "=" and spelled[i - 2].isidentifier():
            held.add(spelled[i - 2])
    for i, word in enumerate(spelled):
        if word in held and _compares_signed(spelled, i - 1, i + 1):
            return (f"a caller tests the sign of '{word}', which holds {name}()'s result "
                    f"(line {tokens[i].location.line})")
    return ""


def _declares(spelled: list[str], i: int) -> bool:
    """The helper's own definition or a prototype: `int get_be32(`."""
    return i > 0 and (spelled[i - 1].isidentifier() and spelled[i - 1] not in _NOT_TYPES)


def _closing(spelled: list[str], open_at: int) -> int:
    depth = 0
    for j in range(open_at, len(spelled)):
        depth += {"(": 1, ")": -1}.get(spelled[j], 0)
        if depth == 0:
            return j
    return len(spelled) - 1


def _compares_signed(spelled: list[str], before: int, after: int) -> bool:
    """Is the value between `before` and `after` compared with 0 for its sign, or with a negative value?"""
    following = after + 1 < len(spelled) and spelled[after] in _COMPARISONS
    if following and _signed_operand(spelled[after], spelled[after + 1]):
        return True
    if before >= 1 and spelled[before] in _COMPARISONS:
        operand = spelled[before - 2 : before] if before >= 2 and spelled[before - 2] == "-" else [spelled[before - 1]]
        if _signed_operand(_REVERSED[spelled[before]], operand[0]):
            return True
    return False


def _signed_operand(op: str, first: str) -> bool:
    """`x OP first...`: a comparison with a negative operand, or a sign test against 0."""
    return first == "-" or (first in ("0", "0L", "0LL") and op in _SIGN_TESTS)
