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

import collections
import functools
import math
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
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


class ClockedThread(Executor):
    """One decode thread on the call's clock (a bench's loop runs faster than real time).

    Work submitted at call time `now()` starts when the thread is free and the clock has come to it
    (`advance`), and is over its measured wall time later, on the clock; until then its future is not
    done, and cancelled before its start it never runs (a thread pool's queued work). A caller that
    waits for a result (`Future.result`) waits on the clock: `waited_until` says until when, and
    `wall_in_waits` how much of the caller's wall time the work took (not the caller's own)."""

    def __init__(self, now: Callable[[], float], wall: Callable[[], float] = time.perf_counter) -> None:
        self._now = now
        self._wall = wall
        self._queued: collections.deque[_ClockedFuture[Any]] = collections.deque()
        self._over: list[_ClockedFuture[Any]] = []  # run, but not yet over on the clock
        self.free_at = 0.0
        self.waited_until = 0.0
        self.wall_in_waits = 0.0

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future = _ClockedFuture[T](self, functools.partial(fn, *args, **kwargs), self._now())
        self._queued.append(future)
        return future

    def advance(self, now: float) -> None:
        """Run the work whose start has come by call time `now`; hand out what is over by then."""
        while self._queued and (self._queued[0].cancelled() or self._start(self._queued[0]) <= now):
            self._run(self._queued.popleft())
        for future in [f for f in self._over if f.ready_at <= now]:
            self._hand_out(future)

    def wait_for(self, future: _ClockedFuture[Any]) -> None:
        began = self._wall()
        while not future.done() and future not in self._over and self._queued:
            self._run(self._queued.popleft())
        self.wall_in_waits += self._wall() - began
        if future in self._over:
            self._hand_out(future)
        self.waited_until = max(self.waited_until, future.ready_at if future.ready_at < math.inf else 0.0)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        for future in self._queued:
            future.cancel()
        self._queued.clear()

    def _start(self, future: _ClockedFuture[Any]) -> float:
        return max(future.submitted, self.free_at)

    def _run(self, future: _ClockedFuture[Any]) -> None:
        if not future.set_running_or_notify_cancel():
            return  # cancelled while it waited its turn
        start = self._start(future)
        began = self._wall()
        try:
            future.outcome = (future.work(), None)
        except BaseException as exc:
            future.outcome = (None, exc)
        future.ready_at = self.free_at = start + (self._wall() - began)
        self._over.append(future)

    def _hand_out(self, future: _ClockedFuture[Any]) -> None:
        self._over.remove(future)
        value, error = future.outcome
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)


class _ClockedFuture(Future[T]):
    def __init__(self, thread: ClockedThread, work: Callable[[], T], submitted: float) -> None:
        super().__init__()
        self.thread = thread
        self.work = work
        self.submitted = submitted
        self.ready_at = math.inf
        self.outcome: tuple[Any, BaseException | None] = (None, None)

    def result(self, timeout: float | None = None) -> T:
        self.thread.wait_for(self)
        return super().result(timeout)


def call_runner(job: str) -> Runner:
    """Where a live call runs each job. The whole greeting's decode ("greeting") in a thread of its own.
    The decode at each end of speech ("heard") in the call's loop: run off it, a person's hello was
    answered sooner, but words came later in audio time than the machine detector, the screener's wait
    and the replies are timed for (real calls: a screener first taken for a voicemail, a widow's "No. He
    passed away in October." answered as a no and ended as refused)."""
    return InlineRunner() if job == "heard" else ThreadRunner(job)
