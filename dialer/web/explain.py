""" "Why was this person not called?": the ledger's facts for one account and, per contact number, the
compliance policy engine's decision right now (rule id, reason, next allowed time).

The decision is the one the planner would make: the case is built by the policy package's ledger bridge
(scheduler.policy.ledger_cases) and decided by `scheduler.policy.decide` with the site's profiles. If the
engine cannot decide (a broken profile file), the page says why and still shows the ledger facts.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialer.web.auth import Principal
from dialer.web.console import Console
from dialer.web.masking import display_number


def engine_decisions(console: Console, account_ref: str, now: dt.datetime) -> tuple[dict[int, Any], str]:
    """(decision per contact number id, error message or '')."""
    try:
        from scheduler.policy import ComplianceProfileError, load_profiles
    except ImportError as exc:  # a build without the policy package
        return {}, f"the compliance policy engine is not installed ({exc.name})"
    try:
        profiles = load_profiles(console.settings.scheduler.profiles_dir or None)
    except ComplianceProfileError as exc:
        return {}, f"the jurisdiction profiles cannot be loaded: {exc}"
    try:
        return console.queries.policy_decisions(account_ref, now, profiles), ""
    except ValueError as exc:  # the engine refuses a case it cannot read: show it, do not 500
        return {}, f"the policy engine refused the case: {exc}"


def explain_account(console: Console, account_ref: str, me: Principal) -> dict[str, Any]:
    facts = console.queries.account_facts(account_ref)
    if facts is None:
        return {"found": False, "account_ref": account_ref}
    now = console.clock()
    debtor_id = facts["debtor"]["id"]
    decisions, problem = engine_decisions(console, account_ref, now)
    numbers = [
        {
            "display": display_number(number["e164"], me.role),
            "line_type": number["line_type"],
            "status": number["status"],
            "consent_at": number["consent_at"],
            "blocked": console.ledger.is_number_blocked(number["e164"], debtor_id),
            "decision": decisions.get(number["id"]),
        }
        for number in facts["numbers"]
    ]
    history = console.ledger.history(debtor_id, now - dt.timedelta(days=30), now)
    console.audit(me.name, "policy.explain", f"account:{account_ref}")
    return {
        "found": True,
        "facts": facts,
        "numbers": numbers,
        "problem": problem,
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
    }
