"""The Rasa 3.6 environment: a Python 3.10 virtualenv beside the dialer (Rasa 3.6 does not run on 3.11).

Built once by `dialer rasa setup` from the pinned constraints and reused while healthy; trained models are
cached by a hash of the script files, so an unchanged script is never retrained.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from dialogue.interfaces import DialogueEngineError, DialogueEngineUnavailable
from dialogue.settings import DialogueSettings

RASA_VERSION = "3.6.21"
JIEBA = "jieba==0.42.1"
CONSTRAINTS_NAME = "rasa-3.6.21-py310-constraints.txt"
REPO = Path(__file__).resolve().parent.parent
SETUP_HINT = "run `dialer rasa setup` (needs Python 3.10 and the pip index)"


def venv_dir(settings: DialogueSettings) -> Path:
    if settings.rasa_venv:
        return Path(settings.rasa_venv).expanduser()
    return Path.home() / ".cache" / "reminder-dialer" / f"rasa-{RASA_VERSION}"


def models_dir(venv: Path) -> Path:
    return venv.parent / f"rasa-{RASA_VERSION}-models"


def default_constraints() -> Path:
    return REPO.parent / "shared" / CONSTRAINTS_NAME


def default_python(settings: DialogueSettings) -> Path:
    if settings.rasa_python:
        return Path(settings.rasa_python)
    root = ""
    if shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False)
        root = done.stdout.strip()
    base = Path(root) if root else Path.home() / ".pyenv"
    return base / "versions" / "3.10.13" / "bin" / "python"


def health(venv: Path) -> str | None:
    """None when the environment can run Rasa; otherwise why not."""
    python = venv / "bin" / "python"
    if not python.exists():
        return f"no Rasa environment at {venv}"
    code = "import rasa, jieba, sklearn; print(rasa.__version__)"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        return f"the Rasa environment at {venv} is broken: {done.stderr.strip().splitlines()[-1:]}"
    if done.stdout.strip() != RASA_VERSION:
        return f"the environment at {venv} has Rasa {done.stdout.strip()}, not {RASA_VERSION}"
    return None


def require(venv: Path) -> None:
    problem = health(venv)
    if problem:
        raise DialogueEngineUnavailable(f"{problem}: {SETUP_HINT}")


def setup(venv: Path, python: Path, constraints: Path, say: Callable[[str], None] = print) -> bool:
    """Build (or reuse) the environment. Returns True when it was already healthy."""
    if health(venv) is None:
        return True
    if not constraints.is_file():
        raise DialogueEngineUnavailable(
            f"constraints file not found: {constraints} (pass --constraints PATH)"
        )
    if not python.exists():
        raise DialogueEngineUnavailable(
            f"no Python 3.10 at {python}: install it (pyenv install 3.10.13) or pass --python"
        )
    if venv.exists():
        if not (venv / "pyvenv.cfg").exists():
            raise DialogueEngineUnavailable(f"{venv} exists and is not a virtualenv: refusing to replace it")
        shutil.rmtree(venv)  # a broken environment of ours: rebuild it
    venv.parent.mkdir(parents=True, exist_ok=True)
    say(f"creating {venv} with {python}")
    _run([str(python), "-m", "venv", str(venv)], "creating the virtualenv")
    say(f"installing rasa=={RASA_VERSION} (pinned by {constraints.name}); this takes a few minutes")
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    _run([*pip, f"rasa=={RASA_VERSION}", JIEBA, "-c", str(constraints)], "installing Rasa")
    problem = health(venv)
    if problem:
        raise DialogueEngineError(problem)
    return False


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise DialogueEngineError(f"{what} failed (exit {done.returncode}):\n{tail}")


def script_digest(script: Path) -> str:
    """A hash of everything training reads, so a model is retrained only when the script changed."""
    digest = hashlib.sha256()
    for path in sorted(
        [script / "domain.yml", script / "config.yml", *sorted((script / "data").glob("*.yml"))]
    ):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def train(venv: Path, script: Path, force: bool = False) -> Path:
    """Train (or reuse) the Rasa model for a script; returns the model archive."""
    require(venv)
    out = models_dir(venv)
    out.mkdir(parents=True, exist_ok=True)
    name = f"{script.name}-{script_digest(script)}"
    model = out / f"{name}.tar.gz"
    if model.exists() and not force:
        return model
    with tempfile.TemporaryDirectory(prefix="rasa-train-") as work:
        command = [
            str(venv / "bin" / "rasa"), "train", "--domain", str(script / "domain.yml"),
            "--data", str(script / "data"), "--config", str(script / "config.yml"),
            "--out", str(out), "--fixed-model-name", name,
        ]  # fmt: skip
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
        done = subprocess.run(command, cwd=work, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0 or not model.exists():
        lines = [ln for ln in (done.stdout + done.stderr).splitlines() if "Processed" not in ln]
        raise DialogueEngineError(f"rasa train {script.name} failed:\n" + "\n".join(lines[-20:]))
    return model
