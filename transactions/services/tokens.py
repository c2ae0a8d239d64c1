"""Authorisation of id tokens: one answer for Authorize, StartTransaction and TransactionEvent in both versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from transactions.choices import AuthStatus, TokenStatus, TokenType, TransactionStatus
from transactions.models import IdToken, Transaction

STORED_STATUS = {
    TokenStatus.BLOCKED: AuthStatus.BLOCKED,
    TokenStatus.EXPIRED: AuthStatus.EXPIRED,
    TokenStatus.INVALID: AuthStatus.INVALID,
}


@dataclass(frozen=True)
class Authorization:
    """What to answer about a token; `token` is None for a value central does not know (or need not look up)."""

    status: AuthStatus
    token: IdToken | None = None

    @property
    def expiry(self) -> datetime | None:
        return self.token.expiry if self.token else None

    @property
    def parent_value(self) -> str:
        return self.token.parent.value if self.token and self.token.parent else ""


def find_token(value: str) -> IdToken | None:
    """The token stored under `value`, compared without regard to case as both versions define idTag / idToken.

    The exact value is tried first so the common case uses the unique index; the
    case-insensitive scan runs only for values that are unknown as sent.
    """
    tokens = IdToken.objects.select_related("parent")
    return tokens.filter(value=value).first() or tokens.filter(value__iexact=value).first()


def authorize(*, value: str, at: datetime, exclude_transaction: Transaction | None = None,
              token_type: TokenType | None = None) -> Authorization:
    """The token's standing at `at` (central's clock). Tokens match on value alone: stations disagree on the type.

    `exclude_transaction` leaves the session being started out of the concurrency count.
    `token_type` is the type the station sent, where the protocol has one (2.0.1): a
    NoAuthorization token is Accepted without lookup, since the spec sends it (with an empty
    value) from stations that have no means of identifying anyone, and there is nothing to check.
    """
    if token_type == TokenType.NO_AUTHORIZATION:
        return Authorization(AuthStatus.ACCEPTED)
    token = find_token(value)
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
        # Sessions linked to the token, and those that carry its value without the link.
        active = Transaction.objects.filter(Q(id_token=token) | Q(id_token_value=token.value),
                                            status=TransactionStatus.ACTIVE)
        if exclude is not None and exclude.pk is not None:
            active = active.exclude(pk=exclude.pk)
        if active.count() >= token.max_concurrent:
            return AuthStatus.CONCURRENT_TX
    return AuthStatus.ACCEPTED
