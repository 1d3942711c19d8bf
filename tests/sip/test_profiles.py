"""Profile schema and loader: examples validate; bad input names file, line and field; no secret leaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.sip.dispositions import classify
from sip_config.loader import ProfileError, load_profile, parse_profile
from sip_config.secrets import SecretError, SecretSource, read_secrets_file

EXAMPLES = Path(__file__).resolve().parents[2] / "sip_config" / "examples"


@pytest.mark.parametrize("name", ["loopback.yaml", "registering-trunk.yaml", "ip-auth-trunk.yaml"])
def test_examples_validate(name: str) -> None:
    profile = load_profile(EXAMPLES / name, SecretSource({"SIP_TRUNK_PASSWORD": "pw"}))
    assert profile.name == name.removesuffix(".yaml")
    assert profile.ring_timeout > 0


def test_password_comes_from_the_environment_and_never_shows(tmp_path: Path) -> None:
    profile = load_profile(
        EXAMPLES / "registering-trunk.yaml", SecretSource({"SIP_TRUNK_PASSWORD": "hunter2x"})
    )
    assert profile.password is not None and profile.password.get_secret_value() == "hunter2x"
    assert "hunter2x" not in repr(profile) and "hunter2x" not in str(profile)
    assert "hunter2x" not in profile.model_dump_json()


def test_password_from_secrets_file_wins(tmp_path: Path) -> None:
    secrets = tmp_path / "sip.secrets"
    secrets.write_text("# trunk\nSIP_TRUNK_PASSWORD = 'from-file'\n")
    source = SecretSource.from_file(secrets, {"SIP_TRUNK_PASSWORD": "from-env"})
    profile = load_profile(EXAMPLES / "registering-trunk.yaml", source)
    assert profile.password is not None and profile.password.get_secret_value() == "from-file"
    assert "from-file" not in repr(source)


def test_malformed_secrets_file_gives_the_line_not_the_value(tmp_path: Path) -> None:
    secrets = tmp_path / "bad.secrets"
    secrets.write_text("A=1\nthis-is-the-password\n")
    with pytest.raises(SecretError, match=r"bad.secrets:2: expected KEY=VALUE") as info:
        read_secrets_file(secrets)
    assert "this-is-the-password" not in str(info.value)


def test_missing_password_names_the_field(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        load_profile(EXAMPLES / "registering-trunk.yaml", SecretSource({}))
    assert info.value.field == "auth.password_env"


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("name: x\ndomain: h\ntransport: sctp\n", "transport", 3),
        ("name: x\ndomain: h\ncodecs: [PCMU, OPUS]\n", "codecs.1", 3),
        ("name: x\ndomain: h\ndtmf_mode: inband\n", "dtmf_mode", 3),
        ("name: x\ndomain: h\nring_timeout: -1\n", "ring_timeout", 3),
        ("name: x\ndomain: h\nmode: register\n", "(profile)", None),
        ("name: x\ndomain: h\nnat:\n  stun_server: 'bad host'\n", "nat.stun_server", 4),
        ("name: x\ndomain: h\nauth:\n  username: u\n", "auth", 3),
        ("name: x\ndomain: h\nproxy: http://x\n", "proxy", 3),
        ("name: x\ndomain: h\ncolor: blue\n", "color", 3),
    ],
)
def test_invalid_fields_are_named_with_their_line(text: str, field: str, line: int | None) -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile(text, "trunk.yaml")
    assert info.value.field == field
    if line is not None:
        assert str(info.value).startswith(f"trunk.yaml:{line}: field {field!r}")


def test_a_password_in_the_profile_is_refused_without_echoing_it() -> None:
    with pytest.raises(ProfileError) as info:
        parse_profile("name: x\ndomain: h\npassword: swordfish\n", "t.yaml")
    assert info.value.field == "password" and "swordfish" not in str(info.value)


def test_destination_uri_from_e164_and_sip() -> None:
    profile = parse_profile("name: x\ndomain: trunk.example:5060\ntransport: tcp\n")
    assert profile.destination_uri("+15551234567") == "sip:+15551234567@trunk.example:5060;transport=tcp"
    assert profile.destination_uri("sip:bob@h") == "sip:bob@h"
    with pytest.raises(ValueError):
        profile.destination_uri("555-1234")


@pytest.mark.parametrize(
    ("code", "kw", "expected"),
    [
        (486, {}, "busy"),
        (600, {}, "busy"),
        (603, {}, "rejected"),
        (404, {}, "vacant"),
        (604, {}, "vacant"),
        (410, {}, "out_of_service"),
        (480, {}, "unreachable"),
        (487, {"cancelled_by_us": True}, "no_answer"),
        (408, {"provisional_seen": True}, "no_answer"),
        (408, {}, "trunk_failure"),
        (503, {}, "trunk_failure"),
        (0, {}, "trunk_failure"),
        (403, {}, "trunk_failure"),
        (200, {"answered": True}, "answered"),
    ],
)
def test_classify(code: int, kw: dict[str, bool], expected: str) -> None:
    kw = {"answered": False, **kw}
    assert classify(code, **kw) == expected  # type: ignore[arg-type]
