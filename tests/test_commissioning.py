"""`ms5 probe` and `ms5 browse` as an integrator runs them: real servers of each protocol on
127.0.0.1 (the simulator's, set to known values), `ms5` as a real process, its output and exit
code. Bad input is exit 2 and needs no server (run in this process); a PLC or network that says
no is exit 1; each is one line."""

from __future__ import annotations

import asyncio
import sys
import tomllib
from pathlib import Path

import pytest

from connectors.base import Tag
from connectors.registry import check as check_connections
from connectors.registry import sim_server_class
from connectors.sim.server import SimServer
from core.config import Connection, SignalBinding, parse_config
from tests.cli_runs import ROOT, Outcome, run_in_process
from tests.ports import free_port

HOST = "127.0.0.1"


def _tag(address: str, data_type: str, signal: str = "total_count") -> Tag:
    return Tag("M1", SignalBinding(signal=signal, connection="plc", address=address, type=data_type))  # type: ignore[arg-type]


# Per protocol: the URL's form, the connection options, and the tags served with their values.
SERVED: dict[str, tuple[str, dict[str, object], list[tuple[Tag, float]]]] = {
    "modbus": ("modbus://{host}:{port}", {}, [(_tag("hr:7", "uint16"), 1234), (_tag("coil:3", "bool"), 1)]),
    "opcua": (
        "opc.tcp://{host}:{port}",
        {},
        [
            (_tag("ns=2;s=Capper.Admin.ProdProcessedCount", "uint32"), 70000),
            (_tag("ns=2;s=Capper.Running", "bool", "running"), 1),
        ],
    ),
    "s7": (
        "s7://{host}:{port}?rack=0&slot=1",
        {"rack": 0, "slot": 1},
        [(_tag("DB10.DBD4", "int32"), -42), (_tag("DB10.DBX0.0", "bool"), 1)],
    ),
    "logix": (
        "logix://{host}:{port}/0?init_tags=false",
        {"init_tags": False},
        [(_tag("Packer.Admin.ProdProcessedCount", "int32"), 123456), (_tag("Packer_Andon", "bool"), 1)],
    ),
}


async def ms5(*argv: str) -> Outcome:
    """`python -m hmi.cli ...` in a process of its own, while this loop serves the PLC."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hmi.cli",
        *argv,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)  # a guard against a hang
    assert proc.returncode is not None
    return Outcome(proc.returncode, out.decode(), err.decode())


async def serving(protocol: str, port: int) -> SimServer:
    _, options, served = SERVED[protocol]
    conn = Connection(id="plc", protocol=protocol, host=HOST, port=port, options=options)  # type: ignore[arg-type]
    server = sim_server_class(protocol)(conn, [t for t, _ in served])
    for i, (_, value) in enumerate(served):
        server.set(i, value)
    await server.start()
    return server


@pytest.mark.slow
@pytest.mark.parametrize("protocol", list(SERVED))
def test_probe_reads_one_address_once_and_says_why_not(protocol: str) -> None:
    url_form, _, served = SERVED[protocol]
    (counter, count), (bit, _) = served
    port, dead = free_port(), free_port()
    url = url_form.format(host=HOST, port=port)

    async def scenario() -> list[Outcome]:
        server = await serving(protocol, port)
        try:
            return [
                await ms5("probe", url, counter.binding.address, "--type", counter.binding.type),
                await ms5("probe", url, bit.binding.address, "--type", "bool"),
                await ms5("probe", url, MISSING[protocol], "--type", "int32"),
                await ms5(
                    "probe",
                    url_form.format(host=HOST, port=dead),
                    counter.binding.address,
                    "--type",
                    counter.binding.type,
                ),
            ]
        finally:
            await server.stop()

    good, flag, missing, unreachable = asyncio.run(scenario())
    assert (good.returncode, good.stdout, good.stderr) == (
        0,
        f"{counter.binding.address} = {count:g} (good)\n",
        "",
    )
    assert (flag.returncode, flag.stdout) == (0, f"{bit.binding.address} = 1 (good)\n")
    # A refused address: exit 1 and one line that names it and says why.
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr.startswith(f"ms5 probe: {MISSING[protocol]}: ") and missing.stderr.count("\n") == 1
    assert REFUSED[protocol] in missing.stderr, missing.stderr
    # Nothing listening: exit 1, one line naming the PLC.
    assert (unreachable.returncode, unreachable.stdout) == (1, "")
    assert unreachable.stderr.startswith(f"ms5 probe: cannot reach the {protocol} PLC {HOST}:{dead}: ")
    assert unreachable.stderr.count("\n") == 1 and "Traceback" not in unreachable.stderr


# An address each server refuses, and the words its refusal is told in.
MISSING = {"modbus": "hr:60000", "opcua": "ns=2;s=Nope", "s7": "DB99.DBD0", "logix": "Nope"}
REFUSED = {
    "modbus": "illegal data address",
    "opcua": "BadNodeIdUnknown",
    "s7": "object does not exist",
    "logix": "no such tag",
}


@pytest.mark.slow
def test_probe_of_a_value_of_another_type_is_exit_1_naming_both_types() -> None:
    port = free_port()

    async def scenario() -> Outcome:
        server = await serving("logix", port)
        try:
            url = f"logix://{HOST}:{port}/0?init_tags=false"
            return await ms5("probe", url, "Packer.Admin.ProdProcessedCount", "--type", "float32")
        finally:
            await server.stop()

    wrong = asyncio.run(scenario())
    assert wrong.returncode == 1
    assert wrong.stderr == (
        "ms5 probe: Packer.Admin.ProdProcessedCount: wrong type: the PLC has DINT, bound as float32 (REAL)\n"
    )


@pytest.mark.slow
def test_browse_lists_variables_in_both_node_id_forms_and_binds_them(tmp_path: Path) -> None:
    port = free_port()
    url = f"opc.tcp://{HOST}:{port}"

    async def scenario() -> tuple[Outcome, Outcome, Outcome]:
        server = await serving("opcua", port)
        try:
            return (
                await ms5("browse", url),
                await ms5("browse", url, "--bind", "CAPPER"),
                await ms5("browse", url, "ns=2;s=Nope"),
            )
        finally:
            await server.stop()

    listing, bind, missing = asyncio.run(scenario())
    assert listing.returncode == 0, listing.stderr
    rows = [line.split() for line in listing.stdout.splitlines()[1:]]
    # The simulator's namespace 2 is urn:ms5-floor:sim:<connection id>:2; sorted by path.
    uri = "urn:ms5-floor:sim:plc:2"
    count, running = "Capper.Admin.ProdProcessedCount", "Capper.Running"
    assert rows == [
        [f"ns=2;s={count}", f"nsu={uri};s={count}", "UInt32", "uint32", count],
        [f"ns=2;s={running}", f"nsu={uri};s={running}", "Boolean", "bool", running],
    ], listing.stdout
    # The binding lines are a config's: pasted under the equipment, the config checks clean.
    assert bind.returncode == 0, bind.stderr
    config_text = (
        '[site]\nname = "x"\n[[lines]]\nid = "L1"\ntimezone = "UTC"\n'
        '[[lines.equipment]]\nid = "CAPPER"\nideal_cycle_time_s = 1\n'
        + bind.stdout
        + f'[[connections]]\nid = "capper-plc"\nprotocol = "opcua"\nhost = "{HOST}"\nport = {port}\n'
    )
    config = parse_config(config_text, tmp_path / "line.toml")
    assert check_connections(config) == []
    bound = {(b.signal, b.address, b.type) for b in config.lines[0].equipment[0].signals}
    assert bound == {
        ("running", "ns=2;s=Capper.Running", "bool"),
        ("total_count", "ns=2;s=Capper.Admin.ProdProcessedCount", "uint32"),
    }
    assert (missing.returncode, missing.stderr) == (
        1,
        "ms5 browse: ns=2;s=Nope: server refused: BadNodeIdUnknown\n",
    )
    assert tomllib.loads(config_text)  # and it is TOML a person can edit


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("probe", "foo://plc", "hr:0"),
            "'foo://plc': unknown scheme foo://; use modbus://, opc.tcp://, s7://, logix://",
        ),
        (("probe", "modbus://plc:99999", "hr:0"), "'modbus://plc:99999': the port is not a number 1-65535"),
        (
            ("probe", "s7://plc?rack=9", "DB1.DBW0"),
            "'s7://plc?rack=9': S7 option rack must be a whole number 0..7, not 9",
        ),
        (
            ("probe", "modbus://plc/2", "hr:0"),
            "'modbus://plc/2': only logix:// takes a path (the slot or CIP route)",
        ),
        (("probe", "modbus://plc", "xx:0"), "bad Modbus address 'xx:0'"),
        (("probe", "opc.tcp://plc", "nsx=2;s=A"), "bad OPC UA NodeId 'nsx=2;s=A'"),
        (("browse", "modbus://plc"), "'modbus://plc': browse reads OPC UA servers (opc.tcp://host:port)"),
        (("browse", "opc.tcp://plc", "x=1"), "bad OPC UA NodeId 'x=1'"),
    ],
)
def test_input_no_driver_takes_is_exit_2_in_one_line_before_any_connection(
    argv: tuple[str, ...], message: str
) -> None:
    got = run_in_process(*argv)
    assert got.returncode == 2
    assert got.stdout == ""
    assert got.stderr.startswith(f"ms5 {argv[0]}: {message}"), got.stderr
    assert got.stderr.count("\n") == 1


def test_a_type_no_binding_has_is_a_usage_error() -> None:
    got = run_in_process("probe", "modbus://plc", "hr:0", "--type", "int64")
    assert got.returncode == 2
    assert "invalid choice: 'int64'" in got.stderr and got.stderr.count("\n") == 1
