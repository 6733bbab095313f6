"""S7 read planning, free of any network library, and the split of a read answer back into tags.

A poll reads the tags as byte ranges: the tags of one area (one DB) are sorted and merged into
ranges when the gap between them is small, ranges larger than a PDU are cut into chunks, and the
chunks are packed into multi-item read requests that respect the negotiated PDU size (request and
answer) and the item limit.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field

from connectors.s7_codec import DEFAULT_MAX_GAP, S7Address, area_name

MAX_ITEMS = 20  # items per multi-read request (the S7 protocol's and snap7's limit)
DEFAULT_PDU = 480

# A read request: 12-byte header + function and item count + 12 bytes per item.
# Its answer: 12-byte header + function and item count + per item 4 bytes, the data, and a fill
# byte after odd-sized data (except after the last item).
_HEADER = 12 + 2
_REQ_ITEM = 12
_RESP_ITEM = 4

# Item return codes of a read answer (0xFF is success).
RETURN_CODES = {
    0x01: "hardware fault",
    0x03: "access denied",
    0x05: "address out of range",
    0x06: "data type not supported",
    0x07: "data type inconsistent",
    0x0A: "object does not exist",
}


class Refused(str):
    """The reason an item failed because the PLC refused it (an item return code), as opposed to
    an answer that made no sense: only a refusal says something about the address itself."""

    __slots__ = ()


@dataclass(frozen=True)
class ReadItem:
    """One item of a multi-read request: a chunk of a byte range."""

    area: int
    db: int
    start: int
    size: int

    def describe(self) -> str:
        if self.size == 1:
            return f"{area_name(self.area, self.db)} byte {self.start}"
        return f"{area_name(self.area, self.db)} bytes {self.start}..{self.start + self.size - 1}"


@dataclass
class ByteRange:
    """Contiguous bytes of one area read for some tags, possibly in several chunks."""

    area: int
    db: int
    start: int
    end: int
    tags: list[int] = field(default_factory=list)
    chunks: list[tuple[int, int]] = field(default_factory=list)  # (request, item) indices


@dataclass(frozen=True)
class ReadPlan:
    ranges: tuple[ByteRange, ...]
    requests: tuple[tuple[ReadItem, ...], ...]
    pdu_size: int


def max_payload(pdu_size: int) -> int:
    """The most data bytes one item can answer within a PDU."""
    return pdu_size - _HEADER - _RESP_ITEM


def plan_reads(
    addresses: Sequence[S7Address],
    pdu_size: int = DEFAULT_PDU,
    *,
    max_gap: int = DEFAULT_MAX_GAP,
    max_items: int = MAX_ITEMS,
    isolated: frozenset[int] = frozenset(),
    only: Sequence[int] | None = None,
) -> ReadPlan:
    """The fewest requests that read every tag (or the tags `only` names). Tags in `isolated` get
    a range of their own: they once failed inside a merged range, and must not blind the others."""
    payload = max_payload(pdu_size)
    items_limit = max(1, min(max_items, (pdu_size - _HEADER) // _REQ_ITEM))
    if payload < 1:
        raise ValueError(f"PDU size {pdu_size} cannot carry any data")
    indices = list(range(len(addresses))) if only is None else list(only)
    indices.sort(key=lambda i: (addresses[i].area, addresses[i].db, addresses[i].byte, i))
    ranges: list[ByteRange] = []
    current: ByteRange | None = None
    for i in indices:
        a = addresses[i]
        joins = (
            current is not None
            and i not in isolated
            and not any(t in isolated for t in current.tags)
            and (current.area, current.db) == (a.area, a.db)
            and a.byte <= current.end + max_gap
            and max(current.end, a.end) - current.start <= payload
        )
        if joins and current is not None:
            current.end = max(current.end, a.end)
            current.tags.append(i)
        else:
            current = ByteRange(a.area, a.db, a.byte, a.end, [i])
            ranges.append(current)

    requests: list[list[ReadItem]] = []
    used: list[int] = []  # answer bytes of each request so far
    for r in ranges:
        for start in range(r.start, r.end, payload):
            item = ReadItem(r.area, r.db, start, min(payload, r.end - start))
            # Count a fill byte for every item: the last one does not need it, but the bound stays safe.
            cost = _RESP_ITEM + item.size + (item.size & 1)
            for q, req in enumerate(requests):
                if len(req) < items_limit and used[q] + cost <= pdu_size:
                    break
            else:
                requests.append([])
                used.append(_HEADER)
                q = len(requests) - 1
            r.chunks.append((q, len(requests[q])))
            requests[q].append(item)
            used[q] += cost
    return ReadPlan(tuple(ranges), tuple(tuple(req) for req in requests), pdu_size)


def parse_read_items(raw: bytes, items: Sequence[ReadItem]) -> list[bytes | str]:
    """Split the data section of a read answer into each item's bytes, or the reason it failed."""
    out: list[bytes | str] = []
    offset = 0
    for n, item in enumerate(items):
        if offset + 4 > len(raw):
            out.extend(["the answer is truncated"] * (len(items) - n))
            break
        code, transport = raw[offset], raw[offset + 1]
        (length,) = struct.unpack_from(">H", raw, offset + 2)
        offset += 4
        if code != 0xFF:
            reason = RETURN_CODES.get(code, "refused")
            out.append(Refused(f"PLC refused {item.describe()}: {reason} (0x{code:02x})"))
            continue
        # Transport sizes BIT, BYTE/WORD/DWORD and INTEGER give the length in bits, the others in bytes.
        size = length // 8 if transport in (0x03, 0x04, 0x05) else length
        if offset + size > len(raw):
            out.extend(["the answer is truncated"] * (len(items) - n))
            break
        data = raw[offset : offset + size]
        offset += size + (size & 1 if n < len(items) - 1 else 0)
        out.append(bytes(data) if size == item.size else f"PLC answered {size} bytes for {item.describe()}")
    return out


def assemble(plan: ReadPlan, answers: Sequence[Sequence[bytes | str]]) -> list[bytes | str]:
    """Each range's bytes (its chunks joined), or the first reason one of its chunks failed."""
    out: list[bytes | str] = []
    for r in plan.ranges:
        parts: list[bytes] = []
        error: str | None = None
        for q, k in r.chunks:
            got = answers[q][k]
            if isinstance(got, str):
                error = got
                break
            parts.append(got)
        out.append(error if error is not None else b"".join(parts))
    return out


def tag_bytes(
    plan: ReadPlan, ranges_data: Sequence[bytes | str], addresses: Sequence[S7Address]
) -> dict[int, bytes | str]:
    """Each planned tag's bytes (or its range's error), by tag index."""
    out: dict[int, bytes | str] = {}
    for r, data in zip(plan.ranges, ranges_data, strict=True):
        for i in r.tags:
            if isinstance(data, str):
                out[i] = data
            else:
                a = addresses[i]
                out[i] = data[a.byte - r.start : a.end - r.start]
    return out
