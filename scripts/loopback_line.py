"""The small all-day line on loopback PLCs that the crash harness and the end-to-end test run: a
Modbus filler with a fault code and a second machine, in TOML, one place for both.

Braces are doubled where the TOML needs them: the text is a `str.format` template whose fields are
the connections' ports.
"""

from __future__ import annotations


def modbus_connection(cid: str, port: str, *, poll_s: float, timeout_s: float, reconnect_max_s: float) -> str:
    return _connection(cid, "modbus", port, poll_s, timeout_s, reconnect_max_s)


def s7_connection(cid: str, port: str, *, poll_s: float, timeout_s: float, reconnect_max_s: float) -> str:
    return _connection(cid, "s7", port, poll_s, timeout_s, reconnect_max_s)


def _connection(cid: str, protocol: str, port: str, poll_s: float, timeout_s: float, backoff_s: float) -> str:
    return f"""
[[connections]]
id = "{cid}"
protocol = "{protocol}"
host = "127.0.0.1"
port = {{{port}}}
poll_interval_s = {poll_s}
timeout_s = {timeout_s}
reconnect_max_s = {backoff_s}
"""


def line(
    *,
    site: str,
    small_stop_threshold_s: float,
    filler_plc: str,
    connections: str,
    second: str,
    extra: str = "",
) -> str:
    """The whole config: `second` is the second machine's `[[lines.equipment]]` table."""
    return f"""
[site]
name = "{site}"

[reasons]
"Mechanical/Jam" = "unplanned"
{extra}{connections}
[[lines]]
id = "L1"
timezone = "UTC"
small_stop_threshold_s = {small_stop_threshold_s:g}

[[lines.shifts]]
name = "All day"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
start = "00:00"
end = "23:59"

[[lines.equipment]]
id = "FILLER"
ideal_cycle_time_s = 0.5
counter_max = 65535
faults = {{{{ 101 = "Mechanical/Jam" }}}}
signals = [
  {{{{ signal = "running", connection = "{filler_plc}", address = "coil:0", type = "bool" }}}},
  {{{{ signal = "total_count", connection = "{filler_plc}", address = "hr:0", type = "uint16" }}}},
  {{{{ signal = "reject_count", connection = "{filler_plc}", address = "hr:1", type = "uint16" }}}},
  {{{{ signal = "fault_code", connection = "{filler_plc}", address = "hr:2", type = "uint16" }}}},
]
{second}"""
