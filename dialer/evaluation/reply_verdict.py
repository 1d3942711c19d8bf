"""What a call does with one heard reply: acts on it, asks it back first, or does not understand it.

A critical reading the NLU makes is not yet a record. The call's policy puts every reply through the
product's checks first: its confidence is the recognizer's times the NLU's (dialogue/significance.py);
a significant reading below dialer.yml ``significant.threshold`` is asked back with its check question,
one whose NLU confidence is below ``significant.floor`` is not understood, a weak best guess of
stop/cease is asked about; a promise is read back and recorded only after a confident yes
(dialogue/confirm.py); a reading no rule knows at that point of the call is not understood. So the
verdict is taken by the product itself: a policy of the real script is brought to the point of the call
where the reply is said and handed the reply as the recognizer heard it (text, confidence, language).
Nothing here repeats a threshold.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.embedded.policy import EmbeddedPolicy
from dialogue.interfaces import Say, UserSaid
from dialogue.significance import combined, settings
from dialogue.storytest import context_for
from dialogue.understanding.nlu import FALLBACK_INTENT
from voice.interfaces import ListeningHints
from voice.spoken_corpus import critical_class

ACTED_ON = "acted on"  # the reading changed the account or the call at once
ASKED_BACK = "asked back"  # its check question: recorded only on a confident yes (or silence, per script)
ASKED_FIRST = (
    "asked first"  # the rules asked a question, recorded nothing (a promise's read-back, a payment's day)
)
NOT_UNDERSTOOD = "not understood"  # floor, no rule at this point, or the recognizer heard nothing
VERDICTS = (ACTED_ON, ASKED_BACK, ASKED_FIRST, NOT_UNDERSTOOD)

# Where in a call a reply is said: the opening's "am I speaking with ...?", or the payment question once
# the callee has said who they are (with this reply, which the script must understand).
OPENING, PAYMENT = "opening", "payment"
POINTS = (OPENING, PAYMENT)
CONFIRMED = {"en": "yes, this is John", "zh": "是我"}


@dataclass(frozen=True, slots=True)
class ReplyVerdict:
    """The call's decision on one reply: ``readings`` are the intents it acted on or asked about (the
    check question's readings); ``combined`` the recognizer x NLU confidence it judged."""

    kind: str
    readings: tuple[str, ...] = ()
    combined: float = 0.0
    check: str = ""  # the check question asked, when asked back

    @property
    def classes(self) -> frozenset[str]:
        """The critical classes of the readings (opt_out for stop and cease, ...)."""
        return frozenset(c for c in (critical_class(r) for r in self.readings) if c is not None)

    @property
    def checked(self) -> bool:
        """Nothing recorded yet: the callee is asked first (check question or read-back)."""
        return self.kind in (ASKED_BACK, ASKED_FIRST)


class CallJudge:
    """A script's call, brought to a point and handed one reply; one per script (not thread-safe)."""

    def __init__(self, engine: EmbeddedEngine, now: dt.datetime | None = None) -> None:
        self.engine = engine
        self.script = engine.script
        self.now = now
        language = self.script.language.split("-")[0]
        if language not in CONFIRMED:
            raise ValueError(f"no right-party reply known for language {language!r} (CONFIRMED)")
        self.confirmed = CONFIRMED[language]
        asks: dict[str, list[str]] = {}
        for intent, question in settings(self.script)[1].items():
            asks.setdefault(question, []).append(intent)
        self._asks = {question: tuple(sorted(intents)) for question, intents in asks.items()}

    def policy_at(self, point: str) -> EmbeddedPolicy:
        """A fresh call of the script at `point` (the call's context is dialer.yml's test_context)."""
        if point not in POINTS:
            raise ValueError(f"unknown point of the call {point!r}; known: {', '.join(POINTS)}")
        policy = self.engine.new_policy()
        policy.start(context_for(self.script, {"now": self.now.isoformat()} if self.now else {}))
        if point == PAYMENT:
            policy.handle(UserSaid(self.confirmed))
            if policy.ended or policy.last_parse is None or policy.last_parse.intent == FALLBACK_INTENT:
                raise ValueError(
                    f"{self.script.root}: the reply {self.confirmed!r} does not confirm the party"
                )
        return policy

    def hints(self, point: str) -> ListeningHints:
        """What a call gives the recognizer at `point`: the bot's last sentence and the phrases it expects."""
        heard = self.policy_at(point).hints()
        return ListeningHints(prompt=heard.prompt, phrases=tuple(heard.phrases))

    def judge(self, point: str, text: str, asr_confidence: float, language: str = "") -> ReplyVerdict:
        """The call's decision on `text` heard at `point` with the recognizer's confidence and language."""
        policy = self.policy_at(point)
        before = len(policy.tracker)
        # as the call session hands a reply over (dialer/session/conversation.py)
        actions = policy.handle(UserSaid(text, asr_confidence if text else 0.0, language))
        parse = policy.last_parse
        sure = combined(parse, asr_confidence if text else 0.0) if parse is not None else 0.0
        added = policy.tracker[before:]
        if not added:  # the check lives outside the tracker: the rules never saw this reply
            question = policy.last_executed[0] if policy.last_executed else ""
            if question not in self._asks:
                raise ValueError(f"reply kept outside the tracker without a check question ({question!r})")
            return ReplyVerdict(ASKED_BACK, self._asks[question], sure, question)
        reading = added[0].name if added[0].kind == "user" else FALLBACK_INTENT
        if reading == FALLBACK_INTENT:
            return ReplyVerdict(NOT_UNDERSTOOD, (), sure)
        kind = ACTED_ON if any(_acts(action) for action in actions) else ASKED_FIRST
        return ReplyVerdict(kind, (reading,), sure)


def _acts(action: object) -> bool:
    """An action that records, sets the outcome, or ends or hands over the call."""
    return not isinstance(action, Say)
