"""The inspection rule file: loaded once, validated, every error naming the file and line.

A rule file is data (YAML): a version, severity weights, the phrases the checks recognize per language, the
callee requests to honour and the words to flag, and the rules (id, severity, en/zh description, params).
The forbidden phrases and debt words are the script lint's own (dialogue.lint), applied here to what was
actually said; the rule file can only add to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialogue import lint
from dialogue.interfaces import ScriptError
from dialogue.yamlines import line_of, load

DEFAULT_RULES = Path(__file__).resolve().parent / "rules" / "inspection.yaml"
SEVERITIES = ("critical", "major", "minor")
LANGUAGES = ("en", "zh")
PHRASE_KEYS = (
    "automated",
    "debt_collector",
    "recording_notice",
    "right_party_question",
    "read_back",
    "affirm",
)


class RuleFileError(ScriptError):
    """The rule file is invalid (names file and line)."""


@dataclass(frozen=True)
class InspectionRule:
    id: str
    severity: str
    description: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    name: str
    intents: frozenset[str]
    words: dict[str, re.Pattern[str]]
    dispositions: frozenset[str]


@dataclass(frozen=True)
class Phrases:
    """What the checks recognize in one language."""

    automated: re.Pattern[str]
    debt_collector: re.Pattern[str]
    recording_notice: re.Pattern[str]
    right_party_question: re.Pattern[str]
    read_back: re.Pattern[str]
    affirm: re.Pattern[str]
    forbidden: re.Pattern[str]
    debt: re.Pattern[str]


@dataclass(frozen=True)
class RuleSet:
    version: str
    path: Path
    weights: dict[str, int]
    phrases: dict[str, Phrases]
    requests: tuple[Request, ...]
    flags: dict[str, dict[str, re.Pattern[str]]]
    rules: tuple[InspectionRule, ...]

    def rule(self, rule_id: str) -> InspectionRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def language(self, code: str) -> Phrases:
        return self.phrases["zh" if code.lower().startswith("zh") else "en"]


def load_rules(path: Path | None = None) -> RuleSet:
    from dialer.qa.checks import CHECKS  # the rule ids a file may name

    path = path or DEFAULT_RULES
    try:
        data = load(path)
    except ScriptError as exc:
        raise RuleFileError(str(exc), str(path), getattr(exc, "line", 0)) from exc
    where = str(path)

    def fail(message: str, node: Any) -> RuleFileError:
        return RuleFileError(message, where, line_of(node))

    if not isinstance(data, dict):
        raise fail("the rule file must be a mapping", data)
    version = str(data.get("version") or "")
    if not version:
        raise fail("`version` is required", data)
    weights = {k: int(v) for k, v in (data.get("weights") or {}).items()}
    if set(weights) != set(SEVERITIES):
        raise fail(f"`weights` must give exactly: {', '.join(SEVERITIES)}", data.get("weights", data))
    phrases = {lang: _phrases(lang, (data.get("phrases") or {}).get(lang), fail, data) for lang in LANGUAGES}
    requests = tuple(_request(name, spec, fail) for name, spec in (data.get("requests") or {}).items())
    flags = {
        name: {lang: _compile(spec.get(lang, r"(?!x)x"), fail, spec) for lang in LANGUAGES}
        for name, spec in (data.get("flags") or {}).items()
    }
    rules: list[InspectionRule] = []
    raw_rules = data.get("rules") or []
    for item in raw_rules:
        rule_id = str(item.get("id") or "")
        if rule_id not in CHECKS:
            raise fail(f"unknown rule id {rule_id!r} (known: {', '.join(sorted(CHECKS))})", item)
        severity = str(item.get("severity") or "")
        if severity not in SEVERITIES:
            raise fail(f"rule {rule_id}: severity must be one of {', '.join(SEVERITIES)}", item)
        description = {k: str(v) for k, v in (item.get("description") or {}).items()}
        if set(LANGUAGES) - set(description):
            raise fail(f"rule {rule_id}: the description needs both en and zh", item)
        if item.get("enabled", True):
            rules.append(InspectionRule(rule_id, severity, description, dict(item.get("params") or {})))
    if len({r.id for r in rules}) != len(rules):
        raise fail("a rule id appears twice", raw_rules)
    return RuleSet(version, path, weights, phrases, requests, flags, tuple(rules))


def _compile(pattern: Any, fail: Any, node: Any) -> re.Pattern[str]:
    try:
        return re.compile(str(pattern), re.IGNORECASE)
    except re.error as exc:
        raise fail(f"bad regular expression {pattern!r}: {exc}", node) from exc


def _phrases(lang: str, spec: Any, fail: Any, node: Any) -> Phrases:
    if not isinstance(spec, dict):
        raise fail(f"`phrases.{lang}` is required", node)
    missing = [k for k in PHRASE_KEYS if k not in spec]
    if missing:
        raise fail(f"`phrases.{lang}` lacks: {', '.join(missing)}", spec)
    forbidden = lint.FORBIDDEN_ZH if lang == "zh" else lint.FORBIDDEN_EN
    # legal steps (lawsuit, garnishment, credit report) spoken on a call are flagged for review: a campaign's
    # approval lives in its script's dialer.yml, and a reviewer dismisses the finding where it was approved
    legal = "|".join(zh if lang == "zh" else en for en, zh in lint.LEGAL_ACTIONS.values())
    forbidden = f"{forbidden}|{legal}"
    extra = spec.get("forbidden_extra")
    debt = lint.DEBT_WORDS_ZH if lang == "zh" else lint.DEBT_WORDS_EN
    return Phrases(
        **{k: _compile(spec[k], fail, spec) for k in PHRASE_KEYS},
        forbidden=_compile(f"{forbidden}|{extra}" if extra else forbidden, fail, spec),
        debt=_compile(debt, fail, spec),
    )


def _request(name: str, spec: Any, fail: Any) -> Request:
    if not isinstance(spec, dict) or not spec.get("dispositions"):
        raise fail(f"request {name}: needs dispositions", spec)
    return Request(
        name,
        frozenset(spec.get("intents") or ()),
        {lang: _compile(spec.get(lang, r"(?!x)x"), fail, spec) for lang in LANGUAGES},
        frozenset(spec["dispositions"]),
    )
