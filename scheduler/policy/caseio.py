"""The decision case as JSON (the `dialer policy decide` format), read strictly.

Every error names the field (`history[2].at: naive timestamp`), unknown keys are refused (a misspelt
`consent` must not read as "no consent"), and timestamps must carry a UTC offset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from scheduler.policy.case import (
    CALL_RESULTS,
    FLAG_KINDS,
    LINE_TYPES,
    RELATIONS,
    AccountFlag,
    CallbackRequest,
    CampaignLimits,
    ContactInfo,
    DebtorInfo,
    DecisionCase,
    HistoryEntry,
    StatedTime,
)
from scheduler.policy.geo import BadNumber, number_facts
from scheduler.policy.profiles import ProfileSet
from scheduler.policy.wallclock import parse_days


class CaseError(ValueError):
    """A decision case is malformed; str() is one line naming the field."""


def _obj(
    value: Any, where: str, keys: set[str], required: frozenset[str] | set[str] = frozenset()
) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise CaseError(f"{where}: expected an object")
    prefix = "" if where == "case" else f"{where}."
    unknown = sorted(set(value) - keys)
    if unknown:
        raise CaseError(f"{prefix}{unknown[0]}: unknown field (known: {', '.join(sorted(keys))})")
    for key in sorted(required):
        if value.get(key) is None:
            raise CaseError(f"{prefix}{key}: required field is missing")
    return value


def _ts(value: Any, where: str) -> dt.datetime:
    if not isinstance(value, str):
        raise CaseError(f"{where}: expected an ISO 8601 timestamp string")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise CaseError(f"{where}: {value!r} is not an ISO 8601 timestamp") from exc
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise CaseError(f"{where}: naive timestamp {value!r} (add Z or a UTC offset)")
    return parsed.astimezone(dt.UTC)


def _opt_ts(value: Any, where: str) -> dt.datetime | None:
    return None if value is None else _ts(value, where)


def _time(value: Any, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise CaseError(f"{where}: {value!r} is not a HH:MM time") from exc


def _bool(value: Any, where: str, default: bool = False) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise CaseError(f"{where}: expected true or false")
    return value


def _str(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CaseError(f"{where}: expected a string")
    return value.strip() or None


def _number(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise CaseError(f"{where}: expected an E.164 number string")
    try:
        return number_facts(value.strip()).e164
    except BadNumber as exc:
        raise CaseError(f"{where}: {exc}") from exc


def _int(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CaseError(f"{where}: expected a whole number >= 0")
    return value


def _days(value: Any, where: str) -> frozenset[int]:
    try:
        return parse_days(value)
    except ValueError as exc:
        raise CaseError(f"{where}: {exc}") from exc


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise CaseError(f"{where}: expected a list")
    return value


def parse_debtor(raw: Any) -> DebtorInfo:
    keys = {"country", "state", "postal_code", "inconvenient_times", "attorney", "cease_requested",
            "employer_forbids_calls", "reachable", "numbers", "name", "ref", "flags"}  # fmt: skip
    d = _obj(raw, "debtor", keys)
    stated = []
    for i, item in enumerate(_list(d.get("inconvenient_times"), "debtor.inconvenient_times")):
        where = f"debtor.inconvenient_times[{i}]"
        s = _obj(item, where, {"days", "from", "to"}, {"from", "to"})
        stated.append(
            StatedTime(
                _days(s.get("days"), f"{where}.days"),
                _time(s["from"], f"{where}.from"),
                _time(s["to"], f"{where}.to"),
            )
        )
    reachable = d.get("reachable", True)
    if reachable is not None and not isinstance(reachable, bool):
        raise CaseError("debtor.reachable: expected true, false or null")
    country = _str(d.get("country"), "debtor.country")
    return DebtorInfo(
        country=country.upper() if country else None,
        state=_str(d.get("state"), "debtor.state"),
        postal_code=_str(d.get("postal_code"), "debtor.postal_code"),
        inconvenient_times=tuple(stated),
        attorney=_bool(d.get("attorney"), "debtor.attorney"),
        cease_requested=_bool(d.get("cease_requested"), "debtor.cease_requested"),
        employer_forbids_calls=_bool(d.get("employer_forbids_calls"), "debtor.employer_forbids_calls"),
        reachable=reachable,
        numbers=tuple(
            _number(n, f"debtor.numbers[{i}]")
            for i, n in enumerate(_list(d.get("numbers"), "debtor.numbers"))
        ),
        flags=parse_flags(d.get("flags")),
    )


def parse_flags(raw: Any) -> tuple[AccountFlag, ...]:
    """Replies on record: [{"kind": "attorney", "debt": "A-1", "number": "+1...", "language": "es"}]."""
    out = []
    for i, item in enumerate(_list(raw, "debtor.flags")):
        where = f"debtor.flags[{i}]"
        f = _obj(item, where, {"kind", "debt", "number", "language"}, {"kind", "debt"})
        kind = f["kind"]
        if kind not in FLAG_KINDS:
            raise CaseError(f"{where}.kind: {kind!r} is not one of {', '.join(sorted(FLAG_KINDS))}")
        number = f.get("number")
        out.append(
            AccountFlag(
                kind=str(kind),
                debt=_str(f["debt"], f"{where}.debt") or "",
                number=None if number is None else _number(number, f"{where}.number"),
                language=_str(f.get("language"), f"{where}.language"),
            )
        )
    return tuple(out)


def parse_contact(raw: Any) -> ContactInfo:
    keys = {
        "number",
        "line_type",
        "personal",
        "workplace",
        "consent_at",
        "opted_out",
        "relation",
        "reassigned_at",
    }
    c = _obj(raw, "contact", keys, {"number"})
    line_type = _str(c.get("line_type"), "contact.line_type")
    if line_type is not None and line_type not in LINE_TYPES:
        raise CaseError(f"contact.line_type: {line_type!r} is not one of {', '.join(sorted(LINE_TYPES))}")
    relation = _str(c.get("relation"), "contact.relation") or "debtor"
    if relation not in RELATIONS:
        raise CaseError(f"contact.relation: {relation!r} is not one of {', '.join(sorted(RELATIONS))}")
    return ContactInfo(
        number=_number(c["number"], "contact.number"),
        line_type=line_type,
        personal=_bool(c.get("personal"), "contact.personal", default=True),
        workplace=_bool(c.get("workplace"), "contact.workplace"),
        consent_at=_opt_ts(c.get("consent_at"), "contact.consent_at"),
        opted_out=_bool(c.get("opted_out"), "contact.opted_out"),
        relation=relation,
        reassigned_at=_opt_ts(c.get("reassigned_at"), "contact.reassigned_at"),
    )


def parse_history(raw: Any) -> tuple[HistoryEntry, ...]:
    out = []
    for i, item in enumerate(_list(raw, "history")):
        where = f"history[{i}]"
        h = _obj(
            item,
            where,
            {"at", "number", "debt", "result", "direction", "debts"},
            {"at", "number", "debt", "result"},
        )
        result = h["result"]
        if result not in CALL_RESULTS:
            raise CaseError(f"{where}.result: {result!r} is not one of {', '.join(sorted(CALL_RESULTS))}")
        direction = h.get("direction", "outbound")
        if direction not in ("outbound", "inbound"):
            raise CaseError(f"{where}.direction: expected outbound or inbound")
        out.append(
            HistoryEntry(
                at=_ts(h["at"], f"{where}.at"),
                number=_number(h["number"], f"{where}.number"),
                debt=str(h["debt"]),
                result=str(result),
                direction=direction,
                debts=tuple(str(x) for x in _list(h.get("debts"), f"{where}.debts")),
            )
        )
    return tuple(out)


def parse_callbacks(raw: Any, debt: str) -> tuple[CallbackRequest, ...]:
    """The consumer's callback requests; `debt` defaults to the case's own."""
    out = []
    for i, item in enumerate(_list(raw, "callbacks")):
        where = f"callbacks[{i}]"
        c = _obj(item, where, {"asked_at", "at", "debt", "number"}, {"asked_at", "at"})
        number = c.get("number")
        out.append(
            CallbackRequest(
                asked_at=_ts(c["asked_at"], f"{where}.asked_at"),
                at=_ts(c["at"], f"{where}.at"),
                debt=_str(c.get("debt"), f"{where}.debt") or debt,
                number=None if number is None else _number(number, f"{where}.number"),
            )
        )
    return tuple(out)


def parse_campaign(raw: Any) -> CampaignLimits:
    if raw is None:
        return CampaignLimits()
    keys = {"name", "window", "days", "max_attempts_per_day", "max_attempts_total", "artificial_voice",
            "live_agent", "abandoned_rate_24h", "languages"}  # fmt: skip
    c = _obj(raw, "campaign", keys)
    start = end = None
    if c.get("window") is not None:
        w = _obj(c["window"], "campaign.window", {"from", "to"}, {"from", "to"})
        start, end = _time(w["from"], "campaign.window.from"), _time(w["to"], "campaign.window.to")
    rate = c.get("abandoned_rate_24h")
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1
    ):
        raise CaseError("campaign.abandoned_rate_24h: expected a fraction between 0 and 1")
    return CampaignLimits(
        name=_str(c.get("name"), "campaign.name") or "",
        window_from=start,
        window_to=end,
        days=_days(c["days"], "campaign.days") if c.get("days") is not None else None,
        max_attempts_per_day=_int(c.get("max_attempts_per_day"), "campaign.max_attempts_per_day"),
        max_attempts_total=_int(c.get("max_attempts_total"), "campaign.max_attempts_total"),
        artificial_voice=_bool(c.get("artificial_voice"), "campaign.artificial_voice", default=True),
        live_agent=_bool(c.get("live_agent"), "campaign.live_agent"),
        abandoned_rate_24h=float(rate) if rate is not None else None,
        languages=_languages(c.get("languages")),
    )


def _languages(raw: Any) -> frozenset[str] | None:
    if raw is None:
        return None
    items = _list(raw, "campaign.languages")
    if not all(isinstance(x, str) and x.strip() for x in items):
        raise CaseError("campaign.languages: expected a list of language codes")
    return frozenset(x.strip() for x in items)


def parse_case(raw: Any, profiles: ProfileSet) -> DecisionCase:
    top = _obj(raw, "case", {"now", "profiles", "debtor", "contact", "debt", "history", "campaign",
                             "callbacks"}, {"now", "debtor", "contact", "debt"})  # fmt: skip
    chosen = None
    if top.get("profiles") is not None:
        chosen = tuple(str(p) for p in _list(top["profiles"], "profiles"))
        for i, pid in enumerate(chosen):
            if pid not in profiles:
                raise CaseError(
                    f"profiles[{i}]: unknown profile {pid!r} (known: {', '.join(sorted(profiles.profiles))})"
                )
    debt = top["debt"]
    if not isinstance(debt, str) or not debt.strip():
        raise CaseError("debt: expected a non-empty debt reference")
    return DecisionCase(
        now=_ts(top["now"], "now"),
        debtor=parse_debtor(top["debtor"]),
        contact=parse_contact(top["contact"]),
        debt=debt.strip(),
        history=parse_history(top.get("history")),
        campaign=parse_campaign(top.get("campaign")),
        profiles=chosen,
        callbacks=parse_callbacks(top.get("callbacks"), debt.strip()),
    )
