"""Use cases over narrow Protocols."""
