"""Operations that write id tokens, transactions and meter values; one module per subject."""

from transactions.services.tokens import Authorization, authorize

__all__ = ["Authorization", "authorize"]
