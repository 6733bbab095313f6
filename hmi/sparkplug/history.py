"""Store-and-forward for the edge node: a device's values into the station's buffer while there is
no session, and out again after the births as historical DDATA, oldest first, in batches; a batch
is deleted once the broker acknowledged it (`publish` returns after the PUBACK)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import replace

from core.uplink_buffer import UplinkBuffer
from hmi.sparkplug.metrics import DEVICE_METRICS
from sparkplug.payload import Metric, Payload, PayloadError, Value, decode, encode

_TYPES = {s.name: s.datatype for s in DEVICE_METRICS}

Publish = Callable[[str, tuple[Metric, ...]], Awaitable[None]]  # (device, metrics): a DDATA, acknowledged


def keep(buffer: UplinkBuffer, device: str, ts_ms: int, values: tuple[tuple[str, Value], ...]) -> None:
    """A device's changed values, with their names so that a later birth's aliases map them."""
    metrics = tuple(Metric(name, value, _TYPES[name], timestamp_ms=ts_ms) for name, value in values)
    buffer.append(ts_ms / 1000, device, encode(Payload(ts_ms, metrics)))


async def flush(
    buffer: UplinkBuffer,
    born: Collection[str],
    aliases: Mapping[str, Mapping[str, int]],
    batch_size: int,
    publish: Publish,
) -> None:
    """Every buffered message of a born device, oldest first: the oldest `batch_size` messages at a
    time, each device's of them as one DDATA of historical metrics in their order with their own
    timestamps, deleted once acknowledged. (A device's history is its own: across devices the
    order of the batch is not kept, and one DDATA per device keeps a batch to a few PUBACKs.)"""
    while rows := buffer.oldest(batch_size, sorted(born)):
        by_device: dict[str, tuple[list[int], list[Metric]]] = {}
        for row in rows:
            ids, metrics = by_device.setdefault(row.device, ([], []))
            ids.append(row.id)
            try:
                kept = decode(row.body).metrics
            except PayloadError:
                continue  # not ours to send: deleted with its batch
            names = aliases.get(row.device, {})
            for m in kept:
                if m.name is not None and m.name in names:
                    metrics.append(replace(m, name=None, alias=names[m.name], is_historical=True))
        for device, (ids, metrics) in by_device.items():
            if metrics:
                await publish(device, tuple(metrics))
            buffer.delete(ids)  # acknowledged: the broker has them
