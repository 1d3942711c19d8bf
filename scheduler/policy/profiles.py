"""Jurisdiction profiles: versioned data files, one per jurisdiction, each rule with its id and source.

A profile is law as data. The built-in ones live in `scheduler/profiles/`; a site adds its own (a stricter
internal cap, a holiday calendar) as another file in `settings.scheduler.profiles_dir`. Profiles can only
add rules: a site file may not reuse a built-in id, so no file can quietly replace the law with less.

    id = "US-MA"                 # unique
    version = "2026.1"
    name = "Massachusetts"
    subdivision = "US-MA"        # applies when the address, ZIP or any area code is in MA
    # country = "US"             # a national profile: applies to debtors and numbers of that country
    # applies_to = ["US"]        # a site profile: applies with these profiles ("*": always)
    [[rules]]
    id = "MA"
    kind = "cap"
    ...
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from scheduler.policy.case import FLAG_KINDS
from scheduler.policy.checks import parse_span

KINDS: dict[str, frozenset[str]] = {
    # kind -> required parameters
    "window": frozenset({"from", "to"}),
    "stated_times": frozenset(),
    "holidays": frozenset({"country"}),
    "location": frozenset(),
    "cap": frozenset({"limit", "scope", "counts"}),
    "lock_after": frozenset({"results", "days"}),
    "blocks": frozenset({"checks"}),
    "consent": frozenset({"line_types"}),
    "reassigned": frozenset(),
    "relation": frozenset({"allowed"}),
    "abandon_rate": frozenset({"max"}),
    "callback_consent": frozenset({"waives", "tolerance", "consent_days"}),  # see callbacks.py
    "flags": frozenset({"flags", "scope"}),  # replies on record: attorney, bankruptcy, cease, ...
    "language": frozenset(),  # a language barrier on record: a script in the consumer's language
    "recording_notice": frozenset(),  # REC: all-party consent, the notice before any recording
}
FLAG_SCOPES = frozenset({"debtor", "debt", "number"})
WAIVABLE_KINDS = frozenset({"cap", "lock_after"})
COMMON = frozenset({"id", "kind", "source", "summary", "verify", "line_types", "personal"})


class ComplianceProfileError(ValueError):
    """A profile file is malformed; the message names the file and the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: str
    params: Mapping[str, Any]
    source: str = ""
    summary: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)


@dataclass(frozen=True, slots=True)
class ComplianceProfile:
    """One jurisdiction's calling rules (US, US-MA, CN...) at a version (a SIP profile is sip_config's)."""

    id: str
    version: str
    name: str
    rules: tuple[Rule, ...]
    country: str | None = None
    subdivision: str | None = None
    applies_to: tuple[str, ...] = ()
    path: str = ""

    @property
    def label(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass(frozen=True)
class ProfileSet:
    profiles: Mapping[str, ComplianceProfile] = field(default_factory=dict)

    def __contains__(self, profile_id: object) -> bool:
        return profile_id in self.profiles

    def get(self, profile_id: str) -> ComplianceProfile:
        try:
            return self.profiles[profile_id]
        except KeyError:
            known = ", ".join(sorted(self.profiles))
            raise KeyError(f"unknown profile {profile_id!r} (known: {known})") from None

    def national(self, country: str) -> ComplianceProfile | None:
        for profile in self.profiles.values():
            if profile.country == country:
                return profile
        return None

    def subdivision(self, code: str) -> ComplianceProfile | None:
        for profile in self.profiles.values():
            if profile.subdivision == code:
                return profile
        return None

    def site_profiles(self, applied: Iterable[str]) -> list[ComplianceProfile]:
        applied_set = set(applied)
        return [
            p
            for p in self.profiles.values()
            if p.applies_to and ("*" in p.applies_to or applied_set & set(p.applies_to))
        ]


def _check_time(value: Any, where: str) -> None:
    try:
        dt.time.fromisoformat(str(value))
    except ValueError as exc:
        raise ComplianceProfileError(f"{where}: {value!r} is not a HH:MM time") from exc


def _check_flags(item: Mapping[str, Any], where: str) -> None:
    flags = item.get("flags")
    if not isinstance(flags, list) or not flags or not all(f in FLAG_KINDS for f in flags):
        raise ComplianceProfileError(
            f"{where} flags: expected a non-empty list of {', '.join(sorted(FLAG_KINDS))}"
        )
    if item.get("scope") not in FLAG_SCOPES:
        raise ComplianceProfileError(f"{where} scope: expected one of {', '.join(sorted(FLAG_SCOPES))}")


def _check_callback_consent(item: Mapping[str, Any], kinds: Mapping[str, set[str]], where: str) -> None:
    """A callback_consent rule is well formed and waives only this profile's counting rules.

    `kinds`: rule id -> the kinds of the profile's rules with that id."""
    waives = item.get("waives")
    if not isinstance(waives, list) or not waives or not all(isinstance(w, str) for w in waives):
        raise ComplianceProfileError(f"{where} waives: expected a non-empty list of rule ids")
    for waived in waives:
        if waived not in kinds:
            raise ComplianceProfileError(f"{where} waives: no rule {waived!r} in this profile")
        other = kinds[waived] - WAIVABLE_KINDS
        if other:
            raise ComplianceProfileError(
                f"{where} waives: {waived!r} is a {', '.join(sorted(other))} rule; "
                f"only {' and '.join(sorted(WAIVABLE_KINDS))} rules can be waived"
            )
    try:
        tolerance = parse_span(str(item.get("tolerance")))
    except ValueError as exc:
        raise ComplianceProfileError(f"{where} tolerance: {exc}") from exc
    if tolerance > dt.timedelta(hours=12):
        raise ComplianceProfileError(f"{where} tolerance: {item.get('tolerance')!r} is more than 12 h")
    days = item.get("consent_days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ComplianceProfileError(f"{where} consent_days: expected a whole number of days >= 1")


def parse_profile(raw: Mapping[str, Any], where: str) -> ComplianceProfile:
    for key in ("id", "version", "rules"):
        if key not in raw:
            raise ComplianceProfileError(f"{where}: missing {key!r}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(raw["rules"], start=1):
        rwhere = f"{where}: rule {index} ({item.get('id', '?')})"
        if not isinstance(item, Mapping) or "id" not in item or "kind" not in item:
            raise ComplianceProfileError(f"{rwhere}: every rule needs 'id' and 'kind'")
        kind = str(item["kind"])
        if kind not in KINDS:
            raise ComplianceProfileError(
                f"{rwhere}: unknown kind {kind!r} (known: {', '.join(sorted(KINDS))})"
            )
        missing = KINDS[kind] - set(item)
        if missing:
            raise ComplianceProfileError(f"{rwhere}: missing parameter(s) {', '.join(sorted(missing))}")
        if not item.get("source"):
            raise ComplianceProfileError(f"{rwhere}: every rule names its 'source'")
        for key in ("from", "to"):
            if key in item:
                _check_time(item[key], f"{rwhere} {key}")
        if kind == "flags":
            _check_flags(item, rwhere)
        key = f"{item['id']}/{kind}/{index}"
        seen.add(key)
        params = {k: v for k, v in item.items() if k not in ("id", "kind", "source", "summary")}
        rules.append(Rule(str(item["id"]), kind, params, str(item["source"]), str(item.get("summary", ""))))
    kinds: dict[str, set[str]] = {}
    for rule in rules:
        kinds.setdefault(rule.id, set()).add(rule.kind)
    for index, rule in enumerate(rules, start=1):
        if rule.kind == "callback_consent":
            _check_callback_consent(rule.params, kinds, f"{where}: rule {index} ({rule.id})")
    applies = raw.get("applies_to", ())
    return ComplianceProfile(
        id=str(raw["id"]),
        version=str(raw["version"]),
        name=str(raw.get("name", raw["id"])),
        rules=tuple(rules),
        country=raw.get("country"),
        subdivision=raw.get("subdivision"),
        applies_to=tuple(str(a) for a in ([applies] if isinstance(applies, str) else applies)),
        path=where,
    )


def _read(path: Path, text: str) -> ComplianceProfile:
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ComplianceProfileError(f"{path}: cannot parse: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ComplianceProfileError(f"{path}: a profile is a table of keys")
    return parse_profile(raw, str(path))


def builtin_profiles() -> list[ComplianceProfile]:
    folder = resources.files("scheduler.profiles")
    out = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith((".toml", ".yaml", ".yml")):
            out.append(_read(Path(item.name), item.read_text(encoding="utf-8")))
    return out


def load_profiles(extra_dir: str | Path | None = None) -> ProfileSet:
    """The built-in profiles plus a site's own files; a site file may not reuse a built-in id."""
    found: dict[str, ComplianceProfile] = {}
    for profile in builtin_profiles():
        found[profile.id] = profile
    if extra_dir:
        folder = Path(extra_dir)
        if not folder.is_dir():
            raise ComplianceProfileError(f"profiles_dir {folder} is not a directory")
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".toml", ".yaml", ".yml"):
                continue
            profile = _read(path, path.read_text(encoding="utf-8"))
            if profile.id in found:
                raise ComplianceProfileError(
                    f"{path}: profile id {profile.id!r} is already defined by {found[profile.id].path}"
                )
            found[profile.id] = profile
    return ProfileSet(found)
