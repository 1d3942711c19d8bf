"""The worker pool: one final result per accepted call, crash recovery, a 200-call soak."""

from __future__ import annotations

import dataclasses
import os
import signal
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from dialer.sip.interfaces import CallRequest, EngineError
from dialer.sip.worker import RTP_PORTS_PER_WORKER, WorkerSpec
from dialer.sip.workers import WorkerPool
from sip_config.schema import Profile

from .conftest import Audio
from .peers import Procs, port_block, scenario, segment_correlation


def _spec(profile: Profile, workers: int, engine: str = "pjsua") -> WorkerSpec:
    base = port_block(workers * (RTP_PORTS_PER_WORKER + 1) + 2)
    return WorkerSpec(profile=profile, base_sip_port=base, base_rtp_port=base + workers + 1, engine=engine)


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_pool_reports_one_result_per_call_with_the_fake_engine(loopback_profile: Profile) -> None:
    with WorkerPool(_spec(loopback_profile, 2, engine="fake"), 2) as pool:
        futures = {
            f"c{i}": pool.submit(CallRequest(f"c{i}", "sip:busy@fake" if i % 2 else "sip:answer@fake"))
            for i in range(10)
        }
        results = {k: f.result(timeout=30) for k, f in futures.items()}
    assert {k: r.result for k, r in results.items()} == {
        f"c{i}": "busy" if i % 2 else "answered" for i in range(10)
    }
    pool = WorkerPool(_spec(loopback_profile, 1, engine="fake"), 1)
    pool.submit(CallRequest("dup", "sip:answer@fake"))
    with pytest.raises(ValueError, match="already in flight"):
        pool.submit(CallRequest("dup", "sip:answer@fake"))


@pytest.mark.sip
def test_killed_worker_reports_interrupted_and_is_restarted(
    loopback_profile: Profile, procs: Procs, shared_dir: Path, tmp_path: Path, callee_audio: Audio
) -> None:
    talk_port, busy_port = port_block(1), port_block(1)
    talk = scenario(shared_dir, "uas_talk.xml", tmp_path, CALLEE_ULAW_WAV=str(callee_audio.ulaw))
    procs.sipp(talk, talk_port, log_dir=tmp_path)
    procs.sipp(scenario(shared_dir, "uas_486.xml", tmp_path), busy_port, log_dir=tmp_path)
    with WorkerPool(_spec(loopback_profile, 1), 1) as pool:
        pid = pool.pids()[0]
        future = pool.submit(CallRequest("long", f"sip:a@127.0.0.1:{talk_port}", options={"seconds": 30}))
        deadline = time.monotonic() + 10
        while pool.in_flight() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # mid-call: answered and streaming
        os.kill(pid, signal.SIGKILL)
        result = future.result(timeout=10)
        assert (result.call_id, result.result, result.answered) == ("long", "interrupted", False)
        after = pool.submit(CallRequest("next", f"sip:b@127.0.0.1:{busy_port}")).result(timeout=30)
        assert after.result == "busy"
        assert pool.restarts == 1
        assert pool.pids()[0] != pid


@pytest.mark.sip
@pytest.mark.slow
def test_soak_200_calls_with_flat_worker_memory(
    loopback_profile: Profile, procs: Procs, shared_dir: Path, tmp_path: Path, callee_audio: Audio
) -> None:
    port = port_block(1)
    talk = scenario(shared_dir, "uas_talk.xml", tmp_path, CALLEE_ULAW_WAV=str(callee_audio.ulaw))
    procs.sipp(talk, port, calls=200, seconds=120, log_dir=tmp_path)
    rss: dict[int, list[int]] = {}
    with WorkerPool(_spec(loopback_profile, 2), 2) as pool:
        futures = [
            pool.submit(CallRequest(f"s{i}", f"sip:s@127.0.0.1:{port}", options={"seconds": 0.3}))
            for i in range(200)
        ]
        for i, f in enumerate(futures):
            f.result(timeout=120)
            if i in (40, 199):
                for pid in pool.pids():
                    rss.setdefault(pid, []).append(_rss_kb(pid))
        results = [f.result() for f in futures]
    answered = sum(r.result == "answered" for r in results)
    assert answered == 200, {(r.result, r.sip_code, r.reason) for r in results}
    for pid, (early, late) in rss.items():
        assert late - early < 6000, f"worker {pid} grew {early} -> {late} kB"


def test_pool_holds_the_channel_limit(loopback_profile: Profile) -> None:
    spec = _spec(loopback_profile, 2, engine="fake")
    peak = 0
    with WorkerPool(spec, 2, channel_limit=3, calls_per_second=100) as pool:
        futures = [pool.submit(CallRequest(f"l{i}", "sip:answer@fake")) for i in range(9)]
        while not all(f.done() for f in futures):
            peak = max(peak, pool.in_flight())
            time.sleep(0.01)
    assert peak == 3
    assert [f.result().result for f in futures] == ["answered"] * 9


def test_pool_from_settings_lays_workers_out_on_the_configured_ports(
    settings: object, loopback_profile: Profile
) -> None:
    from dialer.settings import Settings

    assert isinstance(settings, Settings)
    pool = WorkerPool.from_settings(settings.sip, loopback_profile)
    assert pool.spec.ports(0) == (settings.sip.base_sip_port, settings.sip.base_rtp_port)
    assert pool.spec.ports(3) == (settings.sip.base_sip_port + 3, settings.sip.base_rtp_port + 60)
    assert pool.spec.calls_per_worker == 4 and len(pool._workers) == settings.sip.workers


def test_handlers_load_by_path() -> None:
    from dialer.sip.handlers import Echo, PlayAndHangup, load_handler

    assert isinstance(load_handler("dialer.sip.handlers:Echo"), Echo)
    assert isinstance(load_handler("dialer.sip.handlers:PlayAndHangup"), PlayAndHangup)
    with pytest.raises(ValueError, match="module:Name"):
        load_handler("dialer.sip.handlers.Echo")
    with pytest.raises(TypeError, match="no handle"):
        load_handler("dialer.sip.handlers:wait_answered")


@pytest.mark.sip
def test_worker_runs_a_pluggable_handler(
    loopback_profile: Profile, procs: Procs, shared_dir: Path, tmp_path: Path, callee_audio: Audio
) -> None:
    port = port_block(1)
    talk = scenario(shared_dir, "uas_talk.xml", tmp_path, CALLEE_ULAW_WAV=str(callee_audio.ulaw))
    procs.sipp(talk, port, log_dir=tmp_path)
    spec = dataclasses.replace(_spec(loopback_profile, 1), handler="dialer.sip.handlers:Echo")
    record = tmp_path / "echo.wav"
    with WorkerPool(spec, 1) as pool:
        request = CallRequest(
            "echo", f"sip:e@127.0.0.1:{port}", record_path=str(record), options={"seconds": 5}
        )
        result = pool.submit(request).result(timeout=30)
    assert result.result == "answered" and result.recording == str(record)
    with wave.open(str(record)) as w:
        stereo = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, 2)
    # the bot channel is the callee channel sent back: the handler ran inside the worker process
    assert segment_correlation(stereo[:, 1], callee_audio.samples) > 0.85


@pytest.mark.sip
def test_a_worker_that_cannot_bind_says_why_at_once(loopback_profile: Profile) -> None:
    """A port held by another process fails the start with the worker's reason, not after the whole start
    timeout, so the daemon retries while a slow worker (loading models on a busy host) is let finish."""
    import socket

    spec = _spec(loopback_profile, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", spec.base_sip_port))
        pool = WorkerPool(spec, 1)
        with pytest.raises(EngineError, match=r"call worker 0 did not start: .*bind"):
            pool.start(timeout=120)
    with WorkerPool(spec, 1) as pool:  # the same ports free again: it starts
        assert pool.pids() and all(pool.pids())
