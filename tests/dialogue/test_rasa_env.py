"""The Rasa environment commands: clear errors without building anything, reuse when healthy."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli.main import cli
from dialogue import rasa_env
from dialogue.interfaces import DialogueEngineUnavailable
from dialogue.script import load_script
from dialogue.settings import DialogueSettings

# The first Rasa test may build the environment (minutes) and train both scripts.
RASA_TIMEOUT = 1800
RASA_MARKS = [pytest.mark.rasa, pytest.mark.slow, pytest.mark.timeout(RASA_TIMEOUT)]


def test_missing_python_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DialogueEngineUnavailable, match=r"no Python 3\.10 at"):
        rasa_env.setup(
            tmp_path / "venv", tmp_path / "python3.10", rasa_env.default_constraints(), say=lambda _: None
        )


def test_missing_constraints_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DialogueEngineUnavailable, match="constraints file not found"):
        rasa_env.setup(tmp_path / "venv", tmp_path / "python3.10", tmp_path / "nope.txt", say=lambda _: None)


def test_engine_without_environment_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DialogueEngineUnavailable, match="dialer rasa setup"):
        rasa_env.require(tmp_path / "no-venv")


def test_constraints_are_found_beside_the_repo(shared_dir: Path) -> None:
    assert rasa_env.default_constraints() == shared_dir / rasa_env.CONSTRAINTS_NAME


def test_model_digest_follows_the_files(tmp_path: Path, script_dirs: dict[str, Path]) -> None:
    import shutil

    copy = tmp_path / "s"
    shutil.copytree(script_dirs["en"], copy)
    before = rasa_env.script_digest(copy)
    (copy / "tests" / "test_stories.yml").write_text("version: '3.1'\n")
    assert rasa_env.script_digest(copy) == before  # test stories do not change the model
    nlu = copy / "data" / "nlu.yml"
    nlu.write_text(nlu.read_text(encoding="utf-8") + "    - one more way to say it\n", encoding="utf-8")
    assert rasa_env.script_digest(copy) != before


@pytest.mark.rasa
@pytest.mark.slow
@pytest.mark.timeout(RASA_TIMEOUT)
def test_setup_is_idempotent_and_script_test_passes_on_rasa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script_dirs: dict[str, Path], rasa_engines: object
) -> None:
    monkeypatch.setenv("DIALER_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()
    setup = runner.invoke(cli, ["rasa", "setup"], catch_exceptions=False)
    assert setup.exit_code == 0 and "environment reused" in setup.output
    trained = runner.invoke(cli, ["rasa", "train", str(script_dirs["zh"])], catch_exceptions=False)
    assert trained.exit_code == 0 and "reminder-zh-" in trained.output
    tested = runner.invoke(
        cli, ["script", "test", str(script_dirs["zh"]), "--engine", "rasa"], catch_exceptions=False
    )
    assert tested.exit_code == 0, tested.output
    stories = len(load_script(script_dirs["zh"]).tests)
    assert stories >= 16
    assert f"reminder-zh on rasa: {stories} passed, 0 failed" in tested.output


@pytest.mark.rasa
@pytest.mark.slow
@pytest.mark.timeout(RASA_TIMEOUT)
def test_connect_to_a_running_server_with_its_token_file(
    tmp_path: Path, script_dirs: dict[str, Path], rasa_engines: object
) -> None:
    from dialogue import rasa_server
    from dialogue.engines import open_engine
    from dialogue.interfaces import DialogueEngineError

    settings = DialogueSettings()
    venv = rasa_env.venv_dir(settings)
    server = rasa_server.start(venv, rasa_env.train(venv, script_dirs["en"]), rasa_server.free_port(), 180)
    try:
        token_file = tmp_path / "token"
        token_file.write_text(server.token)
        connected = DialogueSettings(engine="rasa", rasa_url=server.url, rasa_token_file=str(token_file))
        with open_engine(script_dirs["en"], connected) as engine:
            assert engine.parse("stop calling me").intent == "stop"
        token_file.write_text("wrong-token")
        with pytest.raises(DialogueEngineError, match="401"), open_engine(script_dirs["en"], connected):
            pass
    finally:
        server.stop()
    assert server.process.poll() is not None


def test_setup_never_replaces_a_directory_that_is_not_a_virtualenv(tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    python = rasa_env.default_python(DialogueSettings())
    with pytest.raises(DialogueEngineUnavailable, match="not a virtualenv"):
        rasa_env.setup(
            precious, python if python.exists() else Path("/bin/true"), rasa_env.default_constraints()
        )
    assert (precious / "notes.txt").read_text() == "keep me"
