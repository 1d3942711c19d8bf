"""A local stand-in for Microsoft's edge TTS websocket service on 127.0.0.1, speaking its protocol:
turn.start, binary "Path:audio" messages with MP3, turn.end."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web


@dataclass
class FakeEdge:
    """Answers with `mp3`, or with `render(text, lang)` of the text in the SSML when given."""

    mp3: bytes = b""
    mode: str = "ok"  # ok | no_audio | garbage | reject
    render: Callable[[str, str], bytes] | None = None
    requests: list[dict[str, str]] = field(default_factory=list)
    ssml: list[str] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/edge/v1?TrustedClientToken=test"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(dict(request.query))
        if self.mode == "reject":
            return web.Response(status=403, text="forbidden")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        request_id = uuid.uuid4().hex
        async for message in ws:
            if message.type != WSMsgType.TEXT or "Path:ssml" not in message.data:
                continue
            self.ssml.append(message.data)
            await ws.send_str(f"X-RequestId:{request_id}\r\nPath:turn.start\r\n\r\n{{}}")
            if self.mode != "no_audio":
                payload = (
                    self._answer(message.data) if self.mode == "ok" else b"\x00not an mp3 stream\x00" * 50
                )
                header = f"X-RequestId:{request_id}\r\nContent-Type:audio/mpeg\r\nPath:audio\r\n".encode()
                for offset in range(0, len(payload), 4096):
                    chunk = payload[offset : offset + 4096]
                    await ws.send_bytes(len(header).to_bytes(2, "big") + header + chunk)
            await ws.send_str(f"X-RequestId:{request_id}\r\nPath:turn.end\r\n\r\n{{}}")
        return ws

    def _answer(self, ssml: str) -> bytes:
        if self.render is None:
            return self.mp3
        text = re.search(r"<prosody[^>]*>(.*?)</prosody>", ssml, re.S)
        lang = re.search(r"xml:lang='([a-z]{2})", ssml)
        return self.render(html.unescape(text.group(1) if text else ""), lang.group(1) if lang else "en")

    def start(self) -> FakeEdge:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            app.router.add_get("/edge/v1", self._handle)
            self._runner = web.AppRunner(app)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None or self._runner is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        future.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
