"""Yes/no answers that change the outcome must be confident answers.

A weak "yes" to the right-party question, the transfer offer or the promise confirmation would discuss a
debt with a stranger, transfer a caller who said "Goodbye." or record a promise nobody made. So after the
questions listed in dialer.yml `confirm_questions`, an affirm or deny below `confirm_threshold` (higher than
the general fallback threshold) is treated as not understood: the no-match path reprompts. Both engines
apply the same gate to the intent the NLU returned, before the policy sees it.
"""

from __future__ import annotations

from dataclasses import replace

from dialogue.interfaces import ParseResult
from dialogue.script import Script
from dialogue.understanding.nlu import FALLBACK_INTENT

DEFAULT_CONFIRM_THRESHOLD = 0.6
GATED_INTENTS = frozenset({"affirm", "deny"})


def confirm_threshold(script: Script) -> float:
    """The script's threshold for a yes/no that changes the outcome (dialer.yml `confirm_threshold`)."""
    return float(script.meta.get("confirm_threshold", DEFAULT_CONFIRM_THRESHOLD))


def confirm_questions(script: Script) -> frozenset[str]:
    """Responses whose yes/no answer changes the outcome (dialer.yml `confirm_questions`)."""
    return frozenset(str(name) for name in script.meta.get("confirm_questions") or ())


def gate(script: Script, last_question: str, parse: ParseResult) -> ParseResult:
    """The parse the policy should see: an unsure yes/no after a confirm question becomes a no-match."""
    if parse.intent not in GATED_INTENTS or last_question not in confirm_questions(script):
        return parse
    if parse.confidence >= confirm_threshold(script):
        return parse
    return replace(parse, intent=FALLBACK_INTENT)
