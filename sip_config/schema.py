"""The SIP trunk profile: one YAML file per trunk or account, validated before any call is placed.

A profile never holds a password: `auth.password_env` / `auth.password_key` name where the loader finds it
(environment or secrets file). The resolved password lives only in `Profile.password` as a SecretStr.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_SIP_URI = re.compile(r"^sips?:[^\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_HOSTPORT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+$")


class Transport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"


class Codec(StrEnum):
    PCMU = "PCMU"
    PCMA = "PCMA"
    G722 = "G722"


class DtmfMode(StrEnum):
    RFC2833 = "rfc2833"
    INFO = "info"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Auth(_Strict):
    """Digest credentials: the username here, the password only by reference."""

    username: str = Field(min_length=1)
    realm: str = Field(default="*", description="digest realm; * answers any challenge")
    password_env: str = Field(default="", description="environment variable that holds the password")
    password_key: str = Field(default="", description="key in the secrets file (KEY=VALUE)")

    @model_validator(mode="after")
    def _one_source(self) -> Auth:
        if not (self.password_env or self.password_key):
            raise ValueError("set password_env or password_key (the password never goes in the profile)")
        return self


class Nat(_Strict):
    stun_server: str = Field(default="", description="host[:port] of a STUN server")
    public_address: str = Field(default="", description="address to put in Contact/SDP behind static NAT")

    @field_validator("stun_server", "public_address")
    @classmethod
    def _hostport(cls, value: str) -> str:
        if value and not _HOSTPORT.match(value):
            raise ValueError(f"not a host[:port]: {value!r}")
        return value


class Profile(_Strict):
    """A trunk (registering or IP-authenticated) or a plain SIP account."""

    name: str = Field(min_length=1, max_length=64)
    mode: Literal["register", "ip_auth"] = Field(
        default="ip_auth", description="register: REGISTER with digest; ip_auth: the trunk trusts our IP"
    )
    domain: str = Field(min_length=1, description="host[:port] that E.164 numbers are dialled at")
    registrar: str = Field(default="", description="sip: URI of the registrar (mode register)")
    proxy: str = Field(default="", description="sip: URI of the outbound proxy (optional)")
    transport: Transport = Transport.UDP
    auth: Auth | None = None
    codecs: tuple[Codec, ...] = Field(default=(Codec.PCMU, Codec.PCMA), min_length=1)
    dtmf_mode: DtmfMode = DtmfMode.RFC2833
    caller_id: str = Field(default="", description="E.164 number or user part presented as From")
    caller_name: str = Field(default="", max_length=64)
    owned_numbers: tuple[str, ...] = Field(
        default=(), description="E.164 numbers the operator owns on this trunk: every caller ID must be one"
    )
    p_asserted_identity: str = Field(default="", description="sip:/tel: URI sent as P-Asserted-Identity")
    channel_limit: int = Field(default=10, ge=1, le=10000)
    calls_per_second: float = Field(default=1.0, gt=0, le=1000)
    ring_timeout: float = Field(default=30.0, gt=0, le=300, description="seconds before CANCEL")
    max_call_duration: float = Field(default=600.0, gt=0, le=14400, description="hard cap, seconds")
    register_expires: int = Field(default=300, ge=30, le=86400)
    nat: Nat = Nat()
    password: SecretStr | None = Field(default=None, exclude=True, description="resolved by the loader")

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not _HOSTPORT.match(value):
            raise ValueError(f"not a host[:port]: {value!r}")
        return value

    @field_validator("registrar", "proxy")
    @classmethod
    def _uri(cls, value: str) -> str:
        if value and not _SIP_URI.match(value):
            raise ValueError(f"not a sip: URI: {value!r}")
        return value

    @field_validator("p_asserted_identity")
    @classmethod
    def _pai(cls, value: str) -> str:
        if value and not (_SIP_URI.match(value) or value.startswith("tel:")):
            raise ValueError("must be a sip:, sips: or tel: URI")
        return value

    @field_validator("codecs")
    @classmethod
    def _unique(cls, value: tuple[Codec, ...]) -> tuple[Codec, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a codec is listed twice")
        return value

    @model_validator(mode="after")
    def _mode_needs(self) -> Profile:
        if self.mode == "register":
            if not self.registrar:
                raise ValueError("mode register needs a registrar")
            if self.auth is None:
                raise ValueError("mode register needs auth (username and password_env/password_key)")
        return self

    def destination_uri(self, destination: str) -> str:
        """E.164 numbers are dialled at the profile's domain; SIP URIs go as they are."""
        if destination.startswith(("sip:", "sips:")):
            return destination
        if not _E164.match(destination):
            raise ValueError("destination must be an E.164 number (+15551234567) or a sip: URI")
        params = "" if self.transport is Transport.UDP else f";transport={self.transport.value}"
        return f"sip:{destination}@{self.domain}{params}"

    def from_uri(self, local_host: str) -> str:
        """The From/Contact identity: the caller ID at our domain (or the auth user at the registrar)."""
        user = self.caller_id or (self.auth.username if self.auth else "dialer")
        host = self.domain if self.mode == "register" else local_host
        uri = f"sip:{user}@{host}"
        return f'"{self.caller_name}" <{uri}>' if self.caller_name else f"<{uri}>"
