"""A broken rule and the error that carries every one found: the data layer's only message types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """One broken rule, located as precisely as the rule allows."""

    file: str
    rule: str
    line: int | None = None
    key: str | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f" line {self.line}"
        if self.key:
            where += f" ({self.key})"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.rule}"


class DataError(Exception):
    """Bad input data: one or more problems, each naming file, line, column and rule."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"invalid data ({len(self.problems)} problem(s)):\n{shown}{more}")
