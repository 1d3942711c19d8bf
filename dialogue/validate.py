"""Schema and cross-reference checks of a call script; every finding names its file and line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from dialogue.flows import flow_findings
from dialogue.plan import load_limits
from dialogue.script import Flow, Script
from dialogue.yamlines import LDict

BUILTIN_INTENTS = {"nlu_fallback", "call_start", "no_input", "machine_detected"}
BUILTIN_ACTIONS = {"action_listen", "action_restart", "action_default_fallback", "action_session_start"}
KNOWN_CUSTOM_KEYS = {"disposition", "record", "opt_out", "transfer", "hangup"}
DISPOSITIONS = {
    "promise_to_pay", "already_paid", "dispute", "cannot_pay", "callback_requested", "transferred",
    "wrong_party", "opt_out", "refused", "no_response", "voicemail_left", "machine_no_message",
    "attorney", "bankruptcy", "cease", "deceased", "third_party", "language_barrier", "complaint",
}  # fmt: skip
RECORDS = {"promise", "paid", "callback", "plan"}
_VARIABLE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Finding:
    rule: str  # "schema" for validation; a COMPLIANCE.md rule id for lint
    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


def validate(script: Script) -> list[Finding]:
    out = [Finding("schema", p.path, p.line, p.message) for p in script.problems]
    intents = set(script.intents) | BUILTIN_INTENTS
    actions = set(script.responses) | set(script.actions) | BUILTIN_ACTIONS
    for example in script.examples:
        if example.intent not in script.intents:
            out.append(
                Finding(
                    "schema", "data/nlu.yml", example.line, f"intent {example.intent!r} is not in domain.yml"
                )
            )
    with_examples = {e.intent for e in script.examples}
    for intent in script.intents:
        if intent not in with_examples and intent not in BUILTIN_INTENTS:
            out.append(
                Finding(
                    "schema",
                    "domain.yml",
                    script.intent_lines.get(intent, 0),
                    f"intent {intent!r} has no NLU examples",
                    "warning",
                )
            )
    for flow in [*script.rules, *script.stories, *script.tests]:
        out.extend(_check_flow(script, flow, intents, actions))
    for response in script.responses.values():
        for variant in response.variants:
            for variable in _VARIABLE.findall(variant.text or ""):
                if variable not in script.slots:
                    out.append(
                        Finding(
                            "schema",
                            response.path,
                            variant.line,
                            f"response {response.name}: variable {{{variable}}} is not a slot",
                        )
                    )
            for name, _ in variant.condition:
                if name not in script.slots:
                    out.append(
                        Finding(
                            "schema",
                            response.path,
                            variant.line,
                            f"response {response.name}: condition on unknown slot {name!r}",
                        )
                    )
            for key in variant.custom:
                if key not in KNOWN_CUSTOM_KEYS:
                    out.append(
                        Finding(
                            "schema",
                            response.path,
                            variant.line,
                            f"response {response.name}: unknown custom key {key!r}",
                        )
                    )
            record = variant.custom.get("record")
            if record is not None and record not in RECORDS:
                out.append(
                    Finding(
                        "schema",
                        response.path,
                        variant.line,
                        f"response {response.name}: unknown record {record!r} ({', '.join(sorted(RECORDS))})",
                    )
                )
            disposition = variant.custom.get("disposition")
            if disposition and disposition not in DISPOSITIONS:
                out.append(
                    Finding(
                        "schema",
                        response.path,
                        variant.line,
                        f"response {response.name}: unknown disposition {disposition!r}",
                    )
                )
            if not variant.text and not variant.custom:
                out.append(
                    Finding(
                        "schema",
                        response.path,
                        variant.line,
                        f"response {response.name}: a variation needs text or custom",
                    )
                )
    used = {s.value for f in [*script.rules, *script.stories] for s in f.steps if s.kind == "action"}
    checks = script.meta.get("significant") or {}
    used |= {str(v) for v in (checks.get("checks") or {}).values()} if isinstance(checks, dict) else set()
    for name, response in script.responses.items():
        if name not in used:
            out.append(
                Finding(
                    "schema",
                    response.path,
                    response.line,
                    f"response {name!r} is never used by a rule or story",
                    "warning",
                )
            )
    for key in ("opening", "right_party_question", "voicemail", "disclosure"):
        raw = script.meta.get(key) or []
        names = [str(n) for n in ([raw] if isinstance(raw, str) else raw)]
        if not names:
            out.append(Finding("schema", "dialer.yml", 0, f"dialer.yml: missing {key!r}"))
        for name in names:
            if name not in script.responses:
                out.append(
                    Finding("schema", "dialer.yml", 0, f"dialer.yml: {key} names unknown response {name!r}")
                )
    out.extend(_check_confirm(script))
    out.extend(_check_plan_limits(script))
    out.extend(_check_significant(script))
    out.extend(_check_keywords(script))
    out.extend(flow_findings(script))
    for digit, intent in script.keypad.items():
        if intent not in intents:
            out.append(Finding("schema", "dialer.yml", 0, f"keypad {digit}: unknown intent {intent!r}"))
    if not script.language.startswith(("en", "zh")):
        out.append(
            Finding("schema", "dialer.yml", 0, f"language {script.language!r}: only en and zh are supported")
        )
    return out


def _check_confirm(script: Script) -> list[Finding]:
    """dialer.yml confirm_questions name responses; confirm_threshold is a probability."""
    out: list[Finding] = []
    raw = script.meta.get("confirm_threshold", 0.6)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 1:
        out.append(Finding("schema", "dialer.yml", 0, f"confirm_threshold {raw!r}: expected a number 0..1"))
    questions = script.meta.get("confirm_questions") or []
    if not isinstance(questions, list):
        out.append(Finding("schema", "dialer.yml", 0, "confirm_questions: expected a list of responses"))
        return out
    for name in questions:
        if str(name) not in script.responses:
            message = f"dialer.yml: confirm_questions names unknown response {name!r}"
            out.append(Finding("schema", "dialer.yml", 0, message))
    return out


def _meta_line(script: Script, *keys: str) -> int:
    """The dialer.yml line of a nested key (0 when unknown)."""
    node: Any = script.meta
    line = 0
    for key in keys:
        if not isinstance(node, LDict) or key not in node:
            return line
        line = node.line_of(key)
        node = node.get(key)
    return line


def _check_plan_limits(script: Script) -> list[Finding]:
    """dialer.yml payment_plan: known keys with sensible values, reported at their line."""
    _, problems = load_limits(script.meta.get("payment_plan"))
    return [
        Finding(
            "schema",
            "dialer.yml",
            _meta_line(script, "payment_plan", key) or _meta_line(script, "payment_plan"),
            f"payment_plan.{key}: {problem}" if key != "payment_plan" else f"payment_plan: {problem}",
        )
        for key, problem in problems
    ]


def _check_significant(script: Script) -> list[Finding]:
    """dialer.yml significant: a threshold 0..1 and check questions that exist, for known intents."""
    raw = script.meta.get("significant")
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [
            Finding(
                "schema", "dialer.yml", _meta_line(script, "significant"), "significant: expected a mapping"
            )
        ]
    out: list[Finding] = []
    for key in ("threshold", "floor", "opt_out_floor"):
        value = raw.get(key, 0.5)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            line = _meta_line(script, "significant", key)
            out.append(Finding("schema", "dialer.yml", line, f"significant.{key} {value!r}: expected 0..1"))
    intents = set(script.intents)
    for intent, response in (raw.get("checks") or {}).items():
        line = _meta_line(script, "significant", "checks", str(intent))
        if str(intent) not in intents:
            out.append(
                Finding("schema", "dialer.yml", line, f"significant.checks: unknown intent {intent!r}")
            )
        if str(response) not in script.responses:
            message = f"significant.checks.{intent}: unknown response {response!r}"
            out.append(Finding("schema", "dialer.yml", line, message))
    checks = raw.get("checks") or {}
    for intent in raw.get("on_silence") or []:
        if str(intent) not in checks:
            line = _meta_line(script, "significant", "on_silence")
            message = f"significant.on_silence: {intent!r} has no check question in significant.checks"
            out.append(Finding("schema", "dialer.yml", line, message))
    for intent, answers in (raw.get("confirmed_by") or {}).items():
        line = _meta_line(script, "significant", "confirmed_by", str(intent))
        if str(intent) not in checks:
            message = f"significant.confirmed_by: {intent!r} has no check question in significant.checks"
            out.append(Finding("schema", "dialer.yml", line, message))
        for answer in answers if isinstance(answers, list) else [answers]:
            if str(answer) not in intents:
                message = f"significant.confirmed_by.{intent}: unknown intent {answer!r}"
                out.append(Finding("schema", "dialer.yml", line, message))
    return out


def _check_keywords(script: Script) -> list[Finding]:
    """dialer.yml keywords: patterns that compile, for intents the script knows."""
    from dialogue.keywords import KeywordError, load_keywords

    raw = script.meta.get("keywords")
    line = _meta_line(script, "keywords")
    try:
        keywords = load_keywords(raw, script.language)
    except KeywordError as exc:
        return [Finding("schema", "dialer.yml", line, str(exc))]
    return [
        Finding("schema", "dialer.yml", line, f"keywords: unknown intent {intent!r}")
        for intent in sorted(keywords.kept - set(script.intents))
    ]


def _check_flow(script: Script, flow: Flow, intents: set[str], actions: set[str]) -> list[Finding]:
    out: list[Finding] = []
    label = f"{flow.kind} {flow.name!r}"
    if not flow.steps:
        out.append(Finding("schema", flow.path, flow.line, f"{label} has no steps"))
    lead = 0
    for step in flow.steps:
        if step.kind != "action":
            break
        lead += 1
    if flow.kind == "rule" and lead > 1:
        message = f"{label} starts with {lead} actions: Rasa would learn to predict the second one; keep one"
        out.append(Finding("schema", flow.path, flow.steps[1].line, message))
    for name, value in flow.condition:
        out.extend(_check_slot(script, flow, flow.line, name, value))
    for step in flow.steps:
        if step.user and step.user.startswith("#") and step.user[1:] not in script.keypad:
            message = (
                f"{label}: keypad {step.user!r} is not in dialer.yml keypad ({', '.join(script.keypad)})"
            )
            out.append(Finding("schema", step.path, step.line, message))
        if step.kind == "intent" and step.value not in intents:
            out.append(
                Finding(
                    "schema", step.path, step.line, f"{label}: intent {step.value!r} is not in domain.yml"
                )
            )
        elif step.kind == "or":
            for option in step.options:
                if option not in intents:
                    out.append(
                        Finding(
                            "schema", step.path, step.line, f"{label}: intent {option!r} is not in domain.yml"
                        )
                    )
        elif step.kind == "action" and step.value not in actions:
            out.append(
                Finding(
                    "schema",
                    step.path,
                    step.line,
                    f"{label}: action {step.value!r} is not a response or action in domain.yml",
                )
            )
        elif step.kind == "slots":
            for name, value in step.slots:
                out.extend(_check_slot(script, flow, step.line, name, value))
    return out


def _check_slot(script: Script, flow: Flow, line: int, name: str, value: object) -> list[Finding]:
    slot = script.slots.get(name)
    label = f"{flow.kind} {flow.name!r}"
    if slot is None:
        return [Finding("schema", flow.path, line, f"{label}: slot {name!r} is not in domain.yml")]
    if slot.type == "categorical" and value is not None and str(value) not in slot.values:
        return [
            Finding(
                "schema",
                flow.path,
                line,
                f"{label}: slot {name!r} has no value {value!r} (values: {', '.join(slot.values)})",
            )
        ]
    return []
