"""The optional filters, run after boilerplate removal and before repair (so that nothing is
repaired only to be dropped).

Adding a filter takes its module under ``pressroom/stages/`` (a ``Filter`` and a settings
dataclass whose ``stage()`` returns it, or None while it is off) and one line in
:class:`FilterSettings`; a run then turns it on with ``IngestSettings.filters``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from pressroom.stages.base import Filter
from pressroom.stages.language import LanguageSettings


class FilterSettings(BaseModel):
    """The optional filters' settings, in the order the filters run; each is off by default."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    language: LanguageSettings = LanguageSettings()

    def stages(self) -> list[Filter]:
        """The filters these settings turn on, in order."""
        configured = (getattr(self, name).stage() for name in type(self).model_fields)
        return [stage for stage in configured if stage is not None]
