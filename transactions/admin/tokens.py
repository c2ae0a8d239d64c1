"""Admin for id tokens."""
