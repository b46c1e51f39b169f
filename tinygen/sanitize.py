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
    if len(text) > limit:
        text = _shorten(text, limit)
    if text.endswith("\\"):
        text += " "
    return text


_CUTS = ";, /|:"


def _shorten(text: str, limit: int) -> str:
    """text cut to at most `limit` characters with "...": at the last separator (; , / space...)
    that keeps at least half of it, so names are not cut in the middle of a word."""
    room = max(limit - 3, 1)
    head = text[:room]
    cut = max(head.rfind(c) for c in _CUTS)
    if cut >= room // 2:
        head = head[:cut + 1] if head[cut] in ";,/|:" else head[:cut]
    else:
        m = re.search(r"[A-Za-z0-9]+$", head)  # no separator: drop the partial word
        if m and m.start() >= room // 2:
            head = head[:m.start()]
    return head.rstrip() + "..."


def quote_name(s: str, limit: int = 60, quotes: bool = True) -> str:
    """A name for an error message: printable ASCII, at most `limit` characters (cut with "..."),
    quoted. Corrupted models can carry names thousands of characters long."""
    text = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in str(s))
    if len(text) > limit:
        text = _shorten(text, limit)
    return f"'{text}'" if quotes else text
