"""What SIGHUP reloads: the policy profiles (effective at the next claim). The call scripts are checked
(`preflight`; a broken one keeps the running workers and is logged); the workers load them, so they are
recycled once their live calls have ended."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dialer.supervisor.metrics import Metrics
from scheduler.claims import Gate, GateVerdict
from scheduler.planner import policy_gate
from scheduler.policy import ProfileSet, load_profiles


def load_policy(profiles_dir: str) -> ProfileSet:
    """The built-in profiles plus the site's own (raises ComplianceProfileError naming the file)."""
    return load_profiles(profiles_dir or None)


def counting_gate(profiles: ProfileSet, metrics: Metrics) -> Gate:
    """The policy gate of the planner, counting denials by rule for the metrics endpoint."""
    gate = policy_gate(profiles)

    def counted(session: Any, attempt: Any, now: dt.datetime) -> GateVerdict:
        verdict: GateVerdict = gate(session, attempt, now)
        if not verdict.allow:
            metrics.denials.labels(rule=verdict.rule).inc()
        return verdict

    return counted
