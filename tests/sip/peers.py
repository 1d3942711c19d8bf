"""Real SIP peers for the tests: free ports, sipp scenarios from the shared folder, baresip, test speech."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import wave
from pathlib import Path

import numpy as np

from dialer.callee.ports import UDP_AND_TCP, port_free, wait_udp_bound

_used: set[int] = set()


def port_block(size: int = 1) -> int:
    """A base port with `size` consecutive UDP+TCP ports free on 127.0.0.1 (never handed out twice)."""
    for _ in range(500):
        base = random.randrange(20000, 60000 - size, 2)
        if any(p in _used for p in range(base, base + size)):
            continue
        if all(port_free(p, UDP_AND_TCP) for p in range(base, base + size)):
            _used.update(range(base, base + size))
            return base
    raise RuntimeError("no free port block")


def speech(path: Path, text: str, rate: int = 8000) -> bytes:
    """espeak-ng speech as PCM16 mono at `rate`; also writes `path` (PCM16 WAV)."""
    raw = path.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), text], check=True, timeout=30)
    subprocess.run(
        ["sox", str(raw), "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed", str(path)],
        check=True,
        timeout=30,
    )
    with wave.open(str(path)) as w:
        return w.readframes(w.getnframes())


def ulaw(src: Path, dst: Path) -> Path:
    subprocess.run(
        ["sox", str(src), "-r", "8000", "-c", "1", "-e", "u-law", str(dst)], check=True, timeout=30
    )
    return dst


def scenario(shared: Path, name: str, dest_dir: Path, **replace: str) -> Path:
    """A per-test copy of a shared sipp scenario with its placeholders replaced."""
    text = (shared / "sip-peers" / name).read_text()
    for key, value in replace.items():
        text = text.replace(key, value)
    out = dest_dir / f"{random.randrange(10**6)}-{name.replace('.tmpl', '')}"
    out.write_text(text)
    return out


class Procs:
    """Subprocesses started by one test, each under `timeout`, all killed at teardown."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.sipps: list[subprocess.Popen[bytes]] = []

    def sipp(
        self,
        scenario_file: Path,
        port: int,
        media_port: int | None = None,
        calls: int = 1,
        seconds: int = 60,
        extra: tuple[str, ...] = (),
        log_dir: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        cmd = [
            "timeout",
            str(seconds),
            "sipp",
            "-sf",
            str(scenario_file),
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-m",
            str(calls),
            "-nostdin",
            "-mi",
            "127.0.0.1",
            "-mp",
            str(media_port or port_block(200)),
        ]
        cmd += list(extra)
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=str(log_dir or scenario_file.parent),
            start_new_session=True,
        )
        self.procs.append(proc)
        self.sipps.append(proc)
        try:
            if "t1" in extra:
                _wait_tcp(port)
            else:
                _wait_udp(port)
        except RuntimeError:
            proc.kill()
            err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
            raise RuntimeError(f"sipp {scenario_file.name} did not start: {err}") from None
        return proc

    def start(self, cmd: list[str], seconds: int = 60, **kw: object) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(  # type: ignore[call-overload]
            ["timeout", str(seconds), *cmd], start_new_session=True, **kw
        )
        self.procs.append(proc)
        return proc

    def close(self) -> None:
        """Let sipp finish its scenario (a 487 still on its way frees the caller's call slot), then SIGTERM
        each process group (`timeout` and its child), SIGKILL for what is left after 3 s."""
        deadline = time.monotonic() + 1.5
        for proc in self.sipps:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.01, deadline - time.monotonic()))
        for proc in self.procs:
            _signal_group(proc, signal.SIGTERM)
        deadline = time.monotonic() + 3
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            _signal_group(proc, signal.SIGKILL)  # the child may outlive `timeout`
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(2)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def _wait_udp(port: int, timeout: float = 5.0) -> None:
    if not wait_udp_bound(port, timeout):
        raise RuntimeError(f"peer did not bind UDP {port}")


def _wait_tcp(port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"peer did not listen on TCP {port}")


def baresip_dir(shared: Path, dest: Path, port: int, rtp_base: int, callee_wav: Path) -> Path:
    """A baresip config dir: auto-answer on `port`, play `callee_wav`, record what it hears into dest/rec."""
    cfg = dest / "baresip"
    rec = dest / "rec"
    cfg.mkdir()
    rec.mkdir()
    text = (shared / "sip-peers" / "baresip" / "config").read_text()
    text = text.replace("CALLEE_WAV_8K", str(callee_wav)).replace("RECORD_DIR", str(rec))
    text = text.replace("127.0.0.1:5090", f"127.0.0.1:{port}").replace(
        "41000-41100", f"{rtp_base}-{rtp_base + 40}"
    )
    (cfg / "config").write_text(text)
    accounts = (shared / "sip-peers" / "baresip" / "accounts").read_text().replace("5090", str(port))
    (cfg / "accounts").write_text(accounts)
    return cfg


def best_correlation(heard: np.ndarray, source: np.ndarray) -> float:
    """Peak normalized cross-correlation of `source` inside `heard` (1.0: identical up to gain)."""
    heard = heard.astype(np.float64)
    source = source.astype(np.float64)
    if len(heard) < len(source) // 2 or not source.any() or not heard.any():
        return 0.0
    n = 1 << int(np.ceil(np.log2(len(heard) + len(source))))
    corr = np.fft.irfft(np.fft.rfft(heard, n) * np.conj(np.fft.rfft(source, n)), n)[: len(heard)]
    lag = int(np.argmax(corr))
    seg = heard[lag : lag + len(source)]
    src = source[: len(seg)]
    denom = np.sqrt((seg**2).sum() * (src**2).sum())
    return float((seg * src).sum() / denom) if denom else 0.0


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def segment_correlation(heard: np.ndarray, source: np.ndarray, seg: int = 4000) -> float:
    """Median best correlation of 0.5 s pieces of `source` (8 kHz): robust to frames a jitter buffer drops
    or conceals under load, which break a single whole-signal alignment."""
    pieces = [source[i : i + seg] for i in range(0, len(source) - seg // 2, seg) if source[i : i + seg].any()]
    return float(np.median([best_correlation(heard, p) for p in pieces])) if pieces else 0.0
