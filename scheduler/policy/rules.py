"""Profile rules (data) -> the engine's checks, for one resolved case. One builder per rule kind."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from scheduler.policy.callbacks import consent_windows
from scheduler.policy.case import CALL_RESULTS, NOT_CONNECTED, AccountFlag, DecisionCase, HistoryEntry
from scheduler.policy.checks import (
    CalendarCap,
    Check,
    ConsentWindow,
    LockAfter,
    Permanent,
    RollingCap,
    Waivable,
    WallCheck,
    holiday_calendar,
    parse_span,
)
from scheduler.policy.profiles import ComplianceProfile, Rule
from scheduler.policy.resolve import Resolved
from scheduler.policy.wallclock import in_daily_interval, parse_days, zone

COUNTS: dict[str, frozenset[str]] = {
    "all": CALL_RESULTS,
    "placed": CALL_RESULTS - NOT_CONNECTED,  # Reg F: busy and network failures are not placed calls
    "dials": CALL_RESULTS - {"failed"},  # trunk failures never count against the debtor
    "conversations": frozenset({"conversation"}),
    "unanswered": frozenset({"no_answer", "voicemail"}),
    "abandoned": frozenset({"abandoned"}),
}
COUNT_WORDS = {
    "placed": "placed calls",
    "dials": "dial attempts",
    "conversations": "conversations",
    "unanswered": "unanswered calls",
    "abandoned": "abandoned calls",
}


class Builder:
    def __init__(self, case: DecisionCase, resolved: Resolved, horizon: dt.datetime) -> None:
        self.case = case
        self.resolved = resolved
        self.horizon = horizon
        self.history = [h for h in case.history if h.at <= case.now]
        self.checks: list[Check] = []
        self._stated_done = False

    def build(self) -> list[Check]:
        for profile in self.resolved.profiles:
            conflict = next((r.id for r in profile.rules if r.kind == "location"), None)
            waivers = self._waivers(profile)
            for rule in profile.rules:
                if self._applies(rule):
                    first = len(self.checks)
                    BUILDERS[rule.kind](self, rule, profile, conflict)
                    windows = waivers.get(rule.id)
                    if windows:
                        self.checks[first:] = [Waivable(c, windows) for c in self.checks[first:]]
        self._campaign()
        return self.checks

    def _waivers(self, profile: ComplianceProfile) -> dict[str, tuple[ConsentWindow, ...]]:
        """Rule id -> the consent windows in which this profile waives it (callbacks.py)."""
        found: dict[str, list[ConsentWindow]] = {}
        for rule in profile.rules:
            if rule.kind != "callback_consent" or not self._applies(rule):
                continue
            windows = consent_windows(self.case, self._zones(rule), rule)
            for waived in rule.get("waives") if windows else ():
                found.setdefault(str(waived), []).extend(windows)
        return {k: tuple(sorted(v, key=lambda w: (w.start, w.end))) for k, v in found.items()}

    def _applies(self, rule: Rule) -> bool:
        line_types = rule.get("line_types")
        if line_types is not None and self.resolved.line_type not in line_types:
            return False
        personal = rule.get("personal")
        return personal is None or bool(personal) == self.case.contact.personal

    def _zones(self, rule: Rule) -> tuple[Any, ...]:
        fixed = rule.get("zone")
        return (zone(str(fixed)),) if fixed else self.resolved.zones

    # -- wall-clock rules -------------------------------------------------------------------------
    def window(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        start = dt.time.fromisoformat(str(rule.get("from")))
        end = dt.time.fromisoformat(str(rule.get("to")))
        days = parse_days(rule.get("days"))
        self._window(rule.id, self._zones(rule), start, end, days, conflict)

    def _window(
        self,
        rule_id: str,
        zones: tuple[Any, ...],
        start: dt.time,
        end: dt.time,
        days: frozenset[int],
        conflict: str | None,
    ) -> None:
        def blocked(wall: dt.datetime) -> bool:
            return not in_daily_interval(wall, start, end, days)

        describe = f"is outside the calling window {start:%H:%M}-{end:%H:%M}"
        if days != frozenset(range(7)):
            describe += " on allowed days"
        self.checks.append(WallCheck(rule_id, zones, blocked, (start,), describe, self.horizon, conflict))

    def stated_times(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        stated = self.case.debtor.inconvenient_times
        if not stated or self._stated_done:
            return
        self._stated_done = True

        def blocked(wall: dt.datetime) -> bool:
            return any(in_daily_interval(wall, s.start, s.end, s.days) for s in stated)

        ends = tuple(s.end for s in stated)
        describe = "is a time the consumer said is inconvenient"
        self.checks.append(WallCheck(rule.id, self._zones(rule), blocked, ends, describe, self.horizon))

    def holidays(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        calendar = holiday_calendar(str(rule.get("country")), rule.get("subdivision"))

        def blocked(wall: dt.datetime) -> bool:
            return wall.date() in calendar

        self.checks.append(
            WallCheck(rule.id, self._zones(rule), blocked, (), "is a public holiday", self.horizon)
        )

    # -- counting rules ---------------------------------------------------------------------------
    def _entries(self, rule: Rule, counted: frozenset[str], inbound: bool) -> list[dt.datetime]:
        scope = rule.get("scope", "debt")
        pick: Callable[[HistoryEntry], bool]
        if scope == "debt":
            pick = lambda h: h.concerns(self.case.debt)  # noqa: E731
        elif scope == "number":
            pick = lambda h: h.number == self.case.contact.number  # noqa: E731
        else:
            pick = lambda h: True  # noqa: E731
        return sorted(
            h.at
            for h in self.history
            if h.result in counted and pick(h) and (inbound or h.direction == "outbound")
        )

    def cap(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        if rule.get("unless_consent") and self.resolved.has_consent:
            return
        if rule.get("unless_live_agent") and self.case.campaign.live_agent:
            return
        counts = rule.get("counts")
        counted = COUNTS[counts] if isinstance(counts, str) else frozenset(counts)
        word = COUNT_WORDS.get(counts, "calls") if isinstance(counts, str) else "calls"
        scope = rule.get("scope", "debt")
        describe = f"{word} ({'this number' if scope == 'number' else 'this ' + scope})"
        self._cap(rule.id, self._entries(rule, counted, bool(rule.get("inbound"))), rule, describe)

    def _cap(self, rule_id: str, instants: list[dt.datetime], rule: Rule | None, describe: str) -> None:
        params = rule.params if rule else {}
        limit = int(params["limit"])
        if "rolling" in params:
            self.checks.append(RollingCap(rule_id, instants, limit, parse_span(params["rolling"]), describe))
        elif "days" in params:
            zones = self._zones(rule) if rule else self.resolved.zones
            self.checks.append(CalendarCap(rule_id, instants, zones, int(params["days"]), limit, describe))
        elif len(instants) >= limit:
            self.checks.append(Permanent(rule_id, f"{len(instants)} {describe} in all (limit {limit})"))

    def lock_after(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        results = frozenset(rule.get("results"))
        instants = sorted(h.at for h in self.history if h.result in results and h.concerns(self.case.debt))
        if instants:
            describe = f"a {'/'.join(sorted(results))} about debt {self.case.debt}"
            self.checks.append(
                LockAfter(rule.id, instants, self._zones(rule), int(rule.get("days")), describe)
            )

    # -- facts that block whatever the time -------------------------------------------------------
    def blocks(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        debtor, contact = self.case.debtor, self.case.contact
        facts = {
            "number_opt_out": (contact.opted_out, "the consumer asked not to be called on this number"),
            "cease": (debtor.cease_requested, "the consumer asked to stop all communication"),
            "attorney": (debtor.attorney, "the consumer is represented by an attorney"),
            "employer": (
                contact.workplace and debtor.employer_forbids_calls,
                "the employer forbids calls at work",
            ),
            "wrong_party": (
                any(h.result == "wrong_party" and h.number == contact.number for h in self.history),
                "a wrong party answered this number: it no longer reaches the consumer (re-verify it)",
            ),
        }
        for name in rule.get("checks"):
            hit, why = facts[str(name)]
            if hit:
                self.checks.append(Permanent(rule.id, why))

    def flags(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        """A reply on record stops calls: about that debt on every number (`scope = "debt"`), only on the
        number it was said on (`"number"`), or about every debt of the debtor on every number (`"debtor"`)."""
        kinds, scope = frozenset(rule.get("flags")), str(rule.get("scope"))
        case = self.case
        for flag in case.debtor.flags:
            if flag.kind not in kinds or not _in_scope(flag, scope, case):
                continue
            where = "" if flag.debt == case.debt else f" (said about debt {flag.debt})"
            if flag.debt == case.debt and flag.number is not None and flag.number != case.contact.number:
                where = " (said on another of the debtor's numbers)"
            self.checks.append(Permanent(rule.id, FLAG_REASONS[flag.kind] + where))
            return

    def language(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        """A language barrier on record: only a campaign with a script in the consumer's language calls."""
        known = self.case.campaign.languages
        for flag in self.case.debtor.flags:
            if flag.kind != "language_barrier":
                continue
            if not flag.language:
                why = "the consumer did not understand the script's language and which one they speak is not"
                self.checks.append(Permanent(rule.id, why + " on record (missing data)"))
            elif known is None or flag.language not in known:
                why = f"the consumer speaks {flag.language!r}; the campaign has no script in that language"
                self.checks.append(Permanent(rule.id, why))
            else:
                continue
            return

    def recording_notice(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        """REC: the session announces recording before capture (see recording.py); no dial check."""

    def consent(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        if self.case.campaign.artificial_voice and not self.resolved.has_consent:
            why = (
                f"an artificial-voice call to a {self.resolved.line_type} number needs prior express consent"
            )
            self.checks.append(Permanent(rule.id, why + "; none on record"))

    def reassigned(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        contact = self.case.contact
        if contact.reassigned_at is None:
            return
        if contact.consent_at is None or contact.reassigned_at >= contact.consent_at:
            why = "the number was disconnected after the consent was given (possibly reassigned): re-verify"
            self.checks.append(Permanent(rule.id, why))

    def relation(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        relation = self.case.contact.relation
        if relation in rule.get("allowed"):
            return
        fallback = rule.get("when_debtor_unreachable") or []
        reachable = self.case.debtor.reachable
        if relation in fallback and reachable is False:
            return
        who = relation.replace("_", " ")
        if relation in fallback and reachable is None:
            why = f"calling the {who} needs to know whether the debtor is reachable (missing data)"
        elif relation in fallback:
            why = f"the {who} may not be called while the debtor is reachable"
        else:
            why = f"the bot may not call a {who}: only {', '.join(rule.get('allowed'))}"
        self.checks.append(Permanent(rule.id, why))

    def abandon_rate(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        rate = self.case.campaign.abandoned_rate_24h
        limit = float(rule.get("max"))
        if rate is not None and rate > limit:
            why = (
                f"the campaign's abandoned rate {rate:.1%} over 24 h exceeds {limit:.0%}: the campaign pauses"
            )
            self.checks.append(Permanent(rule.id, why))

    def location(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        """U2 changes how windows report (see WallCheck.conflict_rule); it adds no check of its own."""

    def callback_consent(self, rule: Rule, profile: ComplianceProfile, conflict: str | None) -> None:
        """Waives other rules of its profile (see build); it adds no check of its own."""

    # -- the campaign's own settings (only ever tighter) ----------------------------------------
    def _campaign(self) -> None:
        campaign = self.case.campaign
        if campaign.window_from or campaign.window_to or campaign.days is not None:
            start = campaign.window_from or dt.time(0, 0)
            end = campaign.window_to or dt.time(0, 0)
            days = campaign.days if campaign.days is not None else frozenset(range(7))
            self._window("CAMPAIGN", self.resolved.zones, start, end, days, None)
        dials = sorted(  # the campaign's own attempts: outbound, trunk failures not counted
            h.at
            for h in self.history
            if h.result in COUNTS["dials"] and h.direction == "outbound" and h.concerns(self.case.debt)
        )
        if campaign.max_attempts_per_day is not None:
            rule = Rule("CAMPAIGN", "cap", {"limit": campaign.max_attempts_per_day, "days": 1}, "campaign")
            self._cap("CAMPAIGN", dials, rule, "campaign attempts (this debt)")
        if campaign.max_attempts_total is not None:
            rule = Rule("CAMPAIGN", "cap", {"limit": campaign.max_attempts_total}, "campaign")
            self._cap("CAMPAIGN", dials, rule, "campaign attempts (this debt)")


FLAG_REASONS = {
    "attorney": "the consumer said an attorney represents them about this debt",
    "bankruptcy": "the consumer said they filed for bankruptcy (automatic stay)",
    "cease": "the consumer asked to stop all communication",
    "deceased": "the account holder is reported deceased",
    "dispute": "the debt is disputed (validation requested): no collection until an operator resolves it",
    "language_barrier": "the consumer does not speak the script's language",
}


def _in_scope(flag: AccountFlag, scope: str, case: DecisionCase) -> bool:
    if scope == "debtor":
        return True
    if flag.debt != case.debt:
        return False
    return scope == "debt" or flag.number is None or flag.number == case.contact.number


BUILDERS: dict[str, Callable[[Builder, Rule, ComplianceProfile, str | None], None]] = {
    "window": Builder.window,
    "stated_times": Builder.stated_times,
    "holidays": Builder.holidays,
    "location": Builder.location,
    "cap": Builder.cap,
    "lock_after": Builder.lock_after,
    "blocks": Builder.blocks,
    "consent": Builder.consent,
    "reassigned": Builder.reassigned,
    "relation": Builder.relation,
    "abandon_rate": Builder.abandon_rate,
    "callback_consent": Builder.callback_consent,
    "flags": Builder.flags,
    "language": Builder.language,
    "recording_notice": Builder.recording_notice,
}
