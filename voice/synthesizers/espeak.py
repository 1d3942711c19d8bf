"""espeak-ng (Debian package) as a subprocess: robotic but instant (~16 ms a sentence) and always there.

Chinese uses ``cmn-latn-pinyin``: Debian 12's plain ``cmn`` voice reads Hanzi words and tone digits with
English rules; the pinyin variant reads Hanzi as Mandarin (still far from natural).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping

from voice.audio import parse_wav_bytes, resample
from voice.errors import EngineUnavailable, SynthesisError
from voice.interfaces import Synthesizer

DEFAULT_VOICES: Mapping[str, str] = {"en": "en-us", "zh": "cmn-latn-pinyin"}


class EspeakSynthesizer(Synthesizer):
    name = "espeak"

    def __init__(
        self,
        voices: Mapping[str, str] | None = None,
        *,
        speed: int = 160,
        binary: str = "espeak-ng",
        timeout: float = 20.0,
    ):
        self._voices = dict(voices or DEFAULT_VOICES)
        self.languages = tuple(self._voices)
        self.speed = speed
        self.binary = binary
        self.timeout = timeout

    def voice_for(self, lang: str) -> str:
        try:
            return f"{self._voices[lang]}@{self.speed}"
        except KeyError:
            raise SynthesisError(f"espeak: no voice configured for language {lang!r}") from None

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        voice = self.voice_for(lang).split("@")[0]
        executable = shutil.which(self.binary)
        if executable is None:
            raise EngineUnavailable(self.name, f"{self.binary} not found", hint="apt install espeak-ng")
        # text goes through stdin so a prompt starting with "-" is never read as an option
        command = [executable, "-v", voice, "-s", str(self.speed), "--stdout", "--stdin"]
        try:
            done = subprocess.run(
                command, input=text.encode("utf-8"), capture_output=True, timeout=self.timeout, check=True
            )
        except subprocess.TimeoutExpired as exc:
            raise SynthesisError(f"espeak: no output within {self.timeout:g} s") from exc
        except subprocess.CalledProcessError as exc:
            detail = exc.stderr.decode("utf-8", "replace").strip()[:200]
            raise SynthesisError(f"espeak: exit status {exc.returncode}: {detail}") from exc
        except OSError as exc:
            raise EngineUnavailable(self.name, f"cannot run {self.binary}: {exc}") from exc
        pcm, rate = parse_wav_bytes(done.stdout, "espeak-ng output")
        return resample(pcm, rate, sample_rate)
