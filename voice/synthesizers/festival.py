"""Festival (``text2wave``) and flite (Debian packages) as English voices the product was not tuned to.

Used by the understanding bench to speak the evaluation corpus with voices other than the product's
(piper joe, espeak-ng): festival's diphone ``kal`` and HTS ``slt``, flite's ``slt``, ``awb``, ``rms``.
Text goes through a file (never the command line), output WAV is resampled to the call rate.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from voice.audio import parse_wav_bytes, resample
from voice.errors import EngineUnavailable, SynthesisError
from voice.interfaces import Synthesizer

FESTIVAL_VOICES = {"kal": "voice_kal_diphone", "slt-hts": "voice_cmu_us_slt_arctic_hts"}
FLITE_VOICES = ("slt", "awb", "rms", "kal16")


def _run(command: list[str], engine: str, timeout: float) -> None:
    try:
        subprocess.run(command, capture_output=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired as exc:
        raise SynthesisError(f"{engine}: no output within {timeout:g} s") from exc
    except subprocess.CalledProcessError as exc:
        detail = exc.stderr.decode("utf-8", "replace").strip()[:200]
        raise SynthesisError(f"{engine}: exit status {exc.returncode}: {detail}") from exc
    except OSError as exc:
        raise EngineUnavailable(engine, f"cannot run {command[0]}: {exc}") from exc


class _FileEngine(Synthesizer):
    """Text file in, WAV file out, through a Debian command-line synthesizer."""

    binary = ""
    package = ""
    languages = ("en",)

    def __init__(self, voice: str, *, timeout: float = 30.0):
        self.voice_name = voice
        self.timeout = timeout

    def voice_for(self, lang: str) -> str:
        if lang != "en":
            raise SynthesisError(f"{self.name}: no voice for language {lang!r}")
        return self.voice_name

    def command(self, executable: str, text_file: Path, wav_file: Path) -> list[str]:
        raise NotImplementedError

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.voice_for(lang)
        executable = shutil.which(self.binary)
        if executable is None:
            raise EngineUnavailable(self.name, f"{self.binary} not found", hint=f"apt install {self.package}")
        with tempfile.TemporaryDirectory(prefix=f"{self.name}-") as work:
            text_file, wav_file = Path(work) / "text.txt", Path(work) / "out.wav"
            text_file.write_text(text + "\n", encoding="utf-8")
            _run(self.command(executable, text_file, wav_file), self.name, self.timeout)
            if not wav_file.is_file():
                raise SynthesisError(f"{self.name}: no audio written")
            pcm, rate = parse_wav_bytes(wav_file.read_bytes(), f"{self.name} output")
        if not pcm:
            raise SynthesisError(f"{self.name}: empty audio")
        return resample(pcm, rate, sample_rate)


class FestivalSynthesizer(_FileEngine):
    name = "festival"
    binary = "text2wave"
    package = "festival festvox-kallpc16k festvox-us-slt-hts"

    def __init__(self, voice: str = "kal", *, timeout: float = 30.0):
        if voice not in FESTIVAL_VOICES:
            raise SynthesisError(f"festival: unknown voice {voice!r}; known: {', '.join(FESTIVAL_VOICES)}")
        super().__init__(voice, timeout=timeout)

    def command(self, executable: str, text_file: Path, wav_file: Path) -> list[str]:
        select = f"({FESTIVAL_VOICES[self.voice_name]})"
        return [executable, "-eval", select, "-o", str(wav_file), str(text_file)]


class FliteSynthesizer(_FileEngine):
    name = "flite"
    binary = "flite"
    package = "flite"

    def __init__(self, voice: str = "slt", *, timeout: float = 30.0):
        if voice not in FLITE_VOICES:
            raise SynthesisError(f"flite: unknown voice {voice!r}; known: {', '.join(FLITE_VOICES)}")
        super().__init__(voice, timeout=timeout)

    def command(self, executable: str, text_file: Path, wav_file: Path) -> list[str]:
        return [executable, "-voice", self.voice_name, "-f", str(text_file), "-o", str(wav_file)]
