"""What SIGHUP reloads: the policy profiles (effective at the next claim) and the call scripts (checked
here; the call workers load them, so they are recycled once their live calls have ended)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

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


def check_scripts(scripts: Iterable[str], settings: Any) -> list[str]:
    """Load every named script the way a session does; the problems found (file and line), if any."""
    from dialogue.engines import resolve_script
    from dialogue.interfaces import DialogueError
    from dialogue.script import load_script

    base = settings.config_path.parent if settings.config_path is not None else None
    problems = []
    for name in sorted(set(scripts)):
        try:
            load_script(resolve_script(name, settings.dialogue, base))
        except (DialogueError, OSError, ValueError) as exc:
            problems.append(f"{name}: {exc}")
    return problems
