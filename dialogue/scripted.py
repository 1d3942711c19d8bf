"""A fake DialoguePolicy with scripted replies, for fast tests of the call session around the seam.

The replies are a timeline: each handled event takes the next list of actions. Keypad 9 and an answering
machine behave as on the real engines (opt out; limited-content message), so the contract tests hold.
"""

from __future__ import annotations

from collections.abc import Sequence

from dialogue.interfaces import (
    BotAction,
    CallContext,
    DialogueError,
    ExpectedReplies,
    HangUp,
    KeyPressed,
    MachineDetected,
    OptOut,
    Say,
    SetDisposition,
    UserEvent,
)

OPENING = "Hello, this is {company}, with an automated call. To stop these calls, say stop or press 9."
VOICEMAIL = "Hello, this is {agent_name} from {company}. Please call us back at {callback_number}. Thank you."


class ScriptedPolicy:
    def __init__(
        self, replies: Sequence[Sequence[BotAction]] = (), phrases: Sequence[str] = ("yes", "no")
    ) -> None:
        self._replies = [list(r) for r in replies]
        self._phrases = tuple(phrases)
        self._context: CallContext | None = None
        self._ended = False
        self._last = ""
        self.handled: list[UserEvent] = []

    @property
    def slots(self) -> dict[str, object]:
        return self._context.slots() if self._context else {}

    @property
    def ended(self) -> bool:
        return self._ended

    def start(self, context: CallContext, first_event: UserEvent | None = None) -> list[BotAction]:
        if self._context is not None:
            raise DialogueError("start() called twice on one policy")
        self._context = context
        if first_event is not None:
            return self.handle(first_event)
        return self._emit([Say(OPENING.format(**context.slots()), "utter_opening")])

    def handle(self, event: UserEvent) -> list[BotAction]:
        if self._context is None:
            raise DialogueError("handle() before start()")
        if self._ended:
            return []
        self.handled.append(event)
        if isinstance(event, KeyPressed) and event.digit == "9":
            bye = Say("Understood. We will not call this number again. Goodbye.", "utter_opt_out")
            return self._emit([bye, SetDisposition("opt_out"), OptOut("number"), HangUp()])
        if isinstance(event, MachineDetected):
            if self._context.leave_voicemail:
                message = Say(VOICEMAIL.format(**self._context.slots()), "utter_voicemail")
                return self._emit([message, SetDisposition("voicemail_left"), HangUp()])
            return self._emit([SetDisposition("machine_no_message"), HangUp()])
        if self._replies:
            return self._emit(self._replies.pop(0))
        return self._emit([Say("Goodbye.", "utter_goodbye"), SetDisposition("no_response"), HangUp()])

    def _emit(self, actions: list[BotAction]) -> list[BotAction]:
        for action in actions:
            if isinstance(action, Say):
                self._last = action.text
            if isinstance(action, HangUp):
                self._ended = True
        return actions

    def hints(self) -> ExpectedReplies:
        return ExpectedReplies(prompt=self._last, phrases=self._phrases)
