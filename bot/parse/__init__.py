"""Pure parsing: fetched bytes to items (RSS, RDF, Atom, JSON Feed, HTML pages by selectors)."""

from bot.parse.dispatch import parse_body

__all__ = ["parse_body"]
