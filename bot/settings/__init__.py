"""Settings: YAML -> validated, frozen models."""
