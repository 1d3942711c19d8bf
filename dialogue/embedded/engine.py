"""Load a script once (parse, validate, train the classifier); hand out one policy per call."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from dialogue.embedded.matcher import Matcher
from dialogue.interfaces import ParseResult, ScriptError
from dialogue.keywords import load_keywords
from dialogue.plan import load_limits
from dialogue.script import Script, load_script
from dialogue.understanding.nlu import Understander

if TYPE_CHECKING:
    from dialogue.embedded.policy import EmbeddedPolicy


class EmbeddedEngine:
    """A loaded script: shared, read-only state for many concurrent calls."""

    def __init__(
        self, script: Script, fallback_threshold: float = 0.3, min_asr_confidence: float = 0.0
    ) -> None:
        from dialogue.validate import validate

        errors = [f for f in validate(script) if f.severity == "error"]
        if errors:
            first = errors[0]
            raise ScriptError(
                f"{first.message} ({len(errors)} error(s); run `dialer script validate`)",
                first.path,
                first.line,
            )
        self.script = script
        self.language = script.language
        self.min_asr_confidence = min_asr_confidence
        keywords = load_keywords(script.meta.get("keywords"), script.language)
        self.understander = Understander(
            script.examples_by_intent(), script.language, fallback_threshold, keywords
        )
        self.matcher = Matcher(script.rules, script.stories)
        self.plan_limits = load_limits(script.meta.get("payment_plan"))[0]

    @classmethod
    def load(
        cls, root: Path, fallback_threshold: float = 0.3, min_asr_confidence: float = 0.0
    ) -> EmbeddedEngine:
        return cls(load_script(root), fallback_threshold, min_asr_confidence)

    def parse(self, text: str, now: dt.datetime | None = None) -> ParseResult:
        return self.understander.parse(text, now or dt.datetime.now())

    def new_policy(self) -> EmbeddedPolicy:
        from dialogue.embedded.policy import EmbeddedPolicy

        return EmbeddedPolicy(self)
