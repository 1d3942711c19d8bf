"""What SIGHUP reloads: the policy profiles (effective at the next claim). The call scripts are checked by
`preflight` (a campaign whose script broke is paused); the workers load them, so they are recycled once
their live calls have ended."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from dialer.supervisor.metrics import Metrics
from scheduler.claims import Gate, Verdict
from scheduler.models import Attempt
from scheduler.planner import policy_gate
from scheduler.policy import ProfileSet, load_profiles


def load_policy(profiles_dir: str) -> ProfileSet:
    """The built-in profiles plus the site's own (raises ProfileError naming the file)."""
    return load_profiles(profiles_dir or None)


def counting_gate(profiles: ProfileSet, metrics: Metrics) -> Gate:
    """The policy gate of the planner, counting denials by rule for the metrics endpoint."""
    gate = policy_gate(profiles)

    def counted(session: Session, attempt: Attempt, now: dt.datetime) -> Verdict:
        verdict: Verdict = gate(session, attempt, now)
        if not verdict.allow:
            metrics.denials.labels(rule=verdict.rule).inc()
        return verdict

    return counted
