"""What the station tells plant IT's Prometheus, read from the station when it is scraped.

A custom collector rather than counters kept up to date: the figures are already kept by the
station, its connections and its engine, so nothing is added to the path of a sample, and a
scrape reads them as the faces do (the current shift's figures as the named views compute them).
It runs in the station's event loop (hmi/station/metrics_http.py), so it reads the engine while
nothing else changes it. Every metric is listed in docs/PACKAGING.md ("Metrics for plant IT").
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from connectors.diagnostics import ConnectionState
from hmi.station.shift import shift_window, target_so_far

if TYPE_CHECKING:
    from hmi.station.runtime import Station

RATE_WINDOW_S = 10.0  # samples per second: over the last ten seconds, steady enough to alert on


class SparkplugFigures(Protocol):
    """What the collector reports of the Sparkplug B edge node's store-and-forward buffer: the
    station's `sparkplug` attribute when set, else the edge node's own buffer (`station.uplink`,
    hmi/sparkplug/edge.py) read through `_UplinkFigures`; 0 without an edge node."""

    @property
    def buffered_messages(self) -> int:
        """Messages kept for the broker (store-and-forward), not yet acknowledged."""
        ...

    @property
    def buffered_bytes(self) -> int: ...

    @property
    def dropped_messages(self) -> int:
        """Messages dropped, oldest first, to keep the buffer within its bound, ever since start."""
        ...


@dataclass(frozen=True)
class _UplinkFigures:
    buffered_messages: int
    buffered_bytes: int
    dropped_messages: int


def sparkplug_figures(station: Station) -> SparkplugFigures | None:
    if station.sparkplug is not None:
        return station.sparkplug
    buffer = station.uplink.buffer if station.uplink is not None else None
    if buffer is None:  # no [sparkplug], or the edge node has not opened its buffer yet
        return None
    return _UplinkFigures(buffer.count, buffer.size_bytes, buffer.dropped)


class SampleRate:
    """Samples a second from the station's running count, looked at once a second."""

    def __init__(self, station: Station) -> None:
        self.station = station
        self._seen: deque[tuple[float, int]] = deque()

    def look(self) -> None:
        now = time.monotonic()
        seen = self._seen
        seen.append((now, self.station.samples_in))
        while len(seen) > 2 and now - seen[1][0] >= RATE_WINDOW_S:
            seen.popleft()

    def per_second(self) -> float:
        if len(self._seen) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._seen[0], self._seen[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


class StationCollector(Collector):
    def __init__(self, station: Station, rate: SampleRate) -> None:
        self.station = station
        self.rate = rate

    def collect(self) -> Iterator[Metric]:
        yield from self._connections()
        yield from self._station()
        yield from self._sparkplug()
        if self.station.engine is not None:
            yield from self._andon()
            yield from self._figures()

    def _connections(self) -> Iterator[Metric]:
        labels = ["connection", "protocol"]
        polls = CounterMetricFamily("ms5_polls", "Polls of the PLC that completed", labels=labels)
        reconnects = CounterMetricFamily(
            "ms5_reconnects", "Reconnects to the PLC after a failure", labels=labels
        )
        up = GaugeMetricFamily("ms5_connection_up", "1 while the PLC answers, else 0", labels=labels)
        latency = GaugeMetricFamily(
            "ms5_read_latency_seconds",
            "Time a poll took, quantile over the connection's last 500 polls",
            labels=[*labels, "quantile"],
        )
        for d in self.station.diagnostics():
            at = [d.connection, d.protocol]
            polls.add_metric(at, d.polls)
            reconnects.add_metric(at, d.reconnects)
            up.add_metric(at, 1.0 if d.state == ConnectionState.CONNECTED else 0.0)
            for q in (0.5, 0.99):
                value = d.latency(q)
                if value is not None:
                    latency.add_metric([*at, str(q)], value)
        yield from (polls, reconnects, up, latency)

    def _station(self) -> Iterator[Metric]:
        st, store = self.station, self.station.store
        yield CounterMetricFamily("ms5_samples", "Values read from the PLCs", value=st.samples_in)
        yield GaugeMetricFamily(
            "ms5_samples_per_second",
            f"Values read from the PLCs a second, over the last {RATE_WINDOW_S:.0f} s",
            value=self.rate.per_second(),
        )
        yield GaugeMetricFamily(
            "ms5_store_backlog_samples",
            "Samples held in memory, not yet committed to the database",
            value=store.pending if store is not None else 0,
        )
        yield CounterMetricFamily(
            "ms5_store_write_errors", "Commits to the database that failed", value=st.store_write_errors
        )
        yield CounterMetricFamily(
            "ms5_store_samples_not_kept",
            "Samples dropped from the backlog while the database could not be written",
            value=store.dropped_samples if store is not None else 0,
        )
        yield GaugeMetricFamily(
            "ms5_store_writable",
            "1 while the database is written, else 0",
            value=float(st.store_error is None),
        )
        age = None if st.ticked_at is None else time.monotonic() - st.ticked_at
        if age is not None:
            yield GaugeMetricFamily(
                "ms5_engine_tick_age_seconds", "Time since the engine's last tick", value=age
            )

    def _sparkplug(self) -> Iterator[Metric]:
        node = sparkplug_figures(self.station)
        yield GaugeMetricFamily(
            "ms5_sparkplug_buffer_messages",
            "Sparkplug messages kept for the broker, not yet acknowledged",
            value=node.buffered_messages if node is not None else 0,
        )
        yield GaugeMetricFamily(
            "ms5_sparkplug_buffer_bytes",
            "Size of the Sparkplug messages kept for the broker",
            value=node.buffered_bytes if node is not None else 0,
        )
        yield CounterMetricFamily(
            "ms5_sparkplug_dropped",
            "Sparkplug messages dropped, oldest first, to keep the buffer within its bound",
            value=node.dropped_messages if node is not None else 0,
        )

    def _andon(self) -> Iterator[Metric]:
        engine = self.station.engine
        assert engine is not None
        labels = ["line", "equipment"]
        count = GaugeMetricFamily("ms5_andon_open_calls", "Andon calls not closed", labels=labels)
        level = GaugeMetricFamily(
            "ms5_andon_highest_level", "Highest escalation level of the open calls (0: none)", labels=labels
        )
        oldest = GaugeMetricFamily(
            "ms5_andon_oldest_open_seconds", "Age of the oldest open call", labels=labels
        )
        now = self.station.clock()
        calls = engine.andon.active()
        for line in self.station.config.lines:
            for eq in line.equipment:
                mine = [c for c in calls if c.equipment == eq.id]
                count.add_metric([line.id, eq.id], len(mine))
                level.add_metric([line.id, eq.id], max((c.level for c in mine), default=0))
                if mine:
                    oldest.add_metric([line.id, eq.id], max(0.0, now - min(c.raised_at for c in mine)))
        yield from (count, level, oldest)

    def _figures(self) -> Iterator[Metric]:
        """The current shift's figures per equipment, as the faces show them. A ratio that is
        undefined (no planned production time yet, quality unknown) is left out, not written as 0."""
        st = self.station
        engine = st.engine
        assert engine is not None
        now = st.clock()
        labels = ["line", "equipment"]
        ratios = {
            name: GaugeMetricFamily(f"ms5_{name}_ratio", f"{text} of the current shift, 0-1", labels=labels)
            for name, text in (
                ("availability", "Availability"),
                ("performance", "Performance"),
                ("quality", "Quality"),
                ("oee", "OEE"),
            )
        }
        parts = {
            name: GaugeMetricFamily(f"ms5_shift_{name}_parts", f"{text} of the current shift", labels=labels)
            for name, text in (("total", "Parts made"), ("good", "Good parts"), ("reject", "Rejects"))
        }
        shift = InfoMetricFamily(
            "ms5_shift", "The line's current shift (none: no shift now)", labels=["line"]
        )
        target = GaugeMetricFamily(
            "ms5_shift_target_so_far_parts", "The shift's target pro rata of its time so far", labels=["line"]
        )
        for line in st.config.lines:
            window = shift_window(engine, line, now)
            shift.add_metric([line.id], {"shift": window["name"] or ""})
            goal = target_so_far(engine, line, window, now)
            if goal is not None:
                target.add_metric([line.id], goal)
            for eq in line.equipment:
                m = engine.metrics(eq.id, window["start"], now)
                at = [line.id, eq.id]
                for name, value in (
                    ("availability", m.availability),
                    ("performance", m.performance),
                    ("quality", m.quality),
                    ("oee", m.oee),
                ):
                    if value is not None:
                        ratios[name].add_metric(at, value)
                parts["total"].add_metric(at, m.total_count)
                parts["good"].add_metric(at, m.good_count)
                parts["reject"].add_metric(at, m.reject_count)
        yield from ratios.values()
        yield from parts.values()
        yield from (shift, target)
