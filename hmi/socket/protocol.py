"""The station socket's wire format (docs/SOCKET.md): one JSON object per line, UTF-8.

Shared by the server (hmi/socket/server.py) and the client (hmi/socket/client.py) so both read and
write exactly the same thing. Nothing here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.text import TextError, check_text

PROTOCOL = 1

# A line longer than this is an error and ends the connection: no face needs more, and a client
# must not make the station buffer without bound.
MAX_LINE = 1024 * 1024

ID_MAX = 64  # characters of a string request id

OPS = ("hello", "view", "snapshot", "subscribe", "unsubscribe", "command", "login")

RequestId = int | str | None


class ProtocolError(Exception):
    """A request line the server cannot carry out; the message is the one-line error reply."""

    def __init__(self, message: str, request_id: RequestId = None) -> None:
        super().__init__(message)
        self.request_id = request_id


@dataclass(frozen=True)
class Request:
    id: RequestId
    op: str
    fields: Mapping[str, Any]


def encode(message: Mapping[str, Any]) -> bytes:
    """One message as one line. Non-JSON values (an enum, a Path) become their text."""
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, default=str) + "\n"
    # "replace": a lone surrogate that reached a view (it cannot, past core.text) must not drop the
    # connection that asked for it.
    return text.encode("utf-8", "replace")


def _str_or_none(fields: Mapping[str, Any], key: str, request_id: RequestId) -> str | None:
    value = fields.get(key)
    if value is not None and not isinstance(value, str):
        raise ProtocolError(f'"{key}" must be a string', request_id)
    return value


def _required_str(fields: Mapping[str, Any], key: str, request_id: RequestId) -> str:
    value = _str_or_none(fields, key, request_id)
    if value is None:
        raise ProtocolError(f'"{key}" is required', request_id)
    return value


def _object(fields: Mapping[str, Any], key: str, request_id: RequestId) -> dict[str, Any]:
    value = fields.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(f'"{key}" must be an object', request_id)
    return value


def decode_request(line: bytes) -> Request:
    """Parse and check one request line; raises ProtocolError with the reply's text."""
    try:
        data = json.loads(line.decode())
    except UnicodeDecodeError:
        raise ProtocolError("the line is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # an integer of more than 4300 digits, deep nesting
        raise ProtocolError(f"not JSON this station reads: {one_line(exc)[:100]}") from None
    if not isinstance(data, dict):
        raise ProtocolError("a request is a JSON object")
    request_id = data.get("id")
    if isinstance(request_id, bool) or not isinstance(request_id, int | str | None):
        raise ProtocolError('"id" must be a number or a string')
    if isinstance(request_id, str):
        try:
            check_text(request_id, '"id"', max_len=ID_MAX)
        except TextError as exc:
            raise ProtocolError(str(exc)) from None
    op = data.get("op")
    if not isinstance(op, str):
        raise ProtocolError('"op" is required', request_id)
    if op not in OPS:
        raise ProtocolError(f"unknown op {op!r}; known: {', '.join(OPS)}", request_id)
    if op == "view":
        _required_str(data, "name", request_id)
        _object(data, "args", request_id)
    elif op == "command":
        _required_str(data, "command", request_id)
        _object(data, "args", request_id)
        _str_or_none(data, "user", request_id)
        _str_or_none(data, "pin", request_id)
    elif op == "login":
        _required_str(data, "user", request_id)
        _required_str(data, "pin", request_id)
    return Request(request_id, op, data)


def view_args(request: Request) -> tuple[str, dict[str, Any]]:
    if request.op == "snapshot":
        return "overview", {}
    return str(request.fields["name"]), _object(request.fields, "args", request.id)


def command_args(request: Request) -> tuple[str, dict[str, Any], str | None, str | None]:
    f = request.fields
    return (
        str(f["command"]),
        _object(f, "args", request.id),
        _str_or_none(f, "user", request.id),
        _str_or_none(f, "pin", request.id),
    )


def result(request_id: RequestId, value: Any) -> dict[str, Any]:
    return {"id": request_id, "result": value}


def error(request_id: RequestId, message: str) -> dict[str, Any]:
    return {"id": request_id, "error": message}


def goodbye(message: str) -> dict[str, Any]:
    """The last line before the server ends a connection: an error that answers no request."""
    return {"error": message}


def event(data: Mapping[str, Any]) -> dict[str, Any]:
    return {"event": data}


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
