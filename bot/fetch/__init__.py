"""The HTTP adapter: conditional GET, byte caps, redirects and per-host limits over httpx."""

from bot.fetch.fetcher import HttpFetcher
from bot.fetch.limits import FetchLimits

__all__ = ["FetchLimits", "HttpFetcher"]
