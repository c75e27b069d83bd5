"""Places a chat follows: countries and regions (UN M49 and the field's own), names to places."""
