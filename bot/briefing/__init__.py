"""Briefings as data: stories and counts of a period's matches (pure; drawn by bot.drawing)."""
