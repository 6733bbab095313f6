"""Exact figures of any window from the store (docs/REPORTS.md): the whole closed figure slices
inside the window added up (core.store_figures), and the pieces of a slice at its edges (and the
still-open tail of the hour under way) from an engine that holds them.

That engine is restored from the newest snapshot that is no later than the piece and still
holds it, then fed the journal after it; with none, it is the whole journal (the archive files
of retention first: a StoreError names the one missing or altered). It is fed to the journal's
end, as a replay is, so a reason given to a stop afterwards is in the piece's events too.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import sqlite3
from itertools import pairwise

from core import engine_snapshot
from core.config import Config
from core.engine import CommandError, Engine
from core.engine_clock import apply_recorded
from core.engine_snapshot import SnapshotError
from core.figure_slices import slice_body
from core.rebuild import replay_archives
from core.samples import Sample
from core.sqlite_tx import StoreError
from core.store import Store
from core.store_archive import archived_up_to, manifest
from core.store_figures import NotProjected, StoreFigures, _Slice
from core.store_snapshots import newest_first
from core.timefmt import iso

__all__ = ["ExactFigures", "PieceEngines"]


class PieceEngines:
    """Engines that hold the journal from a time on, built when a piece first needs one."""

    def __init__(self, config: Config, store: Store, end: float, marks: tuple[float, ...]) -> None:
        self._config, self._store, self._end = config, store, end
        # Where the pieces' count buckets must split. Buckets split at whole minutes anyway; a
        # snapshot takes no marks, so one there would only make the snapshot refuse them.
        self._marks = tuple(sorted({m for m in marks if m % 60.0 != 0.0}))
        self._held: list[tuple[float, Engine]] = []
        self.note: list[str] = []  # one phrase per engine built, for the curious (tests, bench)

    def holding(self, t: float) -> Engine:
        for lo, engine in self._held:
            if lo <= t:
                return engine
        lo, engine = self._restored(t) or (float("-inf"), self._whole(t))
        if engine.now is None or engine.now < self._end:
            engine.tick(self._end)  # as a replay ends on its window's end: the open tail counts so far
        self._held.append((lo, engine))
        return engine

    def _restored(self, t: float) -> tuple[float, Engine] | None:
        """(the time from which it holds pieces, the engine) of the newest snapshot that does."""
        for row in newest_first(self._store.conn):
            if row.body is None or row.ts > t or row.version != engine_snapshot.FORMAT_VERSION:
                continue
            if engine_snapshot.checksum(row.body) != row.checksum or row.journal_id > self._store.last_id:
                continue
            marks = tuple(m for m in self._marks if m > row.ts)
            try:
                engine = engine_snapshot.load(self._config, row.body, marks=marks)
            except SnapshotError:
                continue  # another config, or buckets already cut without these marks: an older one
            if engine.pruned_before > t:
                continue
            self._feed(engine, row.journal_id)
            self.note.append(f"snapshot at journal row {row.journal_id}")
            # Its buckets before the snapshot were cut without the marks: it serves pieces after it.
            return max(row.ts, engine.pruned_before), engine
        return None

    def _whole(self, t: float) -> Engine:
        engine = Engine(self._config, marks=self._marks)
        try:
            replay_archives(engine, self._config, self._store, manifest(self._store.conn))
        except StoreError as exc:
            # No snapshot holds the piece: it is in the archived journal, which must be read whole.
            at = iso(t, self._config.lines[0].tz)
            raise StoreError(
                f"ms5 report: the window's piece from {at} is not in whole figure slices and no "
                f"snapshot holds it, so the archived journal is read: {exc}"
            ) from None
        self._feed(engine, archived_up_to(self._store.conn))
        self.note.append("the whole journal")
        return engine

    def _feed(self, engine: Engine, after: int) -> None:
        for _row_id, record in self._store.journal(after):
            if isinstance(record, Sample):
                engine.ingest_one(record)
            else:
                # Refused when it was given, so it changed nothing then either.
                with contextlib.suppress(CommandError):
                    apply_recorded(engine, record.command, record.args, record.ts, record.actor)


class ExactFigures(StoreFigures):
    """`StoreFigures` for any window: what whole slices do not make comes from `engines`."""

    def __init__(
        self, config: Config, conn: sqlite3.Connection, lo: float, hi: float, engines: PieceEngines
    ) -> None:
        # From the slice under way at `lo` on: the piece before it is the engine's, and a slice
        # not read would be taken for time before the station's data.
        row = conn.execute(
            "SELECT min(s) FROM (SELECT max(start) AS s FROM figure_slices WHERE start <= ? "
            "GROUP BY equipment)",
            (lo,),
        ).fetchone()
        super().__init__(config, conn, lo if row[0] is None else min(lo, float(row[0])), hi)
        self._engines = engines

    def _window(self, equipment: str, a: float, b: float) -> list[_Slice]:
        slices, starts = self._slices[equipment], self._starts[equipment]
        i = bisect.bisect_left(starts, a)
        j = i
        while j < len(slices) and slices[j].end <= b:
            j += 1
        inner = slices[i:j]
        if any(x.end != y.start for x, y in pairwise(inner)):
            raise NotProjected(f"{equipment}: the figure slices of {a}..{b} have a gap")
        if not inner:
            return [self._piece(equipment, a, b)]
        out = [self._piece(equipment, a, inner[0].start)] if a < inner[0].start else []
        out += inner
        if inner[-1].end < b:
            out.append(self._piece(equipment, inner[-1].end, b))
        return out

    def _piece(self, equipment: str, a: float, b: float) -> _Slice:
        body = json.loads(slice_body(self._engines.holding(a), equipment, a, b))
        return _Slice(a, b, **body)
