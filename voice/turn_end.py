"""When a callee's turn is over: the decision the endpointer asks for at every silent frame.

A fixed trailing silence (`FixedSilence`, 300 ms) cuts a callee who pauses mid-turn ("No. ... he passed
away last month") and still makes a complete answer wait the full silence. `AdaptiveSilence` reads
the partial transcript with a cheap text check: a complete clause ends after a short silence (250 ms),
a complete but brief one ("I'm driving") after 600 ms; a bare word ("No.", "Yeah", "不是") waits 1 s and
a turn that ends in a filler or a conjunction ("um", "and", "因为") 1.2 s; while no transcript covers
the speech yet (whisper decodes at each pause) it waits 800 ms. The policy only ever
sees audio time and text the listener hands it, so a bench replay and a live call decide alike.

`bench/turn_end_bench.py` measures each policy (false cut-offs inside pauses, latency after the true end
of speech) on the spoken corpus with inserted pauses. No text check can tell a complete clause that is
followed by more ("I'm driving, ... call me in an hour") from a finished turn: those pauses are still cut.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from voice.settings import VoiceSettings

TurnReading = Literal["complete", "brief", "short", "incomplete"]
BRIEF_WORDS = 3  # a complete clause this short ("I'm driving", "It's been paid") often has more after it
BRIEF_HANZI = 4


@dataclass(frozen=True, slots=True)
class TurnSoFar:
    """What the endpointer knows at a silent frame; `audio()` joins the turn's PCM only when asked."""

    silence_ms: float
    voiced_ms: float
    now: float
    audio: Callable[[], bytes]
    sample_rate: int


class TurnEndPolicy(abc.ABC):
    """One decision per silent frame of an open turn: is the callee done?"""

    name = "policy"

    def begin(self, now: float) -> None:  # noqa: B027 - optional hook
        """A new turn opened at audio time `now`."""

    def speaking(self, now: float) -> None:  # noqa: B027 - optional hook
        """A voiced frame ended at `now`: whatever was heard before no longer covers the turn."""

    def heard(self, text: str, now: float, *, expected: bool = False) -> None:  # noqa: B027
        """A new partial transcript arrived at `now`; `expected`: it is one of the dialogue's phrases."""

    @abc.abstractmethod
    def ended(self, turn: TurnSoFar) -> bool:
        """True when the trailing silence so far ends the turn."""

    @property
    def max_wait_ms(self) -> float:
        """The longest silence this policy ever waits (for callers that must bound a turn)."""
        return 0.0


class FixedSilence(TurnEndPolicy):
    """Today's rule: a fixed trailing silence (the listener may shorten it for an expected phrase)."""

    name = "fixed"

    def __init__(self, end_ms: float = 300.0):
        self.end_ms = end_ms

    def ended(self, turn: TurnSoFar) -> bool:
        return turn.silence_ms >= self.end_ms - 1e-6

    @property
    def max_wait_ms(self) -> float:
        return self.end_ms


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EN_OPEN = _set(
    "um umm uh uhh er erm hmm mm mhm well so like and but or because cause cos if then than the a an to "
    "my your his her our their i we you he she they of in on at for with from about as just actually "
    "also is was are were be been am gonna wanna can could would will should did do does not it's "
    "i'm we're he's she's they're that's"
)
# a bare one-word reply often opens a longer one ("No. He passed away."); two-word yes/no too
_EN_BARE = _set("no nope nah yes yeah yep yup okay ok well sure right hello hi hey oh sorry")
# ... but a bare yes is the whole answer to the yes/no questions the bot asks: it reads as brief
_EN_YES = _set("yes yeah yep yup okay ok sure right correct")
_ZH_YES = _set("是 是的 是我 对 对的 对对 是是 好 好的 行 可以")
_ZH_OPEN_ENDINGS = (
    "嗯", "呃", "额", "啊", "那个", "这个", "就是", "然后", "因为", "但是", "可是", "所以", "而且", "还有",
    "不过", "如果", "和", "跟", "还", "我", "他", "她", "我们", "的话", "是", "在", "要", "会", "想",
)  # fmt: skip
_ZH_BARE = _set("不 不是 不对 没有 对 是 是的 嗯 好 好的 行 喂 哦 啊 我 他 没 算了 哎 嗯嗯 对对 是是 不不")
_OPEN_PUNCTUATION = (",", "，", "、", "...", "…", "-", "—", ":", "：", ";", "；")
# After a full stop or a question mark only a filler or a conjunction still leaves the turn open:
# Whisper closes "What company are you calling from?" and "I don't think so." as sentences, and
# "from" or "so" at the end of a sentence is not the start of another.
_CLOSING_PUNCTUATION = (".", "?", "!", "。", "？", "！")
_EN_STILL_OPEN = _set("um umm uh uhh er erm hmm and but or because cause cos if")
_ZH_STILL_OPEN = (
    "嗯", "呃", "额", "那个", "这个", "就是", "然后", "因为", "但是", "可是", "所以", "而且", "还有", "不过",
    "如果", "的话",
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9']+")


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def read_turn(text: str) -> TurnReading:
    """A cheap reading of a partial transcript: complete, a bare word (may go on), or plainly unfinished."""
    stripped = text.strip()
    chinese = _is_chinese(stripped)
    if not chinese:
        # tiny.en ends complete English sentences with a comma or "..." as often as not ("I can pay on
        # Friday,", "Yeah, speaking..."): there the words decide (turn_end_bench: complete turns on
        # G.711 waited p50/p95 320/1140 ms with the comma as evidence, 260/600 ms without)
        stripped = stripped.rstrip(",.…").rstrip() if stripped.endswith((",", "...", "…")) else stripped
    if not stripped:
        return "incomplete"
    if stripped.endswith(_OPEN_PUNCTUATION):
        return "incomplete"
    closed = stripped.endswith(_CLOSING_PUNCTUATION)
    if chinese:
        hanzi = "".join(ch for ch in stripped if ch.isalnum())
        if hanzi in _ZH_YES or (len(set(hanzi)) == 1 and hanzi[0] in "是对好行"):  # "对对对"
            return "brief"
        if hanzi in _ZH_BARE or len(set(hanzi)) <= 1:  # a word said again ("不不不") is still that word
            return "short"
        if hanzi.endswith(_ZH_STILL_OPEN if closed else _ZH_OPEN_ENDINGS):
            return "incomplete"
        return "brief" if len(hanzi) <= BRIEF_HANZI else "complete"
    words = _WORD.findall(stripped.lower())
    if not words:
        return "incomplete"
    if words[-1] in (_EN_STILL_OPEN if closed else _EN_OPEN):
        return "incomplete"
    if all(w in _EN_YES for w in words):
        return "brief"
    # two bare words ("oh okay"), or one said again ("no, no, no": a person, or Whisper's loop on "No.")
    if len(set(words)) == 1 or (len(set(words)) == 2 and all(w in _EN_BARE for w in words)):
        return "short"
    return "brief" if len(words) <= BRIEF_WORDS else "complete"


class AdaptiveSilence(TurnEndPolicy):
    """Trailing silence chosen by the latest partial transcript that covers all the speech so far.

    A partial that arrived while the callee was still speaking (or before the last voiced frame) does
    not cover the turn: until a fresh one comes, `pending_ms` applies. Whisper decodes at each pause,
    so its transcript of the pause arrives during that pause; a slower decode only costs latency.
    """

    name = "adaptive"

    def __init__(
        self,
        *,
        complete_ms: float = 250.0,
        brief_ms: float | None = 600.0,
        pending_ms: float = 800.0,
        short_ms: float = 1000.0,
        incomplete_ms: float = 1200.0,
        expected_ms: float | None = None,
    ):
        self.complete_ms = complete_ms
        self.brief_ms = complete_ms if brief_ms is None else brief_ms
        self.pending_ms = pending_ms
        self.short_ms = short_ms
        self.incomplete_ms = incomplete_ms
        self.expected_ms = expected_ms  # an expected multi-word phrase: at most this (None: complete_ms)
        self._last_voiced = 0.0
        self._reading: TurnReading | None = None
        self._expected = False
        self._heard_at = -1.0

    def begin(self, now: float) -> None:
        self._last_voiced = now
        self._reading = None
        self._heard_at = -1.0

    def speaking(self, now: float) -> None:
        self._last_voiced = now

    def heard(self, text: str, now: float, *, expected: bool = False) -> None:
        self._reading = read_turn(text)
        self._expected = expected
        self._heard_at = now

    def needed_ms(self) -> float:
        """The silence that ends the turn as things stand."""
        if self._reading is None or self._heard_at <= self._last_voiced + 1e-9:
            return self.pending_ms
        if self._reading in ("complete", "brief"):
            wait = self.complete_ms if self._reading == "complete" else self.brief_ms
            if self._expected and self.expected_ms is not None:
                return min(self.expected_ms, wait)
            return wait
        return self.short_ms if self._reading == "short" else self.incomplete_ms

    def ended(self, turn: TurnSoFar) -> bool:
        return turn.silence_ms >= self.needed_ms() - 1e-6

    @property
    def max_wait_ms(self) -> float:
        return max(self.complete_ms, self.brief_ms, self.pending_ms, self.short_ms, self.incomplete_ms)


def policy_for(voice: VoiceSettings, quick_end_ms: int | None = None) -> TurnEndPolicy | None:
    """The call's end-of-turn policy from `[voice]` (None: a fixed `end_of_speech_ms`, the listener's
    quick end for expected phrases as before); `quick_end_ms` caps the wait after an expected phrase."""
    if voice.end_of_turn == "fixed":
        return None
    return AdaptiveSilence(
        complete_ms=voice.end_of_turn_complete_ms,
        brief_ms=voice.end_of_turn_brief_ms,
        pending_ms=voice.end_of_turn_pending_ms,
        short_ms=voice.end_of_turn_short_ms,
        incomplete_ms=voice.end_of_turn_incomplete_ms,
        expected_ms=quick_end_ms,
    )
