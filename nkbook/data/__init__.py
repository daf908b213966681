"""The data layer: loading every dataset against its schema, and the cross-file checks.

Errors name the file, the line, the record's key, the column and the rule.
"""

from .load import (
    DATA_DIR,
    DESCRIPTOR,
    DataError,
    Problem,
    descriptor,
    load,
    read_resource,
    resolve_data_dir,
    resources,
    sha256,
    used,
    validate_folder,
)

__all__ = [
    "DATA_DIR",
    "DESCRIPTOR",
    "DataError",
    "Problem",
    "descriptor",
    "load",
    "read_resource",
    "resolve_data_dir",
    "resources",
    "sha256",
    "used",
    "validate_folder",
]
