"""PuppetDB 7's text for a v4 query that is not JSON: Jackson's error, framed as
`Json parse error at line L, column C:\n\n<text>\n<caret>\n\n<message>`.

Python's json module finds the same error at the same place; this module gives it
Jackson's line, column and wording (measured against PuppetDB 7.12.1, Jackson 2,
tests/conformance). Jackson's column is one past the offending character (the end of
the input counts as one past its last character), and the caret stands one column
left of it.
"""
from __future__ import annotations

import json

_VALUE = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_SOURCE = "[Source: (StringReader); line: 1, column: {}]"


def _as_before_3_13(text: str, error: json.JSONDecodeError) -> json.JSONDecodeError:
    """Python 3.13 reports `[1,]` as an illegal trailing comma at the comma; earlier
    Pythons, like Jackson, at the closing bracket that follows it. One position for all."""
    if not error.msg.startswith("Illegal trailing comma"):
        return error
    closing = error.pos + 1
    while closing < len(text) and text[closing] in " \t\r\n":
        closing += 1
    expected = ("Expecting value" if error.msg.endswith("array")
                else "Expecting property name enclosed in double quotes")
    return json.JSONDecodeError(expected, text, closing)


def message(text: str, error: json.JSONDecodeError) -> str:
    error = _as_before_3_13(text, error)
    line_start = text.rfind("\n", 0, error.pos) + 1
    at_end = error.pos >= len(text.rstrip())
    column = (len(text.rstrip()) - line_start + 1) if at_end else error.pos - line_start + 2
    shown_line = text[line_start:].split("\n", 1)[0]
    caret = " " * max(column - 2, 0) + "^"
    return (f"Json parse error at line {error.lineno}, column {column}:\n\n{shown_line}\n"
            f"{caret}\n\n{_wording(text, error, at_end)}")


def _open_containers(text: str, end: int) -> list[tuple[str, int]]:
    """The brackets still open before `end`: (bracket, index), outermost first."""
    stack: list[tuple[str, int]] = []
    in_string = escaped = False
    for index, char in enumerate(text[:end]):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            stack.append((char, index))
        elif char in "]}" and stack:
            stack.pop()
    return stack


def _character(char: str) -> str:
    return f"'{char}' (code {ord(char)})"


def _wording(text: str, error: json.JSONDecodeError, at_end: bool) -> str:
    open_ = _open_containers(text, error.pos)
    kind = "Array" if open_ and open_[-1][0] == "[" else "Object"
    if at_end:
        if not open_:
            return "No content to map due to end-of-input"
        return (f"Unexpected end-of-input: expected close marker for {kind} (start marker at "
                + _SOURCE.format(open_[-1][1] + 1) + ")")
    char = text[error.pos]
    if error.msg == "Extra data":
        if char in "]}":
            return (f"Unexpected close marker '{char}': expected '}}' (for root starting at "
                    + _SOURCE.format(0) + ")")
        return f"Unexpected character ({_character(char)}): expected end-of-input"
    if error.msg.startswith("Expecting ',' delimiter"):
        return (f"Unexpected character ({_character(char)}): was expecting comma to separate "
                f"{kind} entries")
    if char.isalnum():
        token = char
        for following in text[error.pos + 1:]:
            if not following.isalnum():
                break
            token += following
        return f"Unrecognized token '{token}': was expecting {_VALUE}"
    return f"Unexpected character ({_character(char)}): expected a valid value {_VALUE}"
