"""The store-and-forward buffer in a real store file: bounded, oldest dropped first, durable."""

from __future__ import annotations

from pathlib import Path

from core.store import Store
from core.uplink_buffer import ROW_OVERHEAD, UplinkBuffer


def test_rows_come_back_oldest_first_and_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        buf = UplinkBuffer(store.conn, 10_000)
        for i in range(5):
            buf.append(100.0 + i, "filler" if i % 2 else "capper", bytes([i]))
    with Store.open(path) as store:
        buf = UplinkBuffer(store.conn, 10_000)
        assert [r.body for r in buf.oldest(10)] == [b"\x00", b"\x01", b"\x02", b"\x03", b"\x04"]
        assert [r.ts for r in buf.oldest(10, ["filler"])] == [101.0, 103.0]
        buf.delete([r.id for r in buf.oldest(2)])
        assert [r.body for r in buf.oldest(10)] == [b"\x02", b"\x03", b"\x04"] and buf.count == 3


def test_the_oldest_rows_are_dropped_past_the_bound_and_counted(tmp_path: Path) -> None:
    row = 10 + len("eq") + ROW_OVERHEAD  # each row: a 10-byte body on device "eq"
    with Store.open(tmp_path / "s.db") as store:
        buf = UplinkBuffer(store.conn, 3 * row)
        for i in range(5):
            buf.append(float(i), "eq", bytes([i]) * 10)
        assert [r.ts for r in buf.oldest(10)] == [2.0, 3.0, 4.0]
        assert buf.dropped == 2 and buf.size_bytes == 3 * row
    with Store.open(tmp_path / "s.db") as store:
        assert UplinkBuffer(store.conn, 3 * row).dropped == 2


def test_the_session_number_counts_up_across_reopens_and_wraps(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with Store.open(path) as store:
        buf = UplinkBuffer(store.conn, 1000)
        assert [buf.next_session(256) for _ in range(3)] == [0, 1, 2]
    with Store.open(path) as store:
        buf = UplinkBuffer(store.conn, 1000)
        assert buf.next_session(256) == 3
        assert [buf.next_session(4) for _ in range(2)] == [0, 1]
