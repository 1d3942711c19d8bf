"""A campaign of inspected calls written the way the product writes them: a real call-list import, each
attempt claimed through the claim store with the real policy gate (its decision audited), started by the
pacer, and its outcome recorded by `scheduler.results.record_outcome` (turns with timings, keys, promises,
recordings).

`CALLS` holds clean calls and calls that break one rule on purpose; `expected` is what inspection must find:
every seeded violation, and nothing on the clean calls.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from scheduler import migrations
from scheduler.db import create_engine
from scheduler.importing import ImportOptions, import_file
from scheduler.ledger import CampaignSpec
from scheduler.outcomes import CallOutcome, PromiseOutcome, TurnOutcome
from scheduler.planner import policy_gate
from scheduler.policy import load_profiles
from scheduler.sql_ledger import SqlLedger
from scheduler.vocabulary import CampaignState, Disposition
from tests.ledger.lifecycle import Calls
from tests.reports.seed import ledger_ids, write_wav

CAMPAIGN = "qa-demo"
OWNER = "qa-test"
T0 = dt.datetime(2026, 1, 12, 15, 0, tzinfo=dt.UTC)  # Monday 10:00 in New York, 07:00 in Seattle

# The bot's lines, as reminder-en renders them for these debtors.
OPENING = (
    "Hello, this is Northwind Services, with an automated call. To stop these calls, say stop or press 9."
)
RPC = "Am I speaking with {name}? Press 1 for yes or 2 for no."
DISCLOSURE = (
    "Thank you, {name}. This is a debt collector attempting to collect a debt. "
    "Any information obtained will be used for that purpose."
)
REMINDER = "Our records show a payment of ${amount} that was due on January 20."
ASK = "When will you be able to make this payment?"
READ_BACK = "So you will pay ${amount} by Friday, January 16. Is that right? Press 1 for yes or 2 for no."
CLOSE_PROMISE = "Thank you. We have noted your payment of ${amount} by Friday. Goodbye."
WRONG = "I'm sorry for the trouble. We will update our records. Goodbye."
OPT_OUT = "Understood. We will not call this number again. Goodbye."
DISPUTE = "I understand that you dispute this. I have noted it, and our team will review it. Goodbye."
CANNOT = "I understand. You can call Maria Lopez at 555-0100 when you are ready. Goodbye."


@dataclass(frozen=True)
class Call:
    account: str
    name: str
    amount: str
    state: str
    disposition: Disposition
    result: str
    # (speaker, text, intent, keys) laid out one after the other, or with (start, end) given as 5th/6th items
    lines: tuple[tuple[object, ...], ...] = ()
    expected: frozenset[str] = frozenset()
    promise: bool = False
    opt_out: str = ""
    recording: bool = True
    gate: bool = True  # claimed through the policy gate (False: dialled with no decision on record)
    hour: int = 0
    why: str = ""
    extra: dict[str, object] = field(default_factory=dict)


def _promise_flow(name: str, amount: str) -> tuple[tuple[object, ...], ...]:
    return (
        ("bot", OPENING),
        ("bot", RPC.format(name=name)),
        ("callee", "Yes, speaking.", "affirm"),
        ("bot", DISCLOSURE.format(name=name)),
        ("bot", REMINDER.format(amount=amount)),
        ("bot", ASK),
        ("callee", "I can pay the full amount on Friday.", "promise_to_pay"),
        ("bot", READ_BACK.format(amount=amount)),
        ("callee", "Yes, that's right.", "affirm", "1"),
        ("bot", CLOSE_PROMISE.format(amount=amount)),
    )


P, C = Disposition.promise_to_pay, "conversation"
CALLS: tuple[Call, ...] = (
    # ---- clean calls: no finding
    Call("Q01", "John", "120.50", "NY", P, C, _promise_flow("John", "120.50"), promise=True, why="promise"),
    Call(
        "Q02", "Mary", "89.99", "NY", Disposition.wrong_party, "wrong_party",
        (("bot", OPENING), ("bot", RPC.format(name="Mary")),
         ("callee", "No, you have the wrong number.", "wrong_person"), ("bot", WRONG)),
        why="wrong person",
    ),
    Call(
        "Q03", "David", "60.00", "NY", Disposition.opt_out, "refused",
        (("bot", OPENING), ("callee", "Stop calling me.", "stop"), ("bot", OPT_OUT)),
        opt_out="number", why="says stop",
    ),
    Call(
        "Q04", "Robert", "240.00", "NY", Disposition.dispute, C,
        (("bot", OPENING), ("bot", RPC.format(name="Robert")), ("callee", "Yes, speaking.", "affirm"),
         ("bot", DISCLOSURE.format(name="Robert")), ("bot", REMINDER.format(amount="240.00")), ("bot", ASK),
         ("callee", "I do not owe this money, it is a mistake.", "dispute"), ("bot", DISPUTE)),
        why="disputes",
    ),
    Call(
        "Q05", "Karen", "199.00", "NY", P, C,
        (("bot", OPENING, None, "", 0.5, 1.5), ("callee", "Sorry, who is calling?", "ask_who", "", 1.4, 2.6),
         ("bot", "This is an automated call from Northwind Services for Karen.", None, "", 3.2, 6.0),
         *_promise_flow("Karen", "199.00")[1:]),
        promise=True, why="barges into the opening, the notice is repeated",
    ),
    Call("Q06", "Steven", "99.00", "NY", Disposition.no_answer, "no_answer", recording=False,
         why="no answer"),
    # ---- each breaks one rule on purpose
    Call(
        "V01", "Linda", "310.25", "NY", P, C,
        tuple(line for line in _promise_flow("Linda", "310.25")
              if line[1] != DISCLOSURE.format(name="Linda")),
        frozenset({"disclosure_debt_collector"}), promise=True, why="a bot that skips the disclosure",
    ),
    Call(
        "V02", "James", "80.00", "NY", Disposition.third_party, "wrong_party",
        (("bot", OPENING), ("bot", RPC.format(name="James")), ("callee", "No, I'm his wife.", "third_party"),
         ("bot", "Please tell him he owes $80.00, it was due on January 20. Goodbye.")),
        frozenset({"debt_detail_third_party", "debt_detail_before_rpc"}),
        why="leaks the amount to a third party",
    ),
    Call(
        "V03", "Paul", "45.10", "NY", Disposition.no_response, "conversation",
        (("bot", OPENING), ("bot", RPC.format(name="Paul")), ("callee", "Yes.", "affirm"),
         ("bot", DISCLOSURE.format(name="Paul")), ("bot", REMINDER.format(amount="45.10")), ("bot", ASK),
         ("callee", "Stop. Don't call me again.", None), ("bot", ASK),
         ("bot", "We will try again another time. Goodbye.")),
        frozenset({"request_honoured"}), why="the callee says stop and is not honoured",
    ),
    Call(
        "V04", "Nancy", "132.00", "NY", Disposition.cannot_pay, C,
        (("bot", OPENING), ("bot", RPC.format(name="Nancy")), ("callee", "Yes.", "affirm"),
         ("bot", DISCLOSURE.format(name="Nancy")), ("bot", REMINDER.format(amount="132.00")), ("bot", ASK),
         ("callee", "I can't pay.", "cannot_pay"),
         ("bot", "If you do not pay we will take legal action and call the police."), ("bot", CANNOT)),
        frozenset({"forbidden_phrase"}), why="a threat in a rendered line",
    ),
    Call(
        "V05", "Mark", "58.75", "NY", P, C,
        (("bot", OPENING, None, "", 0.5, 5.0), ("bot", RPC.format(name="Mark"), None, "", 5.5, 8.0),
         ("callee", "Yes.", "affirm", "", 8.5, 9.0),
         ("bot", DISCLOSURE.format(name="Mark"), None, "", 9.5, 10.5),
         ("callee", "Uh huh, go on.", None, "", 10.2, 11.0),
         ("bot", REMINDER.format(amount="58.75"), None, "", 11.5, 14.0), ("bot", ASK, None, "", 14.5, 16.0),
         ("callee", "Friday.", "promise_to_pay", "", 16.5, 17.0),
         ("bot", READ_BACK.format(amount="58.75"), None, "", 17.5, 21.0),
         ("callee", "Yes.", "affirm", "", 21.5, 22.0),
         ("bot", CLOSE_PROMISE.format(amount="58.75"), None, "", 22.5, 25.0)),
        frozenset({"disclosure_debt_collector"}), promise=True, why="the disclosure is cut and not repeated",
    ),
    Call(
        "V06", "Lisa", "220.00", "NY", Disposition.opt_out, "refused",
        (("bot", "Hello, this is Northwind Services. To stop these calls, say stop or press 9."),
         ("callee", "Stop.", "stop"), ("bot", OPT_OUT)),
        frozenset({"disclosure_automated"}), opt_out="number", why="the opening hides that it is automated",
    ),
    Call(
        "V07", "Susan", "150.00", "NY", P, C,
        tuple(line for line in _promise_flow("Susan", "150.00") if line[1] not in (
            READ_BACK.format(amount="150.00"), "Yes, that's right.")),
        frozenset({"promise_read_back"}), promise=True, why="a promise never read back",
    ),
    Call(
        "V08", "Gary", "70.00", "NY", Disposition.cannot_pay, C,
        (("bot", OPENING), ("bot", RPC.format(name="Gary")), ("callee", "Yes.", "affirm"),
         ("bot", DISCLOSURE.format(name="Gary")), ("bot", REMINDER.format(amount="70.00")), ("bot", ASK),
         ("callee", "I can't cope anymore, this is harassment.", "cannot_pay"), ("bot", CANNOT)),
        frozenset({"callee_distress"}), why="a callee in distress who complains",
    ),
    Call(
        "V09", "Helen", "33.00", "NY", Disposition.dispute, C,
        (("bot", OPENING, None, "", 0.5, 4.0), ("bot", RPC.format(name="Helen"), None, "", 4.5, 7.0),
         ("callee", "Yes.", "affirm", "", 7.5, 8.0),
         ("bot", DISCLOSURE.format(name="Helen"), None, "", 20.0, 25.0),
         ("bot", REMINDER.format(amount="33.00"), None, "", 25.5, 28.0),
         ("callee", "That is not my debt.", "dispute", "", 28.5, 30.0),
         ("bot", DISPUTE, None, "", 30.5, 34.0)),
        frozenset({"dead_air"}), why="12 seconds of silence after the callee answered",
    ),
    Call(
        "V10", "Tom", "41.00", "NY", Disposition.dispute, C,
        (("bot", OPENING, None, "", 0.5, 4.0), ("bot", RPC.format(name="Tom"), None, "", 4.5, 7.0),
         ("callee", "Yes, that's me, but listen, I have something to say first.", "affirm", "", 7.5, 11.0),
         ("bot", DISCLOSURE.format(name="Tom"), None, "", 9.0, 14.0),
         ("callee", "I already told you people this is not my debt at all.", "dispute", "", 14.5, 19.0),
         ("bot", DISPUTE, None, "", 16.0, 20.0)),
        frozenset({"talk_over"}), why="the bot starts over the callee twice",
    ),
    Call(
        "V11", "Wendy", "64.00", "WA", Disposition.opt_out, "refused",
        (("bot", OPENING), ("callee", "Stop calling.", "stop"), ("bot", OPT_OUT)),
        frozenset({"disclosure_recording"}), opt_out="number", hour=3,
        why="a recorded call in an all-party state without a recording notice",
    ),
    Call(
        "V12", "Oscar", "52.00", "NY", Disposition.no_answer, "no_answer", recording=False, gate=False,
        expected=frozenset({"window_or_cap"}), why="dialled with no policy decision on record",
    ),
    Call(
        "V13", "Irene", "45.00", "NY", Disposition.no_response, "conversation",
        (("bot", OPENING), ("bot", "We are calling about your overdue payment of $45.00."),
         ("bot", RPC.format(name="Irene")), ("bot", "We will try again another time. Goodbye.")),
        frozenset({"debt_detail_before_rpc"}), why="the amount before the right party confirmed",
    ),
)  # fmt: skip

PHONES = {"NY": "(212) 555-01{:02d}", "WA": "(206) 555-01{:02d}"}


def expected() -> dict[str, frozenset[str]]:
    return {c.account: c.expected for c in CALLS}


def _turns(call: Call) -> tuple[TurnOutcome, ...]:
    turns: list[TurnOutcome] = []
    t = 0.5
    for seq, line in enumerate(call.lines, start=1):
        speaker, text = str(line[0]), str(line[1])
        intent = line[2] if len(line) > 2 else None
        keys = str(line[3]) if len(line) > 3 else ""
        if len(line) > 5:
            start, end = float(line[4]), float(line[5])  # type: ignore[arg-type]
        else:
            start, end = t, t + max(1.0, len(text) / 15)
        turns.append(TurnOutcome(seq, speaker, text, start, end, intent if intent else None, keys=keys))
        t = end + 0.5
    return tuple(turns)


def seed(url: str, data_dir: Path, work: Path, calls: tuple[Call, ...] = CALLS) -> dict[str, int]:
    """Seed `CAMPAIGN`; account ref -> attempt id."""
    migrations.upgrade(url)
    ledger = SqlLedger.open(url)
    ledger.create_campaign(CampaignSpec(CAMPAIGN, profiles=("US",)))
    ledger.set_campaign_state(CAMPAIGN, CampaignState.running, actor=OWNER)
    source = work / "qa-calls.csv"
    with source.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["account", "name", "phone", "amount", "due_date", "state", "consent"])
        for i, call in enumerate(calls, start=1):
            phone = PHONES[call.state].format(i)
            writer.writerow([call.account, f"{call.name} Doe", phone, call.amount, "2026-01-20", call.state,
                             "2025-06-01"])  # fmt: skip
    import_file(ledger, source, ImportOptions(CAMPAIGN, region="US"))
    engine = create_engine(url)
    gated = Calls(url, OWNER, gate=policy_gate(load_profiles()))
    ungated = Calls(url, OWNER)
    attempts: dict[str, int] = {}
    try:
        for call in calls:
            account_id, number_id, campaign_id = ledger_ids(engine, call.account)
            at = T0 + dt.timedelta(hours=call.hour)
            door = gated if call.gate else ungated
            # the policy must allow the seeded call: `dial` claims it and fails if the gate denied it
            attempt = door.dial(
                campaign_id=campaign_id, account_id=account_id, contact_number_id=number_id, at=at
            )
            answered = bool(call.lines)
            relative = None
            if answered and call.recording:
                relative = f"recordings/2026-01-12/attempt-{attempt}.wav"
                write_wav(data_dir / relative)
            outcome = CallOutcome(
                attempt,
                at + dt.timedelta(seconds=60),
                call.disposition,
                call.result,
                answered_at=at + dt.timedelta(seconds=8) if answered else None,
                talk_seconds=45.0 if answered else 0.0,
                machine="human" if answered else "",
                promise=PromiseOutcome(dt.date(2026, 1, 16), Decimal(call.amount), "USD")
                if call.promise
                else None,
                opt_out=call.opt_out,
                turns=_turns(call),
                recording_path=relative,
                sip_code=200 if answered else 480,
            )
            door.record(outcome, at + dt.timedelta(seconds=61), data_dir=data_dir)
            attempts[call.account] = attempt
    finally:
        ledger.close()
        engine.dispose()
        gated.close()
        ungated.close()
    return attempts
