"""The debt-collector notice a call owes: cut off by the callee, it is said again before the next reply.

Reg F and the FDCPA want the notice heard, not merely started: a callee who talks over it has not heard
it. The notice's text is kept per bot turn; when that turn is barged in on, the notice is owed and goes
first in the next reply, unless that reply ends the call (which says nothing more about the debt).
"""

from __future__ import annotations

from dialer.session.outcome import DISCLOSURES

NOTICE = next(name for name, kind in DISCLOSURES.items() if kind == "debt_collector")


class CollectorNotice:
    def __init__(self) -> None:
        self._texts: dict[int, str] = {}  # bot turn -> the notice it carried
        self.owed = ""  # the notice, cut by a barge-in

    def before_reply(self, texts: list[str], responses: list[str], *, ends_call: bool) -> None:
        """Put an owed notice first in a reply (in place) that speaks and goes on."""
        if self.owed and texts and not ends_call and NOTICE not in responses:
            texts.insert(0, self.owed)
            responses.insert(0, NOTICE)

    def spoken(self, turn: int, texts: list[str], responses: list[str]) -> None:
        """The reply of bot turn `turn` started playing."""
        if NOTICE in responses:
            self.owed = ""
            self._texts[turn] = texts[responses.index(NOTICE)]

    def cut(self, turn: int) -> None:
        """The callee talked over bot turn `turn`."""
        if turn in self._texts:
            self.owed = self._texts[turn]
