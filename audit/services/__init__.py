"""What the audit app does: record operator actions (entries), throttle password guessing (logins)."""

from audit.services.entries import audited, record, record_each, redact

__all__ = ["audited", "record", "record_each", "redact"]
