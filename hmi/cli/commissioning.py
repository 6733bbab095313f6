"""`ms5 probe` and `ms5 browse`: commissioning a PLC without a config.

`ms5 probe URL ADDRESS [--type T]` reads one address once through the protocol's own driver and
prints its value and quality. `ms5 browse opc.tcp://host:port [NODE] [--bind EQUIPMENT]` lists an
OPC UA server's variables, or prints them as the binding lines of a config. The protocol code is
in connectors (connectors.commissioning, connectors.opcua_browse), loaded only when one of these
runs. Exit 2: input no driver takes (a URL, an address, a type); exit 1: the PLC or the network
said no (unreachable, refused, no such address or node, a value of another type).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import get_args

from core.config import DataType
from hmi.cli.arguments import positive_number
from hmi.errors import UsageError

PROBE_HELP = "Read one PLC address once, without a config, and print its value and quality."
PROBE_EPILOG = (
    "URL: modbus://host:502, opc.tcp://host:4840, s7://host?rack=0&slot=1, logix://host/slot; a query "
    "adds connection options (modbus://host?device_id=3, logix://host/0?init_tags=false). ADDRESS and "
    "--type are written as in a config's signal binding (docs/CONNECTORS.md). Exit 0 with a value, "
    "1 when the PLC cannot be reached or refuses the address, 2 for bad input."
)
BROWSE_HELP = "List an OPC UA server's variables with their node ids (ns= and nsu=) and types."
BROWSE_EPILOG = (
    "NODE: where to start (a node id such as ns=2;s=Capper; default: the Objects folder). "
    "--bind EQUIPMENT prints the variables as a config's signal bindings instead, one per signal their "
    "names suggest, the others commented out. Exit 1 when the server cannot be reached or has no such "
    "node, 2 for bad input."
)
DATA_TYPES: tuple[str, ...] = get_args(DataType)


def _quiet() -> None:
    """The drivers log a refused address once, for a station's log; here the one line printed says
    it. A handler on the root keeps Python's last-resort one from printing them too."""
    if not logging.root.handlers:
        logging.root.addHandler(logging.NullHandler())


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return 1


def cmd_probe(args: argparse.Namespace) -> int:
    from connectors.commissioning import BadRequest, NoAnswer, probe

    _quiet()
    try:
        got = asyncio.run(
            probe(args.url, args.address, args.type, timeout_s=args.timeout, length=args.length)
        )
    except BadRequest as exc:
        raise UsageError(str(exc)) from None
    except NoAnswer as exc:
        return _fail(f"ms5 probe: {exc}")
    value = got.value
    assert value is not None
    shown = f"{int(value)}" if value.is_integer() else repr(value)
    print(f"{args.address} = {shown} ({got.quality.name.lower()})")
    return 0


def cmd_browse(args: argparse.Namespace) -> int:
    from connectors.commissioning import BadRequest, NoAnswer
    from connectors.opcua_browse import binding_lines, browse

    _quiet()
    try:
        variables = asyncio.run(browse(args.url, args.node, timeout_s=args.timeout))
    except BadRequest as exc:
        raise UsageError(str(exc)) from None
    except NoAnswer as exc:
        return _fail(f"ms5 browse: {exc}")
    if args.bind is not None:
        connection = args.connection or f"{args.bind.lower()}-plc"
        print("\n".join(binding_lines(args.bind, connection, variables)))
        return 0
    if not variables:
        print(f"no variables under {args.node or 'the Objects folder'}")
        return 0
    head = ("node id", "namespace URI form", "OPC UA type")
    width_id = max(len(head[0]), *(len(v.node_id) for v in variables))
    width_nsu = max(len(head[1]), *(len(v.nsu_id) for v in variables))
    width_type = max(len(head[2]), *(len(v.data_type) for v in variables))
    print(f"{head[0]:<{width_id}}  {head[1]:<{width_nsu}}  {head[2]:<{width_type}}  {'binding':<7}  path")
    for v in variables:
        ids = f"{v.node_id:<{width_id}}  {v.nsu_id:<{width_nsu}}"
        print(f"{ids}  {v.data_type:<{width_type}}  {v.binding_type or '-':<7}  {v.path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("probe", help=PROBE_HELP, description=PROBE_HELP, epilog=PROBE_EPILOG)
    p.set_defaults(func=cmd_probe)
    p.add_argument("url", help="the PLC: modbus://, opc.tcp://, s7:// or logix:// host[:port]")
    p.add_argument("address", help="as in a signal binding: hr:0, ns=2;s=Line.Count, DB10.DBD4, Packer.Count")
    p.add_argument(
        "--type", choices=DATA_TYPES, default="int16", help="the binding's data type (default int16)"
    )
    p.add_argument("--length", type=int, default=0, metavar="N", help="characters, for --type string")
    p.add_argument(
        "--timeout", type=positive_number, default=3.0, metavar="S", help="per request (default 3 s)"
    )

    p = sub.add_parser("browse", help=BROWSE_HELP, description=BROWSE_HELP, epilog=BROWSE_EPILOG)
    p.set_defaults(func=cmd_browse)
    p.add_argument("url", help="the OPC UA server: opc.tcp://host[:port]")
    p.add_argument("node", nargs="?", help="start here (default: the Objects folder)")
    p.add_argument("--bind", metavar="EQUIPMENT", help="print binding lines for this equipment's config")
    p.add_argument(
        "--connection", metavar="ID", help="the connection id the binding lines name (default EQUIPMENT-plc)"
    )
    p.add_argument(
        "--timeout", type=positive_number, default=3.0, metavar="S", help="per request (default 3 s)"
    )
