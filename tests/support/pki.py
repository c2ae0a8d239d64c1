"""A throw-away PKI for TLS tests: a station CA, a server certificate for 127.0.0.1 and station client certificates."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(cn: str, key, issuer: x509.Certificate | None, issuer_key, *, ca: bool = False) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(issuer.subject if issuer else _name(cn)).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(hours=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if cn == "127.0.0.1":
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(cn))]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _write(directory: Path, name: str, cert: x509.Certificate, key) -> tuple[Path, Path]:
    crt, pem = directory / f"{name}.crt", directory / f"{name}.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def make_pki(directory: Path, stations: tuple[str, ...] = ("CP-3", "CP-OTHER")) -> dict:
    """{"ca": path, "cert"/"key": the server's for 127.0.0.1, <station id>: (crt, key) each, "rogue": (crt, key) of a
    certificate named CP-3 from another CA}."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("Test station CA", ca_key, None, None, ca=True)
    files = {"ca": _write(directory, "ca", ca, ca_key)[0]}
    key = ec.generate_private_key(ec.SECP256R1())
    files["cert"], files["key"] = _write(directory, "server", _issue("127.0.0.1", key, ca, ca_key), key)
    for station_id in stations:
        key = ec.generate_private_key(ec.SECP256R1())
        files[station_id] = _write(directory, station_id, _issue(station_id, key, ca, ca_key), key)
    rogue_key = ec.generate_private_key(ec.SECP256R1())
    rogue_ca = _issue("Rogue CA", rogue_key, None, None, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    files["rogue"] = _write(directory, "rogue", _issue("CP-3", key, rogue_ca, rogue_key), key)
    return files
