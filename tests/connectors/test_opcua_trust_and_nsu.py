"""OPC UA as plants run it, against real asyncua servers on 127.0.0.1: a server that does not
trust the station's certificate, and node ids by namespace URI (`nsu=`), which survive a server
that numbers its namespaces differently after a restart (docs/CONNECTORS.md)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from asyncua import ua
from asyncua.server.uaprocessor import UaProcessor
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.ua_binary import struct_from_binary, uatcp_to_binary

from connectors.base import ConnectionRunner, ConnectionState
from connectors.opcua import OpcUaDriver
from connectors.sim.opcua_server import OpcUaSimServer
from core.samples import Sample
from tests.connectors.test_opcua import conn, free_port, make_certificate, read_until, tag

pytestmark = pytest.mark.slow  # protocol servers on 127.0.0.1

module_loop = pytest.mark.asyncio(loop_scope="module")
CHECKS_FAILED = ua.StatusCode(ua.UInt32(StatusCodes.BadSecurityChecksFailed))


def refuse_untrusted(monkeypatch: pytest.MonkeyPatch, trusted: bytes, how: str) -> None:
    """Make asyncua's server refuse every client certificate but `trusted` when the secure channel
    opens, as PLCs do: with an ERR message ("error"), or with an OpenSecureChannel response that
    carries the status ("response")."""
    opened: Any = UaProcessor.open_secure_channel

    def open_secure_channel(self: Any, algohdr: Any, seqhdr: Any, body: Any) -> None:
        if not algohdr.SenderCertificate or algohdr.SenderCertificate == trusted:
            opened(self, algohdr, seqhdr, body)
            return
        if how == "error":
            error: Any = ua.MessageType.Error  # asyncua annotates its message types loosely
            self._transport.write(uatcp_to_binary(error, ua.ErrorMessage(CHECKS_FAILED)))
            self._transport.close()
            return
        request = struct_from_binary(ua.OpenSecureChannelRequest, body)
        self._connection.select_policy(
            algohdr.SecurityPolicyURI, algohdr.SenderCertificate, request.Parameters.SecurityMode
        )
        response = ua.OpenSecureChannelResponse()
        response.ResponseHeader.ServiceResult = CHECKS_FAILED
        self.send_response(request.RequestHeader.RequestHandle, seqhdr, response, ua.MessageType.SecureOpen)

    monkeypatch.setattr(UaProcessor, "open_secure_channel", open_secure_channel)


@module_loop
@pytest.mark.parametrize("how", ["response", "error"])
async def test_an_untrusted_certificate_is_named_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    server_cert, server_key = make_certificate(tmp_path, "plc", "urn:ms5-floor:test:plc")
    client_cert, client_key = make_certificate(tmp_path, "station", "urn:ms5-floor:test:station")
    port = free_port()
    secure = {
        "security_policy": "Basic256Sha256",
        "certificate": str(client_cert),
        "private_key": str(client_key),
        "server_certificate": str(server_cert),
        "server_private_key": str(server_key),
    }
    tags = [tag("ns=2;s=Secure.Count", "int32")]
    refuse_untrusted(monkeypatch, b"", how)
    sim = OpcUaSimServer(conn(port, **secure), tags)
    await sim.start()
    states: list[tuple[ConnectionState, str | None]] = []
    runner = ConnectionRunner(
        OpcUaDriver(conn(port, **secure), tags),
        lambda _s: None,
        on_state=lambda d: states.append((d.state, d.last_error)),
    )
    task = asyncio.create_task(runner.run())
    try:
        while not states:
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sim.stop()
    assert states[0] == (
        ConnectionState.FAILED,
        f"opc.tcp://127.0.0.1:{port}: the server rejected this station's certificate; "
        f"trust {client_cert} on the server",
    )


NSU = "urn:plant:line1"


@module_loop
async def test_namespace_uri_ids_are_resolved_at_each_connect() -> None:
    port = free_port()
    wanted = [tag(f"nsu={NSU};s=Filler.Count", "int32"), tag("ns=2;s=Filler.Count", "int32")]
    # First the URI is namespace 3 (another one was registered before it), then 2.
    first = OpcUaSimServer(conn(port), [tag("ns=2;s=Other", "int32"), wanted[0]])
    second = OpcUaSimServer(conn(port), [wanted[0]])
    driver = OpcUaDriver(conn(port), wanted)
    await first.start()
    try:
        first.set(1, 41)
        await driver.connect()
        got = await read_until(driver, lambda r: r[0].value == 41)
        assert got[1].value is None  # ns=2 is the other namespace on this server: no such node
        await driver.close()
    finally:
        await first.stop()
    await second.start()
    try:
        second.set(0, 42)
        await driver.connect()
        got = await read_until(driver, lambda r: r[0].value == 42)
        assert got[1].value == 42  # the same node, by index, now that the URI is namespace 2
    finally:
        await driver.close()
        await second.stop()


@module_loop
async def test_an_unknown_namespace_uri_fails_the_connection_with_one_line() -> None:
    port = free_port()
    sim = OpcUaSimServer(conn(port), [tag("ns=2;s=A", "int32")])
    await sim.start()
    states: list[tuple[ConnectionState, str | None]] = []
    got: list[Sample] = []
    runner = ConnectionRunner(
        OpcUaDriver(conn(port), [tag("nsu=urn:elsewhere;s=A", "int32")]),
        got.extend,
        on_state=lambda d: states.append((d.state, d.last_error)),
    )
    task = asyncio.create_task(runner.run())
    try:
        while not states:
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await sim.stop()
    assert states[0] == (
        ConnectionState.FAILED,
        f"opc.tcp://127.0.0.1:{port}: the server has no namespace 'urn:elsewhere' "
        f"(nsu=urn:elsewhere;s=A); it has: http://opcfoundation.org/UA/, urn:freeopcua:python:server, "
        f"urn:ms5-floor:sim:ua{port}:2",
    )
