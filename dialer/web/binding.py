"""Where and how the console listens: the loopback over plain HTTP, or any other address only when the
operator says so (`--public`) and HTTPS is in place, served by the console (`[web] tls_certfile` and
`tls_keyfile`) or by a reverse proxy it trusts (`[web] trusted_proxy`). Off the loopback, cookies are
`Secure` and answers carry HSTS.

The decision reads the address actually bound (`--host` wins over `[web] host`): checking only the
settings let `--host 0.0.0.0` serve plain HTTP with ordinary cookies.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class BindRefused(ValueError):
    """The console would be reachable from other hosts without HTTPS, or without `--public`."""


@dataclass(frozen=True)
class BindPlan:
    host: str
    port: int
    secure: bool  # Secure cookies and HSTS
    certfile: Path | None = None
    keyfile: Path | None = None
    trusted_proxy: str = ""

    @property
    def scheme(self) -> str:
        return "https" if self.certfile else "http"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def plan_bind(settings: Any, host: str | None, port: int | None, public: bool, insecure: bool) -> BindPlan:
    web = settings.web
    bind_host = host or web.host
    bind_port = port or web.port
    cert, key = getattr(web, "tls_certfile", ""), getattr(web, "tls_keyfile", "")
    proxy = getattr(web, "trusted_proxy", "").strip()
    if bool(cert) != bool(key):
        raise BindRefused("[web] tls_certfile and tls_keyfile go together: set both or neither")
    certfile = settings.path(cert, "") if cert else None
    keyfile = settings.path(key, "") if key else None
    for path in (certfile, keyfile):
        if path is not None and not path.is_file():
            raise BindRefused(f"{path}: no such file (TLS settings in [web])")
    if is_loopback(bind_host):
        secure = bool(certfile) and not insecure
        return BindPlan(bind_host, bind_port, secure, certfile, keyfile, proxy)
    if not public:
        raise BindRefused(
            f"refusing to listen on {bind_host}, which other hosts can reach: pass --public, with "
            "[web] tls_certfile and tls_keyfile or [web] trusted_proxy (HTTPS at a reverse proxy)"
        )
    if certfile is None and not proxy:
        raise BindRefused(
            f"--public on {bind_host} needs HTTPS: set [web] tls_certfile and tls_keyfile, or [web] "
            "trusted_proxy to the address of the reverse proxy that terminates TLS"
        )
    if insecure:
        raise BindRefused("--insecure-cookies is for the loopback only")
    return BindPlan(bind_host, bind_port, True, certfile, keyfile, proxy)
