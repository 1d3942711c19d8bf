"""The inspection checks: one function per rule id, each a pure function of one call's record.

A call is read in order once (`CallReading`): who confirmed being the right party and when, who said they were
not, which bot turns were disclosures and whether a barge-in cut them. "Cut" means a callee turn started
while the bot turn was playing (the session stops the bot on a barge-in, so the rest was not heard).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from dialer.qa.rules import InspectionRule, Phrases, RuleSet
from scheduler.inspection import CallFacts, FactTurn, FindingRecord

MACHINE = frozenset({"voicemail_left", "machine_no_message", "screener", "ivr", "fax"})
CONFIRM_INTENTS = frozenset({"affirm"})
NOT_DEBTOR_INTENTS = frozenset({"deny", "wrong_person", "third_party"})
NOT_DEBTOR_DISPOSITIONS = frozenset({"wrong_party", "third_party"})
DISCLOSURES = ("automated", "debt_collector", "recording_notice")


@dataclass(frozen=True)
class CallReading:
    facts: CallFacts
    rules: RuleSet
    say: Phrases
    lang: str
    turns: tuple[FactTurn, ...]
    rpc_seq: int | None  # the callee turn that confirmed the right party
    not_debtor_seq: int | None  # the callee turn that said it is not the debtor
    rpc_question_seq: int | None  # the first bot turn that asked for the right party
    amount: re.Pattern[str]

    @property
    def bot(self) -> list[FactTurn]:
        return [t for t in self.turns if t.speaker == "bot"]

    def cut(self, turn: FactTurn) -> bool:
        """A callee turn started while this bot turn played."""
        end = turn.end_s
        return end is not None and any(
            t.speaker == "callee" and t.text and turn.start_s < t.start_s < end - 0.05 for t in self.turns
        )

    def discloses(self, turn: FactTurn) -> bool:
        return any(getattr(self.say, k).search(turn.text) for k in DISCLOSURES)

    def debt_detail(self, turn: FactTurn) -> bool:
        """The amount, or debt words outside a disclosure sentence."""
        if self.amount.search(turn.text):
            return True
        return bool(self.say.debt.search(turn.text)) and not self.discloses(turn)

    def yes(self, turn: FactTurn) -> bool:
        return (
            turn.intent in CONFIRM_INTENTS
            or turn.keys.startswith("1")
            or bool(self.say.affirm.search(turn.text))
        )

    def finding(self, rule: InspectionRule, message: str, turn: FactTurn | None = None) -> FindingRecord:
        return FindingRecord(
            rule.id, rule.severity, message, turn.seq if turn else None, turn.start_s if turn else None
        )


def read_call(facts: CallFacts, rules: RuleSet) -> CallReading:
    say = rules.language(facts.language)
    turns = tuple(sorted(facts.turns, key=lambda t: t.seq))
    rpc = not_debtor = question = None
    asked = False
    for t in turns:
        if t.speaker == "bot":
            if say.right_party_question.search(t.text):
                asked = True
                question = t.seq if question is None else question
            continue
        if asked and rpc is None and not_debtor is None:
            if t.intent in CONFIRM_INTENTS or t.keys.startswith("1") or say.affirm.search(t.text):
                rpc = t.seq
            elif (
                t.intent in NOT_DEBTOR_INTENTS
                or t.keys.startswith("2")
                or facts.disposition in NOT_DEBTOR_DISPOSITIONS
            ):
                not_debtor = t.seq
            asked = False
        if t.intent in ("wrong_person", "third_party") and not_debtor is None:
            not_debtor = t.seq
    return CallReading(
        facts, rules, say, facts.language, turns, rpc, not_debtor, question, _amount(facts.amount_due)
    )


def _amount(amount: Decimal) -> re.Pattern[str]:
    forms = {f"{amount:,.2f}", f"{amount:.2f}"}
    if amount == amount.to_integral_value():
        forms |= {f"{int(amount):,}", f"{int(amount)}"}
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\d.,])({alternatives})(?![\d])")


# ---- the checks ------------------------------------------------------------------------------------------
def disclosure_automated(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    if not call.bot or call.facts.disposition in MACHINE:
        return []
    said = [t for t in call.bot if call.say.automated.search(t.text)]
    if not said:
        return [call.finding(rule, "the automated-call notice was never played", call.bot[0])]
    limit = call.rpc_question_seq
    before = [t for t in said if limit is None or t.seq < limit or _notice_first(call, t)]
    if not before:
        return [
            call.finding(rule, "the automated-call notice came only after the right-party question", said[0])
        ]
    if all(call.cut(t) for t in before):
        # said again whole (answering "who is calling?") before the callee confirmed who they are
        again = [t for t in said if t.seq > before[0].seq and not call.cut(t)]
        if not any(call.rpc_seq is None or t.seq < call.rpc_seq for t in again):
            return [
                call.finding(
                    rule, "the automated-call notice was cut by a barge-in and not repeated", before[0]
                )
            ]
    return []


def _notice_first(call: CallReading, turn: FactTurn) -> bool:
    """The opening is one bot turn of several sentences: the notice counts as before the right-party
    question when it comes first within that turn."""
    if turn.seq != call.rpc_question_seq:
        return False
    notice = call.say.automated.search(turn.text)
    question = call.say.right_party_question.search(turn.text)
    return notice is not None and (question is None or notice.start() < question.start())


def disclosure_debt_collector(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    said = [t for t in call.bot if call.say.debt_collector.search(t.text)]
    early = [t for t in said if call.rpc_seq is None or t.seq < call.rpc_seq]
    if early and call.rpc_question_seq is not None:
        return [
            call.finding(rule, "the debt-collector notice played before the right party confirmed", early[0])
        ]
    if call.rpc_seq is None:
        return []
    detail = next((t for t in call.bot if t.seq > call.rpc_seq and call.debt_detail(t)), None)
    if detail is None:
        return []
    before = [t for t in said if call.rpc_seq < t.seq < detail.seq]
    if not before:
        return [
            call.finding(rule, "debt detail without the debt-collector notice after confirmation", detail)
        ]
    if all(call.cut(t) for t in before):
        return [
            call.finding(rule, "the debt-collector notice was cut by a barge-in and not repeated", before[0])
        ]
    return []


def disclosure_recording(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    facts = call.facts
    states = {str(s).upper() for s in rule.params.get("us_states", ())}
    countries = {str(c).upper() for c in rule.params.get("countries", ())}
    required = (facts.country or "").upper() in countries or (
        (facts.country or "").upper() == "US" and (facts.state or "").upper() in states
    )
    if not required or not facts.recordings or not call.bot or facts.disposition in MACHINE:
        return []
    first_question = call.rpc_question_seq if call.rpc_question_seq is not None else call.bot[0].seq + 1
    if any(call.say.recording_notice.search(t.text) for t in call.bot if t.seq < first_question):
        return []
    return [call.finding(rule, "a recorded call without a recording notice in the opening", call.bot[0])]


def debt_detail_before_rpc(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    return [
        call.finding(rule, "debt detail before the right party confirmed", t)
        for t in call.bot
        if (call.rpc_seq is None or t.seq < call.rpc_seq) and call.debt_detail(t)
    ][:1]


def debt_detail_third_party(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    if call.not_debtor_seq is None:
        return []
    after = call.not_debtor_seq
    leaks = [
        t
        for t in call.bot
        if t.seq > after and (call.debt_detail(t) or call.say.debt_collector.search(t.text))
    ]
    return (
        [call.finding(rule, "debt detail after the callee said they are not the debtor", leaks[0])]
        if leaks
        else []
    )


def request_honoured(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    out: list[FindingRecord] = []
    disposition = call.facts.disposition or ""
    for request in call.rules.requests:
        words = request.words["zh" if call.lang.startswith("zh") else "en"]
        asked = next(
            (
                t
                for t in call.turns
                if t.speaker == "callee"
                and (t.intent in request.intents or (t.text and words.search(t.text)))
            ),
            None,
        )
        if asked is None:
            continue
        if disposition not in request.dispositions:
            out.append(
                call.finding(
                    rule, f"{request.name} asked for, the call ended as {disposition or 'nothing'}", asked
                )
            )
            continue
        if disposition == "opt_out" and not call.facts.opted_out:
            out.append(
                call.finding(rule, f"{request.name} asked for, no do-not-call entry was written", asked)
            )
            continue
        pressing = next(
            (
                t
                for t in call.bot
                if t.seq > asked.seq and re.search(r"[?？]", t.text) and call.debt_detail(t)
            ),
            None,
        )
        if pressing is not None:
            out.append(call.finding(rule, f"{request.name} asked for, the bot kept collecting", pressing))
    return out


def promise_read_back(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    if not call.facts.promises:
        return []
    for i, t in enumerate(call.turns):
        if t.speaker == "bot" and call.say.read_back.search(t.text):
            reply = next((u for u in call.turns[i + 1 :] if u.speaker == "callee"), None)
            if reply is not None and call.yes(reply):
                return []
    last = call.bot[-1] if call.bot else None
    return [call.finding(rule, "a promise was recorded without a confirmed read-back", last)]


def forbidden_phrase(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    return [
        call.finding(rule, "a forbidden phrase was spoken", t)
        for t in call.bot
        if call.say.forbidden.search(t.text)
    ]


def callee_distress(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    out: list[FindingRecord] = []
    lang = "zh" if call.lang.startswith("zh") else "en"
    for kind, patterns in call.rules.flags.items():
        turn = next(
            (
                t
                for t in call.turns
                if t.speaker == "callee" and (t.intent == kind or (t.text and patterns[lang].search(t.text)))
            ),
            None,
        )
        if turn is not None:
            out.append(call.finding(rule, f"the callee's words suggest {kind}: review the call", turn))
    return out


def window_or_cap(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    facts = call.facts
    dialed = facts.dialing_at
    if dialed is None:
        return []
    out: list[FindingRecord] = []
    before = [p for p in facts.policy if p.at <= dialed]
    max_age = dt.timedelta(seconds=float(rule.params.get("max_decision_age_seconds", 900)))
    if not before:
        out.append(call.finding(rule, "dialled with no policy decision on record for this attempt"))
    elif before[-1].action != "policy.allow":
        out.append(call.finding(rule, f"dialled after the policy denied it ({before[-1].rule or 'no rule'})"))
    elif dialed - before[-1].at > max_age:
        out.append(call.finding(rule, "dialled long after the policy decision that allowed it"))
    zone = ZoneInfo(facts.zone) if facts.zone else dt.UTC
    local = dialed.astimezone(zone)
    start, end = facts.window
    if start and end and not (start <= local.strftime("%H:%M") < end):
        out.append(
            call.finding(rule, f"dialled at {local:%H:%M} local, outside the campaign window {start}-{end}")
        )
    same_day = [d for d in facts.dials if d.astimezone(zone).date() == local.date()]
    if len(same_day) > facts.max_per_day:
        out.append(
            call.finding(rule, f"dial {len(same_day)} of the day, over the cap of {facts.max_per_day}")
        )
    if len(facts.dials) > facts.max_total:
        out.append(call.finding(rule, f"dial {len(facts.dials)} in all, over the cap of {facts.max_total}"))
    return out


def dead_air(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    if call.facts.answered_at is None or not call.turns:
        return []
    limit = float(rule.params.get("seconds", 8.0))
    heard = 0.0
    for t in sorted(call.turns, key=lambda t: t.start_s):
        if t.start_s - heard > limit:
            return [
                FindingRecord(
                    rule.id, rule.severity, f"{t.start_s - heard:.1f} s of silence", t.seq, round(heard, 3)
                )
            ]
        heard = max(heard, t.end_s if t.end_s is not None else t.start_s)
    return []


def talk_over(call: CallReading, rule: InspectionRule) -> list[FindingRecord]:
    times = int(rule.params.get("times", 2))
    over = [
        b
        for b in call.bot
        if any(
            c.speaker == "callee" and c.end_s is not None and c.start_s < b.start_s < c.end_s - 0.2
            for c in call.turns
        )
    ]
    if len(over) >= times:
        return [call.finding(rule, f"the bot started over the callee {len(over)} times", over[0])]
    return []


CHECKS: dict[str, Callable[[CallReading, InspectionRule], list[FindingRecord]]] = {
    "disclosure_automated": disclosure_automated,
    "disclosure_debt_collector": disclosure_debt_collector,
    "disclosure_recording": disclosure_recording,
    "debt_detail_before_rpc": debt_detail_before_rpc,
    "debt_detail_third_party": debt_detail_third_party,
    "request_honoured": request_honoured,
    "promise_read_back": promise_read_back,
    "forbidden_phrase": forbidden_phrase,
    "callee_distress": callee_distress,
    "window_or_cap": window_or_cap,
    "dead_air": dead_air,
    "talk_over": talk_over,
}


def disclosures_played(call: CallReading) -> list[dict[str, Any]]:
    """The disclosures heard on the call, for the evidence chain: kind, turn, start and end, cut or not."""
    out = []
    for t in call.bot:
        for kind in DISCLOSURES:
            if getattr(call.say, kind).search(t.text):
                out.append(
                    {"kind": kind, "seq": t.seq, "start_s": t.start_s, "end_s": t.end_s, "cut": call.cut(t)}
                )
    return out
