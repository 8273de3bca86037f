"""Where raw pages come from: local files and folders, WARC archives."""

from pressroom.sources.local import (
    SUPPORTED_SUFFIXES,
    iter_input_files,
    read_file,
    require_existing,
)

__all__ = ["SUPPORTED_SUFFIXES", "iter_input_files", "read_file", "require_existing"]
