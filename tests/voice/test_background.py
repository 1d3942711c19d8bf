"""Work off the call's loop (voice/background.py): each runner's results, order and failures."""

from __future__ import annotations

import math
import threading

import pytest

from voice.background import InlineRunner, ThreadRunner, TimedRunner
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
