"""Make strings taken from a model safe to place in generated C."""

from __future__ import annotations

import re

_IDENT_BAD = re.compile(r"[^A-Za-z0-9_]")


def c_identifier(s: str, fallback: str = "model") -> str:
    """A valid, lowercase C identifier derived from s."""
    ident = _IDENT_BAD.sub("_", s).strip("_").lower()
    ident = re.sub(r"_+", "_", ident)
    if not ident:
        ident = fallback
    if ident[0].isdigit():
        ident = "m_" + ident
    return ident[:48]


def c_comment(s: str, limit: int = 96) -> str:
    """Text safe inside a /* ... */ comment: printable ASCII, no comment delimiters, no trigraphs,
    no line breaks."""
    out = []
    for ch in str(s):
        o = ord(ch)
        out.append(ch if 32 <= o < 127 else "?")
    text = "".join(out)
    # break every '*/' and '/*' and every '??' (trigraph start) apart, repeatedly
    while "*/" in text or "/*" in text or "??" in text:
        text = text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
    if text.endswith("\\"):
        text += " "
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text
