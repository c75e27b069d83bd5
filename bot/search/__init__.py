"""Searching stored items: their words as the index holds them, queries, and what a hit is."""
