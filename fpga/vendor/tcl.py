"""Tiny helpers to write Tcl safely: quote a Python value as one Tcl word, emit `set` lines."""
from __future__ import annotations

import re

_PLAIN = re.compile(r"^[A-Za-z0-9_.:/+=@,%-]+$")


def word(value) -> str:
    """One Tcl word that reads back as ``str(value)`` (no substitution happens inside it)."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value)
    if s and _PLAIN.match(s):
        return s
    if _braces_ok(s) and not s.endswith("\\"):
        return "{" + s + "}"
    return "".join("\\" + c if c in '\\${}[]";\n \t' else c for c in s) or "{}"


def _braces_ok(s: str) -> bool:
    depth = 0
    for i, c in enumerate(s):
        if c == "\\":
            return False
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def tcl_list(values) -> str:
    return "[list " + " ".join(word(v) for v in values) + "]" if values else "[list]"


def set_lines(pairs) -> str:
    """``set name value`` lines; list values become ``[list ...]``."""
    out = []
    for name, value in pairs:
        v = tcl_list(value) if isinstance(value, (list, tuple)) else word(value)
        out.append(f"set {name} {v}")
    return "\n".join(out) + "\n"


def number_steps(text: str) -> str:
    """Fill in the total of ``fpga_step`` markers so the runner can draw a progress bar."""
    return text.replace("@STEPS@", str(len(re.findall(r"^\s*fpga_step ", text, re.M))))


STEP_PROC = """\
# Progress markers read by `fpga build` (one line each on stdout).
set fpga_step_n 0
proc fpga_step {what} {
    global fpga_step_n
    incr fpga_step_n
    puts "FPGA-STEP: $fpga_step_n/@STEPS@ $what"
    flush stdout
}
"""
