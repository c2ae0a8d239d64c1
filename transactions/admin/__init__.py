"""Admin for id tokens (tokens.py), sessions with their meter values and notes (sessions.py), and what session
commands left behind: reservations, charging profiles, local lists (operations.py)."""

from transactions.admin import operations, sessions, tokens  # noqa: F401  (registers the ModelAdmins)
