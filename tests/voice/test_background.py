"""Work off the call's loop (voice/background.py): each runner's results, order and failures, and the
decode thread on a bench's call clock."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

import pytest

from voice.background import ClockedThread, InlineRunner, ThreadRunner, TimedRunner
from voice.errors import RecognitionError


def _fail() -> str:
    raise RecognitionError("decoder broke")


def test_a_thread_runner_hands_back_results_in_order_once_done_and_its_failures_where_picked_up() -> None:
    runner = ThreadRunner("test")
    gate = threading.Event()
    try:
        first = runner.submit(lambda: gate.wait(5) and "first", 0.0)
        second = runner.submit(lambda: "second", 0.0)
        failed = runner.submit(_fail, 0.0)
        assert first.result(1.0) is None and second.result(1.0) is None  # the submitter is not held
        gate.set()
        assert first.result(math.inf) == "first" and second.result(math.inf) == "second"
        with pytest.raises(RecognitionError):
            failed.result(math.inf)
    finally:
        runner.close()


def test_inline_work_is_ready_at_once_and_timed_work_when_it_would_have_come_back() -> None:
    assert InlineRunner().submit(lambda: 7, 3.0).result(3.0) == 7
    timed = TimedRunner()
    done = timed.submit(lambda: threading.Event().wait(0.05) or "late", 10.0)
    took = timed.submitted[0].ready_at - 10.0
    assert took >= 0.05
    assert done.result(10.0 + took - 0.001) is None and done.result(10.0 + took) == "late"
    broken = timed.submit(_fail, 11.0)
    assert broken.result(10.0) is None
    with pytest.raises(RecognitionError):
        broken.result(math.inf)


class _Wall:
    """A wall clock the work moves on: each piece of work takes the seconds it is given."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t

    def work(self, seconds: float, value: str) -> Callable[[], str]:
        def run() -> str:
            self.t += seconds
            return value

        return run


def test_a_clocked_thread_runs_work_when_its_start_comes_and_hands_it_out_when_it_is_over() -> None:
    wall, now = _Wall(), [1.0]
    thread = ClockedThread(lambda: now[0], wall=wall)
    first = thread.submit(wall.work(0.5, "first"))
    now[0] = 1.2
    second = thread.submit(wall.work(0.25, "second"))  # waits for the first: starts at 1.5, over at 1.75
    thread.advance(1.4)
    assert not first.done()  # running since 1.0 on the call's clock, over at 1.5
    thread.advance(1.5)
    assert first.done() and first.result() == "first" and not second.done()
    assert thread.waited_until == 1.5  # picked up once over: the caller did not wait beyond that
    thread.advance(1.6)
    assert not second.done()
    thread.advance(1.75)
    assert second.result() == "second" and thread.free_at == 1.75


def test_a_caller_that_waits_for_clocked_work_waits_on_the_clock_not_with_its_own_wall_time() -> None:
    wall, now = _Wall(), [2.0]
    thread = ClockedThread(lambda: now[0], wall=wall)
    guess = thread.submit(wall.work(0.75, "guess"))
    thread.advance(2.0)  # started at 2.0: over at 2.75, whoever asks sooner waits until then
    assert guess.result() == "guess" and thread.waited_until == 2.75 and thread.wall_in_waits == 0.0
    later = thread.submit(wall.work(0.5, "later"))  # submitted at 2.0, the thread is free at 2.75
    assert later.result() == "later"  # not started yet: run within the wait, its wall time not the caller's
    assert thread.waited_until == 3.25 and thread.wall_in_waits == 0.5


def test_clocked_work_cancelled_before_its_start_never_runs_and_failures_come_out_where_picked_up() -> None:
    wall, now = _Wall(), [0.0]
    thread = ClockedThread(lambda: now[0], wall=wall)
    busy = thread.submit(wall.work(1.0, "busy"))
    stale = thread.submit(wall.work(1.0, "stale"))
    failing = thread.submit(_fail)
    thread.advance(0.5)
    assert not busy.cancel()  # running: a thread cannot take it back
    assert stale.cancel()
    thread.advance(5.0)
    assert busy.result() == "busy" and wall.t == 1.0  # the stale guess took no time at all
    with pytest.raises(RecognitionError):
        failing.result()
