"""edge-tts (Microsoft's online neural voices) behind the Synthesizer seam.

The seam: edge-tts builds its websocket address from the module constant
``edge_tts.communicate.WSS_URL`` at connect time and has no parameter for it. `service_url` (from
settings) therefore replaces that constant once per process, before the first connection; the rest of
the request (query string, DRM token, headers) stays edge-tts's own. Tests point it at a local fake on
127.0.0.1 speaking the same protocol. One service URL per process: the constant is module-wide.

Errors are translated here: no connection / DNS failure / timeout -> EngineUnavailable with a
retry-after (the fallback chain moves on and logs it once); the service answering without audio or with
garbage -> SynthesisError. The MP3 it returns (24 kHz) is decoded with pydub + ffmpeg.
"""

from __future__ import annotations

import asyncio
import io
import math
import shutil
import threading
from collections.abc import Mapping
from typing import Any

from voice.errors import EngineUnavailable, SynthesisError
from voice.interfaces import Synthesizer
from voice.settings import DEFAULT_EDGE_VOICES

_url_lock = threading.Lock()
_default_url: str | None = None


def _use_service_url(url: str) -> None:
    """Point edge-tts at `url`, or back at its built-in endpoint when `url` is empty (process-wide)."""
    global _default_url
    import edge_tts.communicate as communicate

    with _url_lock:
        if _default_url is None:
            _default_url = str(communicate.WSS_URL)
        communicate.WSS_URL = url or _default_url  # type: ignore[attr-defined]


def decode_mp3(data: bytes, sample_rate: int) -> bytes:
    """MP3 bytes -> PCM16 mono at `sample_rate` (pydub drives ffmpeg)."""
    if shutil.which("ffmpeg") is None:
        raise EngineUnavailable("edge", "ffmpeg not found (needed to decode MP3)", hint="apt install ffmpeg")
    from pydub import AudioSegment
    from pydub.exceptions import CouldntDecodeError

    try:
        segment = AudioSegment.from_file(io.BytesIO(data), format="mp3")
    except (CouldntDecodeError, IndexError) as exc:
        raise SynthesisError(f"edge: the service sent audio ffmpeg cannot decode: {exc}") from exc
    return bytes(segment.set_frame_rate(sample_rate).set_channels(1).set_sample_width(2).raw_data)


class EdgeSynthesizer(Synthesizer):
    name = "edge"

    def __init__(
        self,
        voices: Mapping[str, str] | None = None,
        *,
        service_url: str = "",
        connect_timeout: float = 2.0,
        receive_timeout: float = 10.0,
        retry_after: float = 300.0,
        rate: str = "+0%",
    ):
        self._voices = dict(voices or DEFAULT_EDGE_VOICES)
        self.languages = tuple(self._voices)
        self.service_url = service_url
        # edge-tts insists on whole seconds
        self.connect_timeout = max(1, math.ceil(connect_timeout))
        self.receive_timeout = max(1, math.ceil(receive_timeout))
        self.retry_after = retry_after
        self.rate = rate
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()

    def voice_for(self, lang: str) -> str:
        try:
            voice = self._voices[lang]
        except KeyError:
            raise SynthesisError(f"edge: no voice configured for language {lang!r}") from None
        return f"{voice}@{self.rate}"

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        """A private loop on a daemon thread: works whether or not the caller runs asyncio itself."""
        with self._loop_lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="edge-tts", daemon=True).start()
                self._loop = loop
            return self._loop

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        voice = self.voice_for(lang).split("@")[0]
        try:
            import edge_tts  # noqa: F401
        except ImportError as exc:
            raise EngineUnavailable(
                self.name, "edge-tts is not installed", hint="pip install edge-tts"
            ) from exc
        _use_service_url(self.service_url)
        future = asyncio.run_coroutine_threadsafe(self._fetch(text, voice), self._event_loop())
        mp3 = future.result()
        return decode_mp3(mp3, sample_rate)

    async def _fetch(self, text: str, voice: str) -> bytes:
        import aiohttp
        import edge_tts
        from edge_tts import exceptions as edge_errors

        communicate = edge_tts.Communicate(
            text,
            voice,
            rate=self.rate,
            connect_timeout=self.connect_timeout,
            receive_timeout=self.receive_timeout,
        )
        chunks: list[bytes] = []
        try:
            async for chunk in communicate.stream():
                if chunk["type"] == "audio":
                    chunks.append(_audio_bytes(chunk))
        except (TimeoutError, aiohttp.ClientConnectionError, OSError) as exc:
            raise EngineUnavailable(
                self.name, f"service unreachable: {type(exc).__name__}", retry_after=self.retry_after
            ) from exc
        except aiohttp.WSServerHandshakeError as exc:
            raise EngineUnavailable(
                self.name, f"service refused the connection ({exc.status})", retry_after=self.retry_after
            ) from exc
        except edge_errors.NoAudioReceived as exc:
            raise SynthesisError("edge: the service returned no audio") from exc
        except (edge_errors.EdgeTTSException, aiohttp.ClientError) as exc:
            raise SynthesisError(f"edge: protocol error: {type(exc).__name__}: {exc}") from exc
        return b"".join(chunks)


def _audio_bytes(chunk: Any) -> bytes:
    data = chunk.get("data", b"")
    return bytes(data)
