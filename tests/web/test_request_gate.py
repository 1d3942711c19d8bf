"""The request gate: identity before the body, the body counted while it streams (with no Content-Length
too), and an access log without personal data. The probe: an anonymous chunked 1 GiB upload was read and
spooled to disk in full before the redirect to sign-in."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from .conftest import ConsoleEnv, csrf_from

MB = 1 << 20


class Body:
    """A chunked request body of up to `total` bytes that counts how much of it was pulled."""

    def __init__(self, total: int = 1024 * MB) -> None:
        self.total = total
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        head = b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        yield head
        while self.sent < self.total:
            self.sent += MB
            yield b"a" * MB


MULTIPART = {"content-type": "multipart/form-data; boundary=x"}


def test_an_anonymous_chunked_upload_is_turned_away_before_its_body_is_read(sqlite_env: ConsoleEnv) -> None:
    body = Body()
    response = sqlite_env.client().post("/campaigns/june/upload", content=iter(body), headers=MULTIPART)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert body.sent <= MB  # not one megabyte of the gigabyte was taken
    api = sqlite_env.client().post(
        "/api/accounts", content=iter(Body()), headers={"content-type": "application/json"}
    )
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"


def test_a_signed_in_chunked_upload_is_cut_off_at_the_limit(sqlite_env: ConsoleEnv) -> None:
    client = sqlite_env.client("operator")
    token = csrf_from(client.get("/campaigns/june/upload").text)
    body = Body()
    response = client.post(
        "/campaigns/june/upload", content=iter(body), headers={**MULTIPART, "x-csrf-token": token}
    )
    assert response.status_code == 413 and "upload limit" in response.text, re.sub(
        r"\s+", " ", response.text
    )[-800:]
    # (TestClient reads a request body whole: tests/security/test_body_limits_server.py measures the
    # streaming cut-off against a real server)


def test_an_unknown_token_with_a_body_is_refused_before_the_body(sqlite_env: ConsoleEnv) -> None:
    body = Body()
    response = sqlite_env.client().post(
        "/api/accounts", content=iter(body), headers={"Authorization": "Bearer dlr_nope", **MULTIPART}
    )
    assert response.status_code == 401 and body.sent <= MB


def test_the_sign_in_form_has_a_small_limit(sqlite_env: ConsoleEnv) -> None:
    response = sqlite_env.client().post("/login", content=iter(Body(4 * MB)), headers=MULTIPART)
    assert response.status_code == 413


def test_the_access_log_has_no_query_strings_numbers_or_tokens(
    sqlite_env: ConsoleEnv, caplog: pytest.LogCaptureFixture
) -> None:
    token = sqlite_env.token("admin")
    client = sqlite_env.client()
    with caplog.at_level(logging.INFO, logger="dialer.web.access"):
        client.get("/api/dnc?number=%2B16175550123", headers={"Authorization": f"Bearer {token}"})
        client.get("/api/accounts/16175550177", headers={"Authorization": f"Bearer {token}"})
        client.get("/login?next=/x&error=1")
    lines = [r.getMessage() for r in caplog.records if r.name == "dialer.web.access"]
    assert len(lines) == 3, lines
    text = "\n".join(lines)
    assert "GET /api/dnc 200" in text and "GET /login 200" in text
    for secret in ("6175550123", "16175550177", token, "number=", "?"):
        assert secret not in text
