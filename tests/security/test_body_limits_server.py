"""Chunked uploads (no Content-Length) against a real console: an anonymous one is answered before its
body is taken, a signed-in one is cut off with 413 as soon as it passes the upload limit, not after the
whole body. Measured on a raw socket: bytes the client managed to send before the answer arrived."""

from __future__ import annotations

import select
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dialer.web.settings import DEFAULT_MAX_UPLOAD

from .server import console_server

MB = 1 << 20


def chunked_post(url: str, path: str, headers: dict[str, str], total: int) -> tuple[int, int]:
    """(status, bytes of body sent before the server answered)."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Transfer-Encoding: chunked"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    preamble = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
    sock.sendall(b"%x\r\n" % len(preamble) + preamble + b"\r\n")
    chunk = b"%x\r\n" % MB + b"a" * MB + b"\r\n"
    sent = 0
    try:
        while sent < total:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            sock.sendall(chunk)
            sent += MB
        answer = sock.recv(4096).decode("latin-1")
    except (BrokenPipeError, ConnectionResetError):
        answer = sock.recv(4096).decode("latin-1")
    finally:
        sock.close()
    return int(answer.split(" ", 2)[1]), sent


@pytest.mark.slow
def test_chunked_uploads_are_refused_while_streaming(tmp_path: Path) -> None:
    with console_server(tmp_path) as server:
        multipart = {"Content-Type": "multipart/form-data; boundary=x"}
        status, sent = chunked_post(server.url, "/campaigns/june/upload", multipart, 1024 * MB)
        assert status == 303 and sent <= 8 * MB, (status, sent)
        client = server.signed_in("operator")
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        token = server.csrf(client, "/campaigns/june/upload")
        signed = {**multipart, "Cookie": cookies, "X-CSRF-Token": token}
        status, sent = chunked_post(server.url, "/campaigns/june/upload", signed, 1024 * MB)
        assert status == 413 and sent <= DEFAULT_MAX_UPLOAD + 8 * MB, (status, sent)
        uploads = server.data / "uploads"
        assert not uploads.exists() or not any(uploads.iterdir())
