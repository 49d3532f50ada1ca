"""Group commit for recorded results: the results that arrive at the same moment share one transaction.

On a meeting day every secretary records TOP after TOP; each result is a handful of rows in a dozen tables.
Written one transaction per result, the statements' fixed costs (a round trip, the driver, the commit)
dominate. The writer thread takes whatever results are waiting (up to ``max_batch``) and records them
with ``results.record_results``: one statement per table for all of them, one commit. Each request waits
for its own outcome, which is exactly what it would have been alone: a broken rule reaches only the
result it belongs to, and a result that shares its paper or meeting with an earlier one of the batch
waits for the next batch, so that its checks see what the earlier one changed.

The database stays the only source of truth: a request is answered only after its transaction committed,
and nothing is kept in memory between batches. When the app stops, the thread is stopped after the
results it holds are recorded.
"""

from __future__ import annotations

import collections
import queue
import threading
from concurrent.futures import Future

from sqlalchemy.orm import Session, sessionmaker

from workflow import results

_STOP = None


class ResultWriter:
    """One thread that records the waiting results in batches; ``record`` blocks until its result is in."""

    def __init__(
        self, sessions: sessionmaker[Session], *, max_batch: int = 64, idle_seconds: float = 60.0
    ) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._idle_seconds = idle_seconds  # the thread ends after this long without a result
        self._queue: queue.SimpleQueue[tuple[results.Recording, Future[results.RecordedResult]] | None] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(self, recording: results.Recording) -> results.RecordedResult:
        """Record one result (in the next batch); raises its domain error like ``results.record_result``."""
        future: Future[results.RecordedResult] = Future()
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="result-writer", daemon=True)
                self._thread.start()
            self._queue.put((recording, future))
        return future.result()

    def stop(self) -> None:
        """Record what is waiting, then end the thread (a later ``record`` starts a new one)."""
        with self._lock:  # held until the thread ended: nothing can be queued behind the stop mark
            thread = self._thread
            if thread is None:
                return
            self._queue.put(_STOP)
            thread.join()
            self._thread = None

    def _run(self) -> None:
        waiting: collections.deque[tuple[results.Recording, Future[results.RecordedResult]]] = (
            collections.deque()
        )
        stopping = False
        while waiting or not stopping:
            if not waiting:
                try:
                    entry = self._queue.get(timeout=self._idle_seconds)
                except queue.Empty:
                    # ``record`` and ``stop`` queue under the lock: with it held and the queue empty, nothing
                    # can slip in unseen. Not waiting for it: ``stop`` holds it while it waits for this thread.
                    if self._lock.acquire(blocking=False):
                        try:
                            if self._queue.empty():
                                self._thread = None
                                return
                        finally:
                            self._lock.release()
                    continue
                if entry is _STOP:
                    stopping = True
                    continue
                waiting.append(entry)
            while len(waiting) < self._max_batch:
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
                if entry is _STOP:
                    stopping = True
                    continue
                waiting.append(entry)
            batch = [waiting.popleft() for _ in range(min(self._max_batch, len(waiting)))]
            self._record(batch, waiting)

    def _record(
        self,
        batch: list[tuple[results.Recording, Future[results.RecordedResult]]],
        waiting: collections.deque[tuple[results.Recording, Future[results.RecordedResult]]],
    ) -> None:
        try:
            outcomes = results.record_results(self._sessions, [recording for recording, _ in batch])
        except BaseException as exc:  # a batch of one raises its error: it belongs to that request
            for _, future in batch:
                future.set_exception(exc)
            return
        later = []
        for entry, outcome in zip(batch, outcomes, strict=True):
            future = entry[1]
            if isinstance(outcome, results.Later):
                later.append(entry)
            elif isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        waiting.extendleft(reversed(later))  # first in the next batch, in their order
