"""How long a host's call workers take to be ready, and what their start costs in CPU.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/worker_start_bench.py [--workers 1,2] [--engines piper,espeak]

A worker is ready once its recognizer is loaded and the scripts' fixed sentences (the languages loaded
at start) are in the render cache. Per worker count: seconds until every worker is ready with an empty
render cache (a new host, or new scripts) and again with the cache the first start filled (a restart),
with the CPU the workers used until then and the sentences added to the cache. Two workers that
render every sentence each use twice the CPU of one for the same cache. The workers dial nothing;
SIP ports are taken on 127.0.0.1 only. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from dialer.settings import load_settings  # noqa: E402
from dialer.sip.workers import WorkerPool  # noqa: E402
from sip_config.loader import parse_profile  # noqa: E402


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(data: Path, cache: Path, workers: int, engines: str, port: int) -> tuple[float, float]:
    settings = load_settings(
        config=None,
        environ={
            "DIALER_DATA_DIR": str(data),
            "DIALER_VOICE__CACHE_DIR": str(cache),
            "DIALER_VOICE__TTS_ENGINES": engines,
            "DIALER_DIALOGUE__SCRIPTS_DIR": str(REPO / "scripts"),
            "DIALER_SIP__HANDLER": "dialer.session.handler:SessionHandler",
            "DIALER_SIP__WORKERS": str(workers),
            "DIALER_SIP__BASE_SIP_PORT": str(port),
            "DIALER_SIP__BASE_RTP_PORT": str(port + 1000),
        },
    )
    profile = parse_profile((REPO / "sip_config" / "examples" / "loopback.yaml").read_text())
    pool = WorkerPool.from_settings(settings.sip, profile, settings=settings)  # type: ignore[attr-defined]
    started = time.monotonic()
    pool.start(timeout=600)
    seconds = time.monotonic() - started
    cpu = sum(cpu_seconds(pid) for pid in pool.pids())
    pool.stop()
    return seconds, cpu


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--workers", default="1,2", help="worker counts to start, comma separated")
    parser.add_argument("--engines", default="piper,espeak", help="the TTS fallback chain")
    parser.add_argument("--port", type=int, default=27000, help="first SIP port on 127.0.0.1")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print(f"host: {os.cpu_count()} cores; load average at start {os.getloadavg()[0]:.2f}; TTS {args.engines}")
    print(f"{'workers':>7} {'cache':>6} {'ready s':>8} {'CPU s':>7} {'new sentences':>13}")
    for workers in (int(n) for n in args.workers.split(",")):
        with tempfile.TemporaryDirectory(prefix="worker-start-") as tmp:
            cache = Path(tmp) / "cache"
            for label in ("empty", "filled"):
                before = sum(1 for _ in cache.rglob("*.wav")) if cache.is_dir() else 0
                seconds, cpu = one_start(Path(tmp) / label, cache, workers, args.engines, args.port)
                after = sum(1 for _ in cache.rglob("*.wav"))
                print(f"{workers:>7} {label:>6} {seconds:>8.1f} {cpu:>7.1f} {after - before:>13}")


if __name__ == "__main__":
    main()
