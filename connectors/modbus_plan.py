"""Modbus block planning: the fewest read requests that cover a connection's tags. Within each
area, spans sorted by address merge while the block stays within the area's limit and every gap
bridged stays within `max_gap`; a block the PLC refuses can be halved to find the tags it refuses.
Pure functions and plain data, like modbus_codec."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.modbus_codec import AREAS, Area, Options, Point


@dataclass(frozen=True, slots=True)
class Span:
    """One distinct register (or bit) range and the tags that read it."""

    start: int
    end: int
    tags: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Block:
    """One read request: an area, a range, and the spans it serves."""

    area: Area
    start: int
    end: int
    spans: tuple[Span, ...]

    @property
    def count(self) -> int:
        return self.end - self.start

    @property
    def tags(self) -> list[int]:
        return [t for s in self.spans for t in s.tags]

    def halves(self) -> tuple[Block, Block] | None:
        """Two blocks serving the first and the second half of the spans; None for one span."""
        if len(self.spans) < 2:
            return None
        mid = len(self.spans) // 2
        return _block(self.area, self.spans[:mid]), _block(self.area, self.spans[mid:])

    def __str__(self) -> str:
        return f"{self.area}:{self.start}" + ("" if self.count == 1 else f"..{self.end - 1}")


def _block(area: Area, spans: Sequence[Span]) -> Block:
    return Block(area, min(s.start for s in spans), max(s.end for s in spans), tuple(spans))


def plan_blocks(
    points: Sequence[Point], options: Options, indices: Sequence[int] | None = None
) -> list[Block]:
    """The fewest reads covering `points` (or those at `indices`): per area, spans sorted by
    address are merged while the block stays within the area's limit and each gap bridged stays
    within max_gap. A single span wider than the limit still gets its own read."""
    chosen = range(len(points)) if indices is None else indices
    by_span: dict[tuple[Area, int, int], list[int]] = {}
    for i in chosen:
        p = points[i]
        by_span.setdefault((p.area, p.address, p.end), []).append(i)
    blocks: list[Block] = []
    for area in AREAS:
        spans = sorted(
            (Span(start, end, tuple(tags)) for (a, start, end), tags in by_span.items() if a == area),
            key=lambda s: (s.start, s.end),
        )
        limit, gap = options.limit(area), options.gap(area)
        current: list[Span] = []
        lo = hi = 0
        for span in spans:
            if current and span.start - hi <= gap and max(hi, span.end) - lo <= limit:
                current.append(span)
                hi = max(hi, span.end)
                continue
            if current:
                blocks.append(Block(area, lo, hi, tuple(current)))
            current, lo, hi = [span], span.start, span.end
        if current:
            blocks.append(Block(area, lo, hi, tuple(current)))
    return blocks
