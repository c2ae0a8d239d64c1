"""Authorisation of id tokens: one answer for Authorize, StartTransaction and TransactionEvent in both versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from transactions.choices import AuthStatus, TokenStatus, TransactionStatus
from transactions.models import IdToken, Transaction

STORED_STATUS = {
    TokenStatus.BLOCKED: AuthStatus.BLOCKED,
    TokenStatus.EXPIRED: AuthStatus.EXPIRED,
    TokenStatus.INVALID: AuthStatus.INVALID,
}


@dataclass(frozen=True)
class Authorization:
    """What to answer about a token; `token` is None for a value central does not know."""

    status: AuthStatus
    token: IdToken | None = None

    @property
    def expiry(self) -> datetime | None:
        return self.token.expiry if self.token else None

    @property
    def parent_value(self) -> str:
        return self.token.parent.value if self.token and self.token.parent else ""


def authorize(*, value: str, at: datetime, exclude_transaction: Transaction | None = None) -> Authorization:
    """The token's standing at `at` (central's clock). Tokens match on value alone: stations disagree on the type.

    `exclude_transaction` leaves the session being started out of the concurrency count.
    """
    token = IdToken.objects.select_related("parent").filter(value=value).first()
    if token is None:
        return Authorization(AuthStatus.UNKNOWN)
    return Authorization(_status(token, at, exclude_transaction), token)


def _status(token: IdToken, at: datetime, exclude: Transaction | None) -> AuthStatus:
    for candidate in (token, token.parent):  # a blocked or expired group refuses its members
        if candidate is None:
            continue
        if candidate.status in STORED_STATUS:
            return STORED_STATUS[candidate.status]
        if candidate.expiry is not None and candidate.expiry <= at:
            return AuthStatus.EXPIRED
    if token.max_concurrent is not None:
        active = Transaction.objects.filter(id_token_value=token.value, status=TransactionStatus.ACTIVE)
        if exclude is not None and exclude.pk is not None:
            active = active.exclude(pk=exclude.pk)
        if active.count() >= token.max_concurrent:
            return AuthStatus.CONCURRENT_TX
    return AuthStatus.ACCEPTED
