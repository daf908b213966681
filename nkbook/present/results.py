"""Glue: every number in a chapter's prose is computed, glued, and recorded as a result.

:func:`put` glues a plain Python value (NumPy scalars break myst-nb's format specs, MyST-NB
issue 610) so that the prose can show it with ``{glue:text}`key:.1f```. The build driver reads
the glued values back out of each executed notebook and writes them as that chapter's
machine-readable results (``results/<chapter>.json``), which the synthesis chapter, the claims
chapter and the published-results check read.
"""

from __future__ import annotations

import ast
import json
import math
import os
from typing import Any

import numpy as np
import pandas as pd

from nkbook.core.context import results_dir


def plain(value):
    """Convert NumPy / pandas scalars to plain Python values (None for missing)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) else v
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def put(name: str, value, digits: int | None = None) -> None:
    """Glue one value under ``name`` (not displayed where computed)."""
    from myst_nb import glue

    value = plain(value)
    if digits is not None and isinstance(value, float):
        value = round(value, digits)
    if value is None:
        raise ValueError(f"result {name!r} is missing: a glued number must be computed from the data")
    glue(name, value, display=False)


def put_all(values: dict, digits: int | None = None) -> None:
    for k, v in values.items():
        put(k, v, digits)


class Results(dict):
    """What a chapter's ``compute()`` returns: every value its prose glues, by name.

    Values are stored as plain Python (``plain``); a missing value is refused at once, naming it,
    because a glued number must be computed from the data (a part that cannot be computed for the
    run's years glues a computed sentence saying so instead). Frames and fitted models that the
    chapter's charts and tables need ride along in ``.frames`` and ``.extra``, not as results.
    The notebook glues everything with ``r.glue()``; tests compare ``r`` with the published
    snapshot without building the book.
    """

    def __init__(self) -> None:
        super().__init__()
        self.frames: dict[str, pd.DataFrame] = {}
        self.extra: dict[str, Any] = {}

    def put(self, name: str, value, digits: int | None = None) -> None:
        value = plain(value)
        if digits is not None and isinstance(value, float):
            value = round(value, digits)
        if value is None:
            raise ValueError(f"result {name!r} is missing: a glued number must be computed from the data")
        self[name] = value

    def put_all(self, values: dict, digits: int | None = None) -> None:
        for k, v in values.items():
            self.put(k, v, digits)

    def findings(self, *sentences: str) -> None:
        """The chapter's key findings: 3 to 5 sentences built from its computed words and numbers.

        They are stored as the result ``key_findings`` (a list, checked like every result) and
        glued as Markdown (``key_findings_md``) for the box at the top of the chapter::

            ````{admonition} Key findings
            :class: key-findings
            ```{glue:md} key_findings_md
            :format: myst
            ```
            ````
        """
        points = [s.strip() for s in sentences]
        if not 3 <= len(points) <= 5 or not all(points):
            raise ValueError(f"key findings need 3 to 5 non-empty sentences, got {len(points)}")
        self["key_findings"] = points

    def findings_markdown(self) -> str:
        return "\n".join(f"- {s}" for s in self["key_findings"])

    def glue(self) -> None:
        """Glue every value (in a notebook: the prose reads them with ``{glue:text}``)."""
        put_all(self)
        if "key_findings" in self:
            from IPython.display import Markdown
            from myst_nb import glue

            glue("key_findings_md", Markdown(self.findings_markdown()), display=False)


def extract(notebook: dict) -> dict:
    """The glued literal values of an executed notebook, by name (in glue order)."""
    out = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) or []:
            meta = output.get("metadata", {}).get("scrapbook", {})
            name = meta.get("name")
            # glue(display=False) stores the value under a prefixed mime type
            text = output.get("data", {}).get(meta.get("mime_prefix", "") + "text/plain")
            if not name or text is None:
                continue
            text = "".join(text) if isinstance(text, list) else text
            try:
                out[name] = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                continue  # a glued table or chart: not a result value
    return out


def read(chapter: str, default_dir: str | os.PathLike | None = None) -> dict:
    """Read another chapter's results (from this build when run by the driver)."""
    path = results_dir(default_dir) / f"{chapter}.json"
    if not path.exists():
        raise FileNotFoundError(
            f"no results for chapter {chapter!r} at {path}: build the book first (make book), "
            "which executes the factor chapters before this one"
        )
    return json.loads(path.read_text(encoding="utf-8"))["results"]
