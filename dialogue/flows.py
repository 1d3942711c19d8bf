"""Flow checks of rules and stories that a script writer cannot see on a phone-less read.

- ``dead_air``: after a user turn the flow ends, or its next action says nothing and does not end or
  transfer the call: the callee hears silence and the call drifts into the no-input path.
- ``loop``: a flow that answers a reply by asking the very question it started from, with no cap on how
  often (the ``repeat_check: ok`` slot the dialer sets; at ``too_many`` a sibling rule must offer a person
  or end). "Who is this?" six times must not get the same answer six times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dialogue.script import Flow, Script

if TYPE_CHECKING:
    from dialogue.validate import Finding

REPEAT_SLOT = "repeat_check"


def _base(name: str) -> str:
    return name.replace("utter_reprompt_", "utter_")


def _speaks(script: Script, action: str) -> bool:
    """An action that says something, ends or transfers the call (custom actions are trusted)."""
    response = script.responses.get(action)
    if response is None:
        return action in script.actions
    return any(v.text or v.custom.get("hangup") or v.custom.get("transfer") for v in response.variants)


def _dead_air(script: Script, flow: Flow) -> Finding | None:
    from dialogue.validate import Finding

    steps = [s for s in flow.steps if s.kind != "slots"]
    for index, step in enumerate(steps):
        if step.kind not in ("intent", "or"):
            continue
        following = steps[index + 1] if index + 1 < len(steps) else None
        if following is None:
            if flow.kind == "rule":
                message = f"rule {flow.name!r}: ends on a user turn; the bot would say nothing (dead air)"
                return Finding("dead_air", flow.path, step.line, message)
            continue
        if following.kind == "action" and not _speaks(script, following.value):
            message = (
                f"{flow.kind} {flow.name!r}: {following.value!r} says nothing after the user turn (dead air)"
            )
            return Finding("dead_air", flow.path, following.line, message)
    return None


def _loop(flow: Flow) -> Finding | None:
    from dialogue.validate import Finding

    if flow.kind != "rule" or not flow.steps or flow.steps[0].kind != "action":
        return None
    actions = [s for s in flow.steps if s.kind == "action"]
    if len(actions) < 2 or not any(s.kind in ("intent", "or") for s in flow.steps):
        return None
    first, last = actions[0].value, actions[-1]
    if last.value.startswith("utter_reprompt_") or _base(last.value) != _base(first):
        return None
    capped = any(name == REPEAT_SLOT for s in flow.steps if s.kind == "slots" for name, _ in s.slots)
    if capped:
        return None
    message = (
        f"rule {flow.name!r}: asks {first!r} again with no exit; test `{REPEAT_SLOT}: ok` here and add a "
        f"rule for `{REPEAT_SLOT}: too_many` that offers a person or ends the call"
    )
    return Finding("loop", flow.path, last.line, message)


def flow_findings(script: Script) -> list[Finding]:
    out: list[Finding] = []
    for flow in [*script.rules, *script.stories]:
        for finding in (_dead_air(script, flow), _loop(flow)):
            if finding is not None:
                out.append(finding)
    return out
