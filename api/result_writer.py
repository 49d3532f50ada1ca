"""Group commit for recorded results: the results that arrive at the same moment share one transaction.

On a meeting day every secretary records TOP after TOP; each result is a handful of rows in a dozen tables.
Written one transaction per result, the statements' fixed costs (a round trip, the driver, the commit)
dominate. The writer thread takes whatever results are waiting (up to ``max_batch``) and records them
with ``results.record_results``: one statement per table for all of them, one commit. Each request waits
for its own outcome, which is exactly what it would have been alone: a broken rule reaches only the
result it belongs to, and a result that shares its paper or meeting with an earlier one of the batch
waits for the next batch, so that its checks see what the earlier one changed.

The database stays the only source of truth: a request is answered only after its transaction committed,
and nothing is kept in memory between batches. When the app stops, the threads are stopped after the
results they hold are recorded.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from concurrent.futures import Future
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from api.result_admission import Admitted, Answer, Submission, admit
from workflow import results

_STOP = None

log = logging.getLogger(__name__)

#: What waits for the writer: a request's result still to be checked (``Submission``, answered with an
#: ``Answer``), or one a caller checked already (``Recording``, answered with its ``RecordedResult``).
Entry = tuple[Submission | results.Recording, "Future[Any]"]


class ResultWriter:
    """Threads (``writers``, one by default) that record the waiting results in batches.

    ``submit`` hands over a request's result and returns at once with a future (the API's ``async`` route
    awaits it, so a request ties up no thread while it waits); ``record`` blocks until a result already
    checked by its caller is in. With two writers, one batch is checked and planned in Python while the
    other waits for PostgreSQL; batches that touch the same rows wait for each other's row locks, taken
    in the fixed order paper → step → meeting → TOP, so they cannot deadlock."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        max_batch: int = 64,
        writers: int = 1,
        gather_seconds: float = 0.0,
        quiet_seconds: float = 0.0,
        idle_seconds: float = 60.0,
    ) -> None:
        self._sessions = sessions
        self._max_batch = max_batch
        self._writers = writers
        self._gather_seconds = gather_seconds
        self._quiet_seconds = quiet_seconds
        self._idle_seconds = idle_seconds  # a thread ends after this long without a result
        self._queue: queue.SimpleQueue[Entry | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def submit(self, submission: Submission) -> Future[Answer]:
        """Check and record a request's result in the next batch; the future ends with its ``Answer`` or
        the domain error the request gets (401, 403, 404, 409, 422 …)."""
        future: Future[Answer] = Future()
        self._put((submission, future))
        return future

    def record(self, recording: results.Recording) -> results.RecordedResult:
        """Record one result (in the next batch); raises its domain error like ``results.record_result``."""
        future: Future[results.RecordedResult] = Future()
        self._put((recording, future))
        return future.result()

    def _put(self, entry: Entry) -> None:
        with self._lock:
            self._threads = [thread for thread in self._threads if thread.is_alive()]  # none died unseen
            while len(self._threads) < self._writers:
                thread = threading.Thread(target=self._run, name="result-writer", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._queue.put(entry)

    def stop(self) -> None:
        """Record what is waiting, then end the threads (a later ``record`` starts new ones)."""
        with self._lock:  # held until the threads ended: nothing can be queued behind the stop marks
            threads, self._threads = self._threads, []
            for _ in threads:
                self._queue.put(_STOP)  # each thread takes exactly one
            for thread in threads:
                thread.join()

    def _run(self) -> None:
        waiting: collections.deque[Entry] = collections.deque()
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
                                self._threads.remove(threading.current_thread())
                                return
                        finally:
                            self._lock.release()
                    continue
                if entry is _STOP:
                    stopping = True
                    continue
                waiting.append(entry)
            # Group commit: a batch takes the results that keep arriving, until none came for
            # ``quiet_seconds`` or ``gather_seconds`` passed since it began (its statements cost about as
            # much for one result as for thirty; a lone result waits only ``quiet_seconds``).
            started = time.monotonic()
            while not stopping and len(waiting) < self._max_batch:
                wait = min(self._quiet_seconds, started + self._gather_seconds - time.monotonic())
                try:
                    entry = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if entry is _STOP:
                    stopping = True  # and no more from the queue: the other marks are the other threads'
                    break
                waiting.append(entry)
            batch = [waiting.popleft() for _ in range(min(self._max_batch, len(waiting)))]
            try:
                self._record(batch, waiting)
            except BaseException as exc:  # a defect here must not leave requests waiting for ever
                log.exception("recording a batch of results failed")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                waiting = collections.deque(entry for entry in waiting if not entry[1].done())

    def _record(self, batch: list[Entry], waiting: collections.deque[Entry]) -> None:
        # A request whose waiting was cancelled (its client went away) is not recorded; from here on, a
        # future can no longer be cancelled (a result held back for the next batch is running already).
        batch = [entry for entry in batch if entry[1].running() or entry[1].set_running_or_notify_cancel()]
        checked = self._admit(batch)
        # Each entry to record, with the factions of a submission's answer (None: a checked Recording).
        chosen: list[tuple[Entry, results.Recording, dict[str, int] | None]] = []
        for entry in batch:
            item, future = entry
            if isinstance(item, results.Recording):
                chosen.append((entry, item, None))
                continue
            outcome = checked[id(entry)]
            if isinstance(outcome, Admitted):
                chosen.append((entry, outcome.recording, outcome.factions))
            else:
                future.set_exception(outcome)
        if not chosen:
            return
        recordings = [recording for _, recording, _ in chosen]
        try:
            outcomes = results.record_results(self._sessions, recordings)
        except BaseException as exc:  # a batch of one raises its error: it belongs to that request
            for entry, _, _ in chosen:
                entry[1].set_exception(exc)
            return
        later = []
        for (entry, _, factions), recorded in zip(chosen, outcomes, strict=True):
            future = entry[1]
            if isinstance(recorded, results.Later):
                later.append(entry)  # checked again with the next batch
            elif isinstance(recorded, BaseException):
                future.set_exception(recorded)
            elif factions is None:
                future.set_result(recorded)
            else:
                future.set_result(Answer(recorded, factions))
        waiting.extendleft(reversed(later))  # first in the next batch, in their order

    def _admit(self, batch: list[Entry]) -> dict[int, Admitted | BaseException]:
        """The checks of the batch's submissions, in one read transaction (``api.result_admission``)."""
        pairs = [(entry, item) for entry in batch if isinstance(item := entry[0], Submission)]
        if not pairs:
            return {}
        checked: list[Admitted | BaseException]
        try:
            with self._sessions() as session:
                checked = list(admit(session, [item for _, item in pairs]))
        except BaseException as exc:  # the database is unreachable, …: every request of the batch fails
            checked = [exc] * len(pairs)
        return {id(entry): outcome for (entry, _), outcome in zip(pairs, checked, strict=True)}
