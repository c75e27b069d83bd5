"""Settings: YAML -> validated, frozen models, with `${VAR}`, units and file:line errors."""

from bot.settings.loader import load_settings, read_settings
from bot.settings.model import Settings, SourceSettings

__all__ = ["Settings", "SourceSettings", "load_settings", "read_settings"]
