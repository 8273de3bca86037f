"""A document's short fields (title, issuer, release status) as repaired, with their audit trail.

A header field is a few words: too short to judge as spun on its own, so it is repaired with its
body's verdict (``repair_text(..., judged_spun=...)``). A field may be made of several header
lines (the issuer's "Mission; Office"); :func:`repaired_field` joins the repaired lines and
locates every repair and flag in the joined value, marked with the field's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from pressroom.repair import RepairedText
from pressroom.schemas import Repair, SpanFlag


@dataclass
class RepairedField:
    """One field's repaired value; ``value[start:end] == after`` for each repair."""

    value: str
    repairs: list[Repair]
    flags: list[SpanFlag]


def repaired_field(name: str, lines: Sequence[RepairedText], separator: str) -> RepairedField:
    """The field ``name`` made of the repaired ``lines`` joined by ``separator``; its repairs and
    flags are moved to where each line lands and marked as applying to ``name``."""
    repairs: list[Repair] = []
    flags: list[SpanFlag] = []
    offset = 0
    for line in lines:
        repairs += [
            replace(r, start=r.start + offset, end=r.end + offset, field=name) for r in line.repairs
        ]
        flags += [
            replace(f, start=f.start + offset, end=f.end + offset, field=name) for f in line.flags
        ]
        offset += len(line.text) + len(separator)
    return RepairedField(separator.join(line.text for line in lines), repairs, flags)
