"""narcowatch: watches news sources and alerts Telegram subscribers about the topics they follow."""

__version__ = "0.1.0"
PROJECT_URL = "https://github.com/narcowatch/narcowatch"
USER_AGENT = f"narcowatch/{__version__} (+{PROJECT_URL})"
