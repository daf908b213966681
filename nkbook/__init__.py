"""Shared code of the book: data, charts, statistics, results and the build driver."""
