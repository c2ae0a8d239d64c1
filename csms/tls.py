"""TLS settings of the node (security profiles 2 and 3), checked at start-up so a bad path names its setting.

Used by csms/config.py only; the server options built from them are in csms/server.py.
"""

from __future__ import annotations

import ipaddress
import ssl
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def is_network(value: str) -> bool:
    """An IP address or CIDR network (a trusted proxy)."""
    try:
        ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return False
    return True


def check_files(*, cert: str, key: str, ca: str, client_cert: str) -> ssl.VerifyMode:
    """Load the files as the server will; returns how client certificates are asked for (CERT_NONE: not at all)."""
    if not cert:
        for name, value in (("NODE_TLS_KEY", key), ("NODE_TLS_CA", ca)):
            if value:
                raise ImproperlyConfigured(f"{name}: set NODE_TLS_CERT too (TLS is off without a certificate)")
        return ssl.CERT_NONE
    _readable("NODE_TLS_CERT", cert)
    if key:
        _readable("NODE_TLS_KEY", key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key or None)
    except (ssl.SSLError, ValueError) as exc:
        names = "NODE_TLS_CERT / NODE_TLS_KEY" if key else "NODE_TLS_CERT (no NODE_TLS_KEY: the key must be in it)"
        raise ImproperlyConfigured(f"{names}: not a certificate and its private key in PEM ({exc})") from exc
    if not ca:
        return ssl.CERT_NONE
    _readable("NODE_TLS_CA", ca)
    try:
        context.load_verify_locations(cafile=ca)
    except (ssl.SSLError, ValueError) as exc:
        raise ImproperlyConfigured(f"NODE_TLS_CA: not a PEM bundle of CA certificates ({exc})") from exc
    return ssl.CERT_REQUIRED if client_cert == "required" else ssl.CERT_OPTIONAL


def _readable(name: str, path: str) -> None:
    try:
        with Path(path).open("rb"):
            pass
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}: cannot read {path!r} ({exc.strerror})") from exc
