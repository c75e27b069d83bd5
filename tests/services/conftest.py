"""Fixtures for service tests: the loopback feed server."""

from tests.support.feedserver import feedserver

__all__ = ["feedserver"]
