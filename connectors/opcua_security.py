"""OPC UA security: the client's certificate and key files, the server's certificate as it
presents it, and the Basic256Sha256 channel set up on an asyncua client (with the server's
certificate pinned when the options name one)."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from pathlib import Path

from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto import security_policies
from asyncua.crypto.uacrypto import CertProperties
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError, UaStatusCodeError
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from connectors.base import ConnectorError
from connectors.opcua_codec import OpcUaOptions, describe_error

# What servers answer a client certificate they do not trust: OPC UA (Part 4, 5.5.2) wants them to
# hide why, so most (open62541, Siemens, asyncua's own validator) say BadSecurityChecksFailed.
_REJECTED = frozenset((StatusCodes.BadSecurityChecksFailed, StatusCodes.BadCertificateUntrusted))


def certificate_rejected(exc: BaseException, opts: OpcUaOptions) -> str | None:
    """The line to show when `exc` says the server refused this station's certificate, else None.

    Besides a status code, there is the server that answers OpenSecureChannel with a response
    that carries the bad status: asyncua then fails its own assertion in `open_secure_channel`
    (the status is logged, never raised), which would pass for a bug in the station."""
    if not opts.secure:
        return None
    refused = isinstance(exc, UaStatusCodeError) and exc.code in _REJECTED
    if isinstance(exc, AssertionError):
        frames = traceback.extract_tb(exc.__traceback__)
        refused = bool(frames) and frames[-1].name == "open_secure_channel"
    if not refused:
        return None
    return f"the server rejected this station's certificate; trust {opts.certificate} on the server"


def read_certificate_der(path: str) -> bytes:
    """A PEM or DER certificate file, as DER."""
    data = Path(path).read_bytes()
    cert = (
        x509.load_pem_x509_certificate(data)
        if b"-----BEGIN" in data
        else x509.load_der_x509_certificate(data)
    )
    return cert.public_bytes(serialization.Encoding.DER)


def read_private_key(path: str) -> tuple[bytes, str]:
    """A PEM or DER private key file (checked to be one), with its format."""
    data = Path(path).read_bytes()
    if b"-----BEGIN" in data:
        serialization.load_pem_private_key(data, password=None)
        return data, "pem"
    serialization.load_der_private_key(data, password=None)
    return data, "der"


def _first_certificate(der: bytes) -> bytes:
    """The leading certificate of a DER chain (servers may send theirs with its issuers)."""
    if len(der) < 2 or not der[1] & 0x80:
        return der
    n = der[1] & 0x7F
    return der[: 2 + n + int.from_bytes(der[2 : 2 + n], "big")]


def _certificate_uri(der: bytes) -> str | None:
    """The application URI in the certificate's subjectAltName (OPC UA servers check that the
    client's ApplicationUri matches it)."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return None
    uris = san.value.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


async def apply_security(client: Client, opts: OpcUaOptions, url: str, count: Callable[[], None]) -> None:
    """Set `client` up for the Basic256Sha256 channel `opts` ask for; ConnectorError (one line) when
    a file cannot be read, the server offers no such endpoint, or its certificate is not the pinned
    one. `count` is called once per request sent (the driver counts its requests)."""
    assert opts.certificate is not None and opts.private_key is not None
    policy = security_policies.SecurityPolicyBasic256Sha256
    mode = getattr(ua.MessageSecurityMode, opts.security_mode)
    # Read here rather than by asyncua, which takes a file for DER unless its name ends in .pem.
    path = opts.certificate
    try:
        own = await asyncio.to_thread(read_certificate_der, path)
        path = opts.private_key
        key, key_format = await asyncio.to_thread(read_private_key, path)
        path = opts.server_certificate or ""
        pinned = await asyncio.to_thread(read_certificate_der, path) if path else None
    except (OSError, ValueError, TypeError) as exc:
        raise ConnectorError(f"cannot load {path!r}: {describe_error(exc)}") from None
    uri = _certificate_uri(own)
    if uri:
        client.application_uri = uri
    # GetEndpoints over an unsecured channel (which OPC UA allows for discovery) says which
    # certificate the server presents: compared with the pinned one here, as a mismatch would
    # otherwise only show as a server that never answers.
    count()
    endpoints = await client.connect_and_get_server_endpoints()
    try:
        endpoint = Client.find_endpoint(endpoints, mode, policy.URI)
    except UaError:
        raise ConnectorError(
            f"{url}: the server offers no {opts.security_policy} {opts.security_mode} endpoint"
        ) from None
    presented = _first_certificate(endpoint.ServerCertificate or b"")
    if pinned is not None and presented != pinned:
        raise ConnectorError(f"{url}: the server's certificate is not the one in server_certificate")
    await client.set_security(
        policy,
        CertProperties(own, extension="der"),
        CertProperties(key, extension=key_format),
        server_certificate=CertProperties(presented, extension="der"),
        mode=mode,
    )
