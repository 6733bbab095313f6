"""The open Andon calls by the time their next step falls due (an unshelve or an escalation), so
the board finds the next one without looking at every open call (docs/ANDON.md, "Escalation").

A heap with lazy invalidation: a call whose due time changes gets a new entry, and entries that no
longer match their call's current key are dropped when they come to the top. Ties fall to the
lower order (an unshelve before an escalation), then the lower call number: the order the board
looked at its open calls in before, so escalations happen in the same order as always.
"""

from __future__ import annotations

import heapq

__all__ = ["DueKey", "DueQueue"]

DueKey = tuple[float, int]  # (time, order): order 1 = unshelve, 2 = escalate


class DueQueue:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int]] = []
        self._key: dict[int, DueKey] = {}
        # Heap entries looked at: what finding the next due costs (tests count it, not time it).
        self.examined = 0

    def __len__(self) -> int:
        return len(self._key)

    def set(self, call_id: int, key: DueKey | None) -> None:
        """Call `call_id` falls due at `key` next (None: nothing of it falls due)."""
        if key is None:
            self._key.pop(call_id, None)
            return
        if self._key.get(call_id) == key:
            return
        self._key[call_id] = key
        heapq.heappush(self._heap, (key[0], key[1], call_id))
        # Stale entries are dropped as they surface; a heap far larger than its calls is rebuilt.
        if len(self._heap) > 4 * len(self._key) + 64:
            self._compact()

    def first(self) -> tuple[float, int, int] | None:
        """(time, order, call id) of what falls due first, or None."""
        heap = self._heap
        while heap:
            self.examined += 1
            at, order, call_id = heap[0]
            if self._key.get(call_id) == (at, order):
                return heap[0]
            heapq.heappop(heap)
        return None

    def clear(self) -> None:
        self._heap.clear()
        self._key.clear()

    def _compact(self) -> None:
        self._heap = [(at, order, cid) for cid, (at, order) in self._key.items()]
        heapq.heapify(self._heap)
