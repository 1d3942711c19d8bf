from __future__ import annotations

from pathlib import Path

import pytest

from dialer.logs import mask_text
from dialer.settings import SettingsError, load_settings


def test_defaults_put_everything_under_the_data_dir(tmp_path: Path) -> None:
    s = load_settings(None, environ={"DIALER_DATA_DIR": str(tmp_path)})
    assert s.data_dir == tmp_path.resolve()
    assert s.database_url == f"sqlite:///{tmp_path.resolve() / 'dialer.db'}"
    assert s.path(s.voice.cache_dir, "tts-cache") == tmp_path.resolve() / "tts-cache"


def test_file_then_environment_precedence(tmp_path: Path) -> None:
    cfg = tmp_path / "dialer.toml"
    cfg.write_text('data_dir = "var"\n[database]\nurl = "sqlite:///from-file.db"\n[sip]\nworkers = 3\n')
    s = load_settings(cfg, environ={"DIALER_SIP__WORKERS": "5"})
    assert s.data_dir == (tmp_path / "var").resolve()  # relative to the file, not the cwd
    assert s.database_url == "sqlite:///from-file.db"
    assert s.sip.workers == 5
    assert s.config_path == cfg


@pytest.mark.parametrize(
    ("text", "env", "needle"),
    [
        ("[sip]\nworkers = 0\n", {}, "sip.workers"),
        ("nonsense = 1\n", {}, "nonsense"),
        ("operator_timezone = 'Mars/Olympus'\n", {}, "operator_timezone"),
        ("[voice\n", {}, "invalid TOML"),
        ("", {"DIALER_WEB__PORT": "http"}, "web.port"),
    ],
)
def test_invalid_settings_name_the_key(tmp_path: Path, text: str, env: dict[str, str], needle: str) -> None:
    cfg = tmp_path / "dialer.toml"
    cfg.write_text(text)
    with pytest.raises(SettingsError, match=needle.replace("[", r"\[")):
        load_settings(cfg, environ=env)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "absent.toml", environ={})


def test_log_masking_hides_numbers_but_keeps_dates() -> None:
    out = mask_text("dialling +16175550100 and 138 0013 8000 on 2026-03-09 at 14:05")
    assert "6175550100" not in out and "+1617*****00" in out
    assert "0013" not in out
    assert "2026-03-09" in out and "14:05" in out
