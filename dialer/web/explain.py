""" "Why was this person not called?": the ledger's facts for one account and, per contact number, the
compliance policy engine's decision right now (rule id, reason, next allowed time).

The decision comes from `scheduler.policy.decide(case)` when the policy package provides it; the case is
built here from the ledger facts. Without the engine the page still lists the facts and says so.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from typing import Any

from dialer.web.auth import Principal
from dialer.web.console import Console
from dialer.web.masking import display_number

_DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def policy_decider() -> Callable[[Any], Any] | None:
    try:
        module = importlib.import_module("scheduler.policy")
    except ImportError:
        return None
    decide = getattr(module, "decide", None)
    return decide if callable(decide) else None


def _days(text: str) -> frozenset[int]:
    text = text.strip().lower()
    if "-" in text:
        first, last = (_DAYS[p.strip()[:3]] for p in text.split("-", 1))
        return (
            frozenset(range(first, last + 1))
            if first <= last
            else frozenset([*range(first, 7), *range(last + 1)])
        )
    return frozenset(_DAYS[p.strip()[:3]] for p in text.split(",") if p.strip())


def build_cases(
    console: Console, facts: dict[str, Any], now: dt.datetime
) -> list[tuple[dict[str, Any], Any]]:
    """One DecisionCase per contact number (the engine's value types), or [] if they are unavailable."""
    try:
        case_mod = importlib.import_module("scheduler.policy.case")
    except ImportError:
        return []
    debtor = facts["debtor"]
    stated = []
    for item in debtor["inconvenient_times"]:
        try:
            stated.append(
                case_mod.StatedTime(
                    _days(item.get("days", "mon-sun")),
                    dt.time.fromisoformat(item["from"]),
                    dt.time.fromisoformat(item["to"]),
                )
            )
        except (KeyError, ValueError):
            continue
    numbers = tuple(n["e164"] for n in facts["numbers"])
    debtor_info = case_mod.DebtorInfo(
        country=debtor["country"],
        state=debtor["state"],
        postal_code=debtor["postal_code"],
        inconvenient_times=tuple(stated),
        attorney=debtor["attorney"],
        cease_requested=debtor["cease_requested"],
        numbers=numbers,
    )
    history = tuple(
        case_mod.HistoryEntry(
            at=a.dialing_at or a.scheduled_at, number=a.e164, debt=facts["account_ref"], result=a.result
        )
        for a in console.ledger.history(debtor["id"], now - dt.timedelta(days=30), now)
        if a.result
    )
    campaign = console.ledger.get_campaign(facts["campaign"])
    limits = case_mod.CampaignLimits(
        name=campaign.name,
        window_from=dt.time.fromisoformat(campaign.window_from) if campaign.window_from else None,
        window_to=dt.time.fromisoformat(campaign.window_to) if campaign.window_to else None,
        max_attempts_per_day=campaign.max_attempts_per_day,
        max_attempts_total=campaign.max_attempts_total,
    )
    cases = []
    for number in facts["numbers"]:
        contact = case_mod.ContactInfo(
            number=number["e164"],
            line_type=number["line_type"],
            personal=number["personal"],
            consent_at=number["consent_at"],
            opted_out=console.ledger.is_number_blocked(number["e164"], debtor["id"]),
            zones=tuple(number["zones"]),
        )
        case = case_mod.DecisionCase(
            now, debtor_info, contact, facts["account_ref"], history, limits, tuple(campaign.profiles) or None
        )
        cases.append((number, case))
    return cases


def explain_account(console: Console, account_ref: str, me: Principal) -> dict[str, Any]:
    facts = console.queries.account_facts(account_ref)
    if facts is None:
        return {"found": False, "account_ref": account_ref}
    now = console.clock()
    debtor_id = facts["debtor"]["id"]
    numbers = []
    decide = policy_decider()
    decisions: dict[int, Any] = {}
    if decide is not None:
        for number, case in build_cases(console, facts, now):
            try:
                decisions[number["id"]] = decide(case)
            except Exception as exc:  # the engine's error is shown, not swallowed into a 500
                decisions[number["id"]] = exc
    for number in facts["numbers"]:
        decision = decisions.get(number["id"])
        numbers.append(
            {
                "display": display_number(number["e164"], me.role),
                "line_type": number["line_type"],
                "status": number["status"],
                "consent_at": number["consent_at"],
                "blocked": console.ledger.is_number_blocked(number["e164"], debtor_id),
                "decision": None if isinstance(decision, Exception) else decision,
                "error": str(decision) if isinstance(decision, Exception) else "",
            }
        )
    history = console.ledger.history(debtor_id, now - dt.timedelta(days=30), now)
    console.audit(me.name, "policy.explain", f"account:{account_ref}")
    return {
        "found": True,
        "facts": facts,
        "numbers": numbers,
        "history": [
            {
                "id": a.id,
                "at": a.dialing_at or a.scheduled_at,
                "number": display_number(a.e164, me.role),
                "state": a.state,
                "result": a.result,
                "disposition": a.disposition,
                "rule": a.decision_rule,
            }
            for a in history
        ],
        "engine": decide is not None,
        "audit": [r for r in console.ledger.list_audit(subject=f"account:{account_ref}", limit=20)],
    }
