"""Work a call's loop may hand off: a decode, run in a thread of the call's own or in the loop.

The call's loop handles a frame every 20 ms and decides on the call's clock. A decode submitted to a
`Runner` is picked up on a later frame, when it is ready; `call_runner` says which of a live call's
decodes run off the loop today (the whole greeting's) and why the others do not.

Three runners, one protocol (`Runner`):

* `ThreadRunner`: a call's own thread, started on first use (a live call);
* `InlineRunner`: runs at once, ready at once (virtual-time tests, where work takes no time);
* `TimedRunner`: runs at once, ready on the call's clock when it would have come back from a thread
  (the benches, whose loop runs faster than real time).

A result is `None` while not ready; the work's exception is raised where the result is picked up.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Pending(Protocol[T_co]):
    def result(self, now: float) -> T_co | None:
        """The work's result once ready at call time `now`, else None; raises the work's exception.
        `now` = infinity waits for it (the call's audio ended, the call would have listened on)."""


class Runner(Protocol):
    def submit(self, work: Callable[[], T], now: float) -> Pending[T]: ...

    def close(self) -> None: ...


class Ready(Generic[T]):
    """Work already run, ready at `ready_at` on the call's clock."""

    def __init__(self, value: T | None, ready_at: float, error: BaseException | None = None) -> None:
        self.value = value
        self.ready_at = ready_at
        self.error = error

    def result(self, now: float) -> T | None:
        if now < self.ready_at:
            return None
        if self.error is not None:
            raise self.error
        return self.value


class Running(Generic[T]):
    """Work running in a thread."""

    def __init__(self, future: Future[T]) -> None:
        self.future = future

    def result(self, now: float) -> T | None:
        return self.future.result() if self.future.done() or now == math.inf else None


class ThreadRunner:
    """One thread of the call's own, started on first use: work runs in order of submission."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._pool: ThreadPoolExecutor | None = None

    def submit(self, work: Callable[[], T], now: float) -> Pending[T]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
        return Running(self._pool.submit(work))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


class InlineRunner:
    """Work run at once and ready at once: virtual time, where work takes none."""

    def submit(self, work: Callable[[], T], now: float) -> Pending[T]:
        return _run(work, now, lambda _took: now)

    def close(self) -> None:
        pass


class TimedRunner:
    """Work run at once, ready when it would have come back from a thread started at `now`."""

    def __init__(self) -> None:
        self.submitted: list[Ready[Any]] = []

    def submit(self, work: Callable[[], T], now: float) -> Pending[T]:
        done = _run(work, now, lambda took: now + took)
        self.submitted.append(done)
        return done

    def close(self) -> None:
        pass


def _run(work: Callable[[], T], now: float, ready_at: Callable[[float], float]) -> Ready[T]:
    began = time.perf_counter()
    try:
        value = work()
    except Exception as exc:
        return Ready(None, ready_at(time.perf_counter() - began), exc)
    return Ready(value, ready_at(time.perf_counter() - began))


def call_runner(job: str) -> Runner:
    """Where a live call runs each job. The whole greeting's decode ("greeting") in a thread of its own.
    The decode at each end of speech ("heard") in the call's loop: run off it, a person's hello was
    answered sooner, but words came later in audio time than the machine detector, the screener's wait
    and the replies are timed for (real calls: a screener first taken for a voicemail, a widow's "No. He
    passed away in October." answered as a no and ended as refused)."""
    return InlineRunner() if job == "heard" else ThreadRunner(job)
