"""The engine's whole state as bytes, and back: what a snapshot in the store holds (docs/STORE.md,
"Snapshots").

A body is zlib over a small header, a JSON document and the raw bytes of the state's float
arrays (count buckets, validity, data quality), which the document names by offset and length.
No pickle: a damaged or hostile body can at worst fail to load (`SnapshotError`), never run code.
The fields are taken from the dataclasses themselves, so a state the engine has pruned (fewer
segments and buckets) round-trips as it is; a field this module does not know is an error at
the first dump, not a silent loss (tests/core/test_engine_snapshot.py compares the lists).

What the config gives (the equipment's thresholds, calendars, bound signals) is not stored: it
is rebuilt from the config, and a snapshot of another config (a fingerprint of the sections the
engine reads) is refused, so a changed config replays the journal as a restart always did.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
import zlib
from array import array
from collections import deque
from dataclasses import fields
from typing import Any

from core.andon import AndonCall, CallState, Escalation, Note, Source
from core.config import Config
from core.engine import Engine
from core.engine_state import EquipmentState, Job, QualityWindow, Segment

__all__ = [
    "FORMAT_VERSION",
    "SnapshotError",
    "checksum",
    "config_fingerprint",
    "dump",
    "load",
]

# Bump when the body's meaning changes: a snapshot of another version is skipped for a replay.
FORMAT_VERSION = 2  # 2: the Andon board numbers calls by a counter and forgets old closed ones
_MAGIC = b"MS5S"
_HEADER = struct.Struct("<4sII")  # magic, format version, length of the JSON document
_MAX_BODY = 1 << 30  # a body inflating past 1 GiB is not ours (a zip bomb is refused, not run)

# EquipmentState fields the config gives: rebuilt from it, never stored.
CONFIG_FIELDS = frozenset(
    {
        "cfg",
        "line",
        "calendar",
        "threshold",
        "counter_range",
        "counter_jitter",
        "startup_window",
        "bound",
        "watch_quality",
    }
)
# The stored EquipmentState fields by how they are written.
_SCALARS = frozenset(
    {
        "ideal",
        "running",
        "packml_state",
        "changeover_signal",
        "changeover_command",
        "declared_stop",
        "fault_code",
        "andon",
        "stopped_at",
        "startup_until",
        "bucket_end",
        "bucket",
    }
)
_STR_SETS = frozenset({"count_signals", "jittering", "counter_bad", "gap_waiting", "good_now"})
_DICTS = frozenset({"counters", "counted_at"})
_ARRAYS = frozenset({"resets", "jitters", "down_keys", "down_counts", "counts", "bucket_keys", "seg_starts"})
_SPECIAL = frozenset({"validity", "segments", "gap", "quality"})
STORED_FIELDS = _SCALARS | _STR_SETS | _DICTS | _ARRAYS | _SPECIAL
# Segment fields written as they are; `continued_by` is written as a reference.
SEGMENT_FIELDS = tuple(f.name for f in fields(Segment) if f.name != "continued_by")
# The engine's own attributes: stored, or given by the config and the caller.
ENGINE_STORED = frozenset(
    {
        "now",
        "started",
        "pruned_before",
        "jobs",
        "andon",
        "_eq",
        "ignored_samples",
        "clock_steps",
        "clock_gaps",
    }
)
ENGINE_GIVEN = frozenset({"config", "bus", "_marks", "calendars"})


class SnapshotError(Exception):
    """A body that cannot be this engine's state; the message says why in a few words."""


def checksum(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def config_fingerprint(config: Config) -> str:
    """The sections the engine's figures depend on; another value means the snapshot is stale."""
    parts = config.model_dump(mode="json", include={"lines", "reasons", "products", "andon"})
    return checksum(json.dumps(parts, sort_keys=True).encode())


# ---------------------------------------------------------------- dump


class _Blob:
    """The arrays' bytes, little-endian, appended one after the other."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def put(self, values: array[float] | list[float]) -> list[int]:
        arr = values if isinstance(values, array) else array("d", values)
        if sys.byteorder != "little":
            arr = array("d", arr)
            arr.byteswap()
        raw = arr.tobytes()
        self.parts.append(raw)
        ref = [self.size, len(arr)]
        self.size += len(raw)
        return ref


def _segment_ref(seg: Segment | None, index: dict[int, int], blob: _Blob) -> Any:
    """A segment another one points at: its place in the list, or itself when pruned from it."""
    if seg is None:
        return None
    i = index.get(id(seg))
    return i if i is not None else _segment(seg, index, blob)


def _segment(seg: Segment, index: dict[int, int], blob: _Blob) -> dict[str, Any]:
    out = {name: getattr(seg, name) for name in SEGMENT_FIELDS}
    out["continued_by"] = _segment_ref(seg.continued_by, index, blob)
    return out


def _equipment(st: EquipmentState, blob: _Blob) -> dict[str, Any]:
    out: dict[str, Any] = {}
    index = {id(seg): i for i, seg in enumerate(st.segments)}
    for f in fields(EquipmentState):
        name = f.name
        if name in CONFIG_FIELDS:
            continue
        value = getattr(st, name)
        if name in _SCALARS:
            out[name] = value
        elif name in _STR_SETS:
            out[name] = sorted(value)
        elif name in _DICTS:
            out[name] = dict(value)
        elif name in _ARRAYS:
            out[name] = blob.put(value)
        elif name == "validity":
            out[name] = {signal: blob.put(arr) for signal, arr in value.items()}
        elif name == "segments":
            out[name] = [_segment(seg, index, blob) for seg in value]
        elif name == "gap":
            out[name] = _segment_ref(value, index, blob)
        elif name == "quality":
            out[name] = {
                "window": [list(pair) for pair in value.window],
                **{q.name: getattr(value, q.name) for q in fields(QualityWindow) if q.name != "window"},
            }
        else:
            raise SnapshotError(f"EquipmentState.{name} is not known to the snapshot format")
    return out


def _call(call: AndonCall) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(AndonCall):
        value = getattr(call, f.name)
        if f.name == "escalations":
            value = [[e.level, e.at, e.notify] for e in value]
        elif f.name == "notes":
            value = [[n.at, n.user, n.text] for n in value]
        elif isinstance(value, CallState | Source):
            value = value.value
        out[f.name] = value
    return out


def dump(engine: Engine, *, config: Config | None = None) -> bytes:
    """The body of a snapshot of `engine` now."""
    unknown = set(vars(engine)) - ENGINE_STORED - ENGINE_GIVEN
    if unknown:
        raise SnapshotError(f"engine attributes not known to the snapshot format: {sorted(unknown)}")
    blob = _Blob()
    board = engine.andon
    doc = {
        "config": config_fingerprint(config or engine.config),
        "marks": list(engine._marks),
        "now": engine.now,
        "started": engine.started,  # where the figure slices begin
        "pruned_before": engine.pruned_before,  # figures before it are the slices' (bounded memory)
        "ignored_samples": engine.ignored_samples,
        "jobs": {line: [j.line, j.product, j.quantity, j.started, j.job] for line, j in engine.jobs.items()},
        "equipment": {eq: _equipment(st, blob) for eq, st in engine._eq.items()},
        # Steps of the station's clock and the gaps they left (core.engine_clock): figures and
        # delays after a restart must leave the same time out.
        "clock_steps": [list(s) for s in engine.clock_steps],
        "clock_gaps": [list(g) for g in engine.clock_gaps],
        "andon": {
            "calls": [_call(c) for c in board.calls],
            "open": [c.id for c in board._open],
            "next_id": board.next_id,
            "pending_fault": dict(board._pending_fault),
            "gaps": [list(g) for g in board._gaps],
        },
    }
    text = json.dumps(doc, separators=(",", ":")).encode()
    raw = b"".join([_HEADER.pack(_MAGIC, FORMAT_VERSION, len(text)), text, *blob.parts])
    return zlib.compress(raw, 6)


# ---------------------------------------------------------------- load


def _inflate(body: bytes) -> bytes:
    inflater = zlib.decompressobj()
    raw = inflater.decompress(body, _MAX_BODY)
    if inflater.unconsumed_tail or not inflater.eof:
        raise SnapshotError("the body is truncated or too large")
    return raw


class _Arrays:
    def __init__(self, raw: memoryview) -> None:
        self.raw = raw

    def get(self, ref: Any) -> array[float]:
        offset, count = int(ref[0]), int(ref[1])
        if offset < 0 or count < 0 or offset + 8 * count > len(self.raw):
            raise SnapshotError("an array lies outside the body")
        arr = array("d")
        arr.frombytes(self.raw[offset : offset + 8 * count])
        if sys.byteorder != "little":
            arr.byteswap()
        return arr


def _load_segments(doc: list[Any]) -> list[Segment]:
    segs = [_new_segment(d) for d in doc]
    for seg, d in zip(segs, doc, strict=True):
        seg.continued_by = _resolve(d["continued_by"], segs)
    return segs


def _new_segment(d: dict[str, Any]) -> Segment:
    seg = Segment(**{name: d[name] for name in SEGMENT_FIELDS})
    if seg.gap_ideal is not None:
        seg.gap_ideal = [float(x) for x in seg.gap_ideal]
    return seg


def _resolve(ref: Any, segs: list[Segment]) -> Segment | None:
    if ref is None:
        return None
    if isinstance(ref, int) and not isinstance(ref, bool):
        if not 0 <= ref < len(segs):
            raise SnapshotError("a segment points outside its list")
        return segs[ref]
    seg = _new_segment(ref)
    seg.continued_by = _resolve(ref["continued_by"], segs)
    return seg


def _load_equipment(st: EquipmentState, d: dict[str, Any], arrays: _Arrays) -> None:
    for name in _SCALARS:
        setattr(st, name, d[name])
    for name in _STR_SETS:
        setattr(st, name, {str(x) for x in d[name]})
    st.counters = {str(k): int(v) for k, v in d["counters"].items()}
    st.counted_at = {str(k): float(v) for k, v in d["counted_at"].items()}
    for name in _ARRAYS:
        setattr(st, name, arrays.get(d[name]))
    st.seg_starts = list(st.seg_starts)  # stored as an array, kept as a list
    st.validity = {str(k): arrays.get(v) for k, v in d["validity"].items()}
    st.segments = _load_segments(d["segments"])
    st.gap = _resolve(d["gap"], st.segments)
    q = d["quality"]
    st.quality = QualityWindow(
        deque((int(a), int(b)) for a, b in q["window"]),
        **{f.name: int(q[f.name]) for f in fields(QualityWindow) if f.name != "window"},
    )
    if len(st.seg_starts) != len(st.segments) or len(st.counts) != 9 * len(st.bucket_keys):
        raise SnapshotError("the segments or buckets do not match their keys")


def _load_call(d: dict[str, Any]) -> AndonCall:
    values = {f.name: d[f.name] for f in fields(AndonCall)}
    values["state"] = CallState(values["state"])
    values["source"] = Source(values["source"])
    values["escalations"] = [Escalation(int(lv), float(at), str(n)) for lv, at, n in values["escalations"]]
    values["notes"] = [Note(float(at), u, str(t)) for at, u, t in values["notes"]]
    return AndonCall(**values)


def load(config: Config, body: bytes, *, marks: tuple[float, ...] = ()) -> Engine:
    """An engine in the state `body` holds, on `config`; `SnapshotError` if it cannot be."""
    try:
        return _load(config, body, marks)
    except SnapshotError:
        raise
    except (zlib.error, struct.error, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise SnapshotError(f"unreadable ({type(exc).__name__})") from None


def _load(config: Config, body: bytes, marks: tuple[float, ...]) -> Engine:
    raw = memoryview(_inflate(body))
    magic, version, n = _HEADER.unpack_from(raw)
    if magic != _MAGIC:
        raise SnapshotError("not a snapshot body")
    if version != FORMAT_VERSION:
        raise SnapshotError(f"format version {version}, this station reads {FORMAT_VERSION}")
    doc = json.loads(bytes(raw[_HEADER.size : _HEADER.size + n]))
    arrays = _Arrays(raw[_HEADER.size + n :])
    if doc["config"] != config_fingerprint(config):
        raise SnapshotError("taken with another config")
    engine = Engine(config, marks=_merged_marks(doc, marks))
    if set(doc["equipment"]) != set(engine._eq):
        raise SnapshotError("of other equipment")
    now = doc["now"]
    engine.now = None if now is None else float(now)
    started = doc["started"]
    engine.started = None if started is None else float(started)
    engine.pruned_before = float(doc["pruned_before"])
    engine.ignored_samples = int(doc["ignored_samples"])
    engine.jobs = {str(k): _load_job(v) for k, v in doc["jobs"].items()}
    for eq, d in doc["equipment"].items():
        _load_equipment(engine._eq[eq], d, arrays)
    board = engine.andon
    calls = [_load_call(c) for c in doc["andon"]["calls"]]
    next_id = int(doc["andon"]["next_id"])
    ids = [c.id for c in calls]
    if ids != sorted(set(ids)) or (ids and not 1 <= ids[0] <= ids[-1] < next_id):
        raise SnapshotError("the Andon calls are not numbered in order below the next number")
    board._pending_fault = {str(k): float(v) for k, v in doc["andon"]["pending_fault"].items()}
    board._gaps = [(float(a), float(b)) for a, b in doc["andon"]["gaps"]]
    board.restore(calls, [int(i) for i in doc["andon"]["open"]], next_id)  # due times need the gaps
    engine.clock_steps = [(float(a), float(b)) for a, b in doc["clock_steps"]]
    engine.clock_gaps = [(float(a), float(b)) for a, b in doc["clock_gaps"]]
    board._changed()
    return engine


def _load_job(v: list[Any]) -> Job:
    # A snapshot written before jobs came from a schedule holds four fields: no planned job.
    a, p, q, t, *rest = v
    return Job(str(a), str(p), q, float(t), None if not rest or rest[0] is None else str(rest[0]))


def _merged_marks(doc: dict[str, Any], marks: tuple[float, ...]) -> tuple[float, ...]:
    """Buckets already cut cannot take new marks: marks before the snapshot's horizon must be the
    ones it was taken with (a station takes none); the caller's later ones apply from here on."""
    taken = [float(m) for m in doc["marks"]]
    horizon = max([doc["now"] or float("-inf")] + [float(d["bucket_end"]) for d in doc["equipment"].values()])
    if sorted(m for m in marks if m < horizon) != sorted(m for m in taken if m < horizon):
        raise SnapshotError("taken with other bucket marks")
    return tuple(sorted(marks))
