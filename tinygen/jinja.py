"""The Jinja2 environment of every generated file (model C, start-up code, linker scripts):
strict (an undefined name is an error), no autoescaping (C, not HTML), templates from templates/.
Filter `c_comment`: text made safe inside a /* ... */ comment (tinygen.sanitize), for every string
that comes from a model or a board file."""

from __future__ import annotations

from functools import lru_cache

import jinja2

from .paths import TEMPLATES_DIR
from .sanitize import c_comment


@lru_cache(maxsize=None)
def template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["c_comment"] = lambda s, limit=96: c_comment(str(s), limit)
    return env
