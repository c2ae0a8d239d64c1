"""Admin for id tokens (tokens.py) and sessions with their meter values and notes (sessions.py)."""

from transactions.admin import sessions, tokens  # noqa: F401  (registers the ModelAdmins)
