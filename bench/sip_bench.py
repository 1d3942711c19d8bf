"""Concurrent answered calls per host: W workers x C calls streaming audio both ways against sipp uas_talk.

Prints CPU per call (percent of one core), RSS per worker, media frame gaps (p99, max) and failed calls.
Usage: python bench/sip_bench.py [--workers 10] [--calls 4] [--seconds 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dialer.sip.interfaces import CallRequest  # noqa: E402
from dialer.sip.worker import WorkerSpec  # noqa: E402
from dialer.sip.workers import WorkerPool  # noqa: E402
from sip_config.loader import parse_profile  # noqa: E402

TEXT = (
    "Hello, this is a reminder about your account. Your payment of one hundred and twenty dollars was due "
    "on the fifth. You can pay online or press one to hear your options. Thank you."
)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def make_audio(d: Path, seconds: float) -> tuple[Path, Path]:
    raw = d / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(raw), TEXT], check=True)
    pcm, ulaw = d / "bot.wav", d / "callee-ulaw.wav"
    subprocess.run(
        [
            "sox",
            str(raw),
            "-r",
            "8000",
            "-c",
            "1",
            "-b",
            "16",
            str(pcm),
            "repeat",
            "6",
            "trim",
            "0",
            str(seconds + 5),
        ],
        check=True,
    )
    subprocess.run(["sox", str(pcm), "-e", "u-law", str(ulaw)], check=True)
    return pcm, ulaw


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=10)
    ap.add_argument("--calls", type=int, default=4, help="calls per worker (4: the wheel's cap)")
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--base-port", type=int, default=31000)
    args = ap.parse_args()
    total = args.workers * args.calls
    shared = REPO.parent / "shared" / "sip-peers"
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        bot_wav, callee_ulaw = make_audio(d, args.seconds)
        xml = (shared / "uas_talk.xml").read_text().replace("CALLEE_ULAW_WAV,1,0", f"{callee_ulaw},-1,0")
        (d / "talk.xml").write_text(xml)
        sipp_port = args.base_port
        sipp = subprocess.Popen(
            [
                "timeout",
                str(int(args.seconds) + 120),
                "sipp",
                "-sf",
                str(d / "talk.xml"),
                "-i",
                "127.0.0.1",
                "-p",
                str(sipp_port),
                "-mi",
                "127.0.0.1",
                "-mp",
                str(args.base_port + 2000),
                "-m",
                str(total),
                "-nostdin",
            ],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        profile = parse_profile(
            f"name: bench\ndomain: 127.0.0.1:{sipp_port}\nchannel_limit: {total}\ncalls_per_second: 20\n"
        )
        spec = WorkerSpec(
            profile=profile,
            calls_per_worker=args.calls,
            base_sip_port=args.base_port + 10,
            base_rtp_port=args.base_port + 100,
        )
        try:
            with WorkerPool(spec, args.workers) as pool:
                pids = pool.pids()
                options = {"play": str(bot_wav), "seconds": args.seconds}
                t0 = time.monotonic()
                futures = [
                    pool.submit(CallRequest(f"b{i}", f"sip:b{i}@127.0.0.1:{sipp_port}", options=options))
                    for i in range(total)
                ]
                ramp = total / 20 + 1.0
                time.sleep(ramp + 1.0)  # all calls up (20 cps)
                cpu0 = {p: cpu_seconds(p) for p in pids}
                sipp_pid = int(Path(f"/proc/{sipp.pid}/task/{sipp.pid}/children").read_text().split()[0])
                sipp_cpu0 = cpu_seconds(sipp_pid)
                w0 = time.monotonic()
                time.sleep(max(1.0, args.seconds - ramp - 3.0))
                window = time.monotonic() - w0
                cpu = sum(cpu_seconds(p) - cpu0[p] for p in pids)
                sipp_cpu = cpu_seconds(sipp_pid) - sipp_cpu0
                rss = [rss_mb(p) for p in pids]
                live = pool.in_flight()
                results = [f.result(timeout=args.seconds + 60) for f in futures]
                elapsed = time.monotonic() - t0
        finally:
            sipp.kill()
            sipp.wait()
    answered = [r for r in results if r.answered]
    p99s = [r.frame_gap_p99_ms for r in answered]
    print(
        f"sip_bench: {args.workers} workers x {args.calls} calls = {total} concurrent calls, "
        f"{args.seconds:g} s each, audio both ways (PCMU 8 kHz) against sipp uas_talk"
    )
    print(f"  calls live during the window   {live}/{total}")
    print(f"  answered / failed              {len(answered)} / {total - len(answered)}")
    print(
        f"  worker CPU per call            {100 * cpu / window / max(1, live):.2f} % of one core "
        f"(total {100 * cpu / window:.0f} % over {window:.1f} s)"
    )
    print(f"  sipp CPU (the peer)            {100 * sipp_cpu / window:.0f} % of one core")
    print(f"  RSS per worker                 mean {statistics.mean(rss):.1f} MB, max {max(rss):.1f} MB")
    if p99s:
        print(
            f"  frame gap p99 (per call)       median {statistics.median(p99s):.1f} ms, "
            f"worst {max(p99s):.1f} ms"
        )
        print(f"  frame gap max (any call)       {max(r.frame_gap_max_ms for r in answered):.1f} ms")
        print(f"  calls with p99 gap < 40 ms     {sum(p < 40 for p in p99s)}/{len(p99s)}")
    print(f"  wall time                      {elapsed:.1f} s")


if __name__ == "__main__":
    main()
