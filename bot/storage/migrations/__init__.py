"""Alembic migrations of the narcowatch schema (env.py and versions/)."""
