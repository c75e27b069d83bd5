"""Pure values and functions: models, text, identity, schedule maths, rendering."""
