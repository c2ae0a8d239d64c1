"""Token answers in each version's shape, shared by Authorize, Start/StopTransaction and TransactionEvent."""

from ocpp.v16.enums import AuthorizationStatus
from ocpp.v201.enums import AuthorizationStatusEnumType

from transactions.choices import AuthStatus
from transactions.services import Authorization

# 1.6 has no "Unknown": a token central does not know is Invalid.
STATUS_16 = {
    AuthStatus.ACCEPTED: AuthorizationStatus.accepted,
    AuthStatus.BLOCKED: AuthorizationStatus.blocked,
    AuthStatus.EXPIRED: AuthorizationStatus.expired,
    AuthStatus.INVALID: AuthorizationStatus.invalid,
    AuthStatus.UNKNOWN: AuthorizationStatus.invalid,
    AuthStatus.CONCURRENT_TX: AuthorizationStatus.concurrent_tx,
}
STATUS_201 = {
    AuthStatus.ACCEPTED: AuthorizationStatusEnumType.accepted,
    AuthStatus.BLOCKED: AuthorizationStatusEnumType.blocked,
    AuthStatus.EXPIRED: AuthorizationStatusEnumType.expired,
    AuthStatus.INVALID: AuthorizationStatusEnumType.invalid,
    AuthStatus.UNKNOWN: AuthorizationStatusEnumType.unknown,
    AuthStatus.CONCURRENT_TX: AuthorizationStatusEnumType.concurrent_tx,
}


def _rfc3339(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def id_tag_info_16(auth: Authorization) -> dict:
    """1.6 IdTagInfo: status, and expiryDate / parentIdTag where the token has them."""
    info = {"status": STATUS_16[auth.status].value}
    if auth.expiry:
        info["expiryDate"] = _rfc3339(auth.expiry)
    if auth.parent_value:
        info["parentIdTag"] = auth.parent_value
    return info


def id_token_info_201(auth: Authorization) -> dict:
    """2.0.1 IdTokenInfoType: status, and cacheExpiryDateTime / groupIdToken where the token has them."""
    info = {"status": STATUS_201[auth.status].value}
    if auth.expiry:
        info["cacheExpiryDateTime"] = _rfc3339(auth.expiry)
    if auth.parent_value:
        info["groupIdToken"] = {"idToken": auth.parent_value, "type": auth.token.parent.type}
    return info
