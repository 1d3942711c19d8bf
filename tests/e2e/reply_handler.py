"""A session handler for the legally-significant-reply SIP test: the real session (pjsua2 call, VAD,
faster-whisper, piper/espeak) around a small keyword policy, standing in for the scripts' intents.

The policy opens, asks for the right party, gives the debt-collector notice on a yes, and ends the call
with the reply's disposition when it hears an attorney, a bankruptcy, a request to stop, or a death. The
words it listens for are the whisper transcript of the persona's speech."""

from __future__ import annotations

import re
from typing import Any

from dialer.session.handler import SessionHandler
from dialer.session.spec import SessionSpec
from dialogue.interfaces import (
    BotAction,
    CallContext,
    HangUp,
    ListeningHints,
    Say,
    SetDisposition,
    UserEvent,
    UserSaid,
)

REPLIES = (
    (re.compile(r"lawyer|attorney", re.I), "attorney", "Thank you. We will contact your attorney. Goodbye."),
    (re.compile(r"bankrupt", re.I), "bankruptcy", "Thank you for letting us know. Goodbye."),
    (
        re.compile(r"stop (contacting|calling)", re.I),
        "cease",
        "Understood. We will stop contacting you. Goodbye.",
    ),
    (re.compile(r"pass(ed)? away|past away|died", re.I), "deceased", "I am so sorry for your loss. Goodbye."),
)


class ReplyPolicy:
    def __init__(self) -> None:
        self._context: CallContext | None = None
        self._ended = False
        self._slots: dict[str, object] = {}
        self._asked_payment = False

    @property
    def slots(self) -> dict[str, object]:
        return self._slots

    @property
    def ended(self) -> bool:
        return self._ended

    def hints(self) -> ListeningHints:
        """As the scripts' `hints`: after the right-party question, after the payment question."""
        if self._asked_payment:
            return ListeningHints(prompt="I have a lawyer. I filed for bankruptcy. Stop contacting me.")
        return ListeningHints(prompt="Yes, speaking. Wrong number. He passed away. He died.")

    def start(self, context: CallContext, first_event: UserEvent | None = None) -> list[BotAction]:
        self._context = context
        if first_event is not None:
            self._ended = True
            return [SetDisposition("machine_no_message"), HangUp()]
        text = f"Hello, this is {context.company}, with an automated call."
        text += f" Am I speaking with {context.first_name}?"
        return [Say(text, "utter_opening")]

    def handle(self, event: UserEvent) -> list[BotAction]:
        if self._ended:
            return []
        said = event.text if isinstance(event, UserSaid) else ""
        for pattern, disposition, bye in REPLIES:
            if pattern.search(said):
                self._ended = True
                return [Say(bye, "utter_goodbye"), SetDisposition(disposition), HangUp()]
        if re.search(r"\byes\b|speaking", said, re.I):
            notice = "This is a debt collector. When will you be able to make a payment?"
            self._asked_payment = True
            return [Say(notice, "utter_disclosure")]
        return [Say("Sorry, I did not catch that.", "utter_default")]


class ReplySessionHandler(SessionHandler):
    @classmethod
    def from_settings(cls, settings: Any) -> SessionHandler:
        handler = SessionHandler.from_settings(settings)

        def policies(spec: SessionSpec) -> Any:
            return ReplyPolicy

        handler.policies = policies
        return handler
