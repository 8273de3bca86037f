"""Self-checks of the benchmarks' own scoring (kept out of ``tests/``, which never imports
benchmark code): the benchmark scripts import each other by module name, from ``benchmarks/``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
