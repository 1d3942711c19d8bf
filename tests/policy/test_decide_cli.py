"""`dialer policy decide`: bad input, site profiles, campaign settings that only tighten."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.policy.conftest import Decide, load_case

BASE = load_case("05b-seven-in-seven-debt-b")  # an allowed US case


def _with(path: str, value: Any) -> dict[str, Any]:
    case = copy.deepcopy(BASE)
    node: Any = case
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is _DELETE:
        del node[last]
    elif last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    return case


_DELETE = object()


def test_base_case_is_allowed(decide_cli: Decide) -> None:
    assert json.loads(decide_cli(BASE).output)["allow"] is True


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("now", "2026-01-11T18:00:00", "now: naive timestamp"),
        ("now", "yesterday", "now: 'yesterday' is not an ISO 8601 timestamp"),
        ("history.0.at", "2026-01-05T15:00:00", "history[0].at: naive timestamp"),
        ("contact.consent_at", "2025-01-01 00:00", "contact.consent_at: naive timestamp"),
        ("contact.number", "+1617555", "contact.number:"),
        ("contact.number", "6175550100", "contact.number:"),
        ("history.1.number", "+99912", "history[1].number:"),
        ("history.2.result", "hung_up", "history[2].result: 'hung_up' is not one of"),
        ("profiles", ["US", "XX"], "profiles[1]: unknown profile 'XX'"),
        ("debt", _DELETE, "debt: required field is missing"),
        ("contact.number", _DELETE, "contact.number: required field is missing"),
        ("contact.consent", "2025-01-01T00:00:00Z", "contact.consent: unknown field"),
        ("contact.line_type", "cell", "contact.line_type: 'cell' is not one of"),
        ("debtor.attorney", "no", "debtor.attorney: expected true or false"),
        ("campaign", {"abandoned_rate_24h": 4.1}, "campaign.abandoned_rate_24h:"),
        (
            "debtor.inconvenient_times",
            [{"days": "weekdays", "from": "09:00", "to": "17:00"}],
            "debtor.inconvenient_times[0].days: unknown day",
        ),
    ],
)
def test_bad_input_exits_2_naming_the_field(decide_cli: Decide, path: str, value: Any, field: str) -> None:
    result = decide_cli(_with(path, value))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {field}"), lines[0]


def test_invalid_json_exits_2(decide_cli: Decide, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"now": "2026-01-11T18:00:00Z",\n "debtor": }', encoding="utf-8")
    result = decide_cli(bad)
    assert result.exit_code == 2
    assert "invalid JSON at line 2" in result.stderr


def test_missing_location_denies_with_data(decide_cli: Decide) -> None:
    case = _with("debtor", {"state": "NY"})
    decision = json.loads(decide_cli(case).output)
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (False, "DATA", None)
    toll_free = _with("contact.number", "+18005550100")
    toll_free["debtor"] = {"country": "US"}
    decision = json.loads(decide_cli(toll_free).output)
    assert (decision["allow"], decision["rule"]) == (False, "DATA")
    assert "time zone" in decision["reason"]


def test_unknown_relation_reachability_denies(decide_cli: Decide) -> None:
    case = load_case("15f-china-emergency-contact-debtor-unreachable")
    case["debtor"]["reachable"] = None
    decision = json.loads(decide_cli(case).output)
    assert (decision["allow"], decision["rule"]) == (False, "C4")


def test_campaign_settings_only_tighten(decide_cli: Decide) -> None:
    early = _with("now", "2026-01-12T12:30:00Z")  # 07:30 in New York
    early["campaign"] = {"window": {"from": "06:00", "to": "23:30"}, "max_attempts_per_day": 50}
    decision = json.loads(decide_cli(early).output)
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (
        False,
        "U1",
        "2026-01-12T13:00:00Z",
    )
    narrow = _with("campaign", {"window": {"from": "15:00", "to": "16:00"}})
    decision = json.loads(decide_cli(narrow).output)  # 13:00 in New York
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (
        False,
        "CAMPAIGN",
        "2026-01-11T20:00:00Z",
    )
    capped = _with("campaign", {"max_attempts_per_day": 1})
    capped["history"].append(
        {"at": "2026-01-11T14:00:00Z", "number": "+12125550100", "debt": "B-1", "result": "busy"}
    )
    decision = json.loads(decide_cli(capped).output)
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (
        False,
        "CAMPAIGN",
        "2026-01-12T13:00:00Z",
    )


SITE = """
id = "ACME"
version = "2026.1"
name = "ACME Collections internal policy"
applies_to = ["US"]

[[rules]]
id = "ACME-CAP"
kind = "cap"
scope = "debt"
counts = "dials"
limit = 2
days = 7
source = "ACME compliance manual 4.2"

[[rules]]
id = "ACME-HOL"
kind = "holidays"
country = "US"
source = "ACME compliance manual 4.5: no calls on federal holidays"
"""


def test_site_profile_from_profiles_dir_without_code(decide_cli: Decide, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme.toml").write_text(SITE, encoding="utf-8")
    case = load_case("09-massachusetts-third-in-7-days")
    case["debtor"] = {"country": "US", "state": "NY", "postal_code": "10001"}
    case["contact"]["number"] = "+12125550100"
    for entry in case["history"]:
        entry["number"] = "+12125550100"
    without = json.loads(decide_cli(case).output)
    assert without["allow"] is True and without["profiles"] == ["US@2026.2", "ACCOUNT@2026.1"]
    decision = json.loads(decide_cli(case, profiles_dir=site).output)
    assert (decision["allow"], decision["rule"]) == (False, "ACME-CAP")
    assert decision["profiles"] == ["US@2026.2", "ACCOUNT@2026.1", "ACME@2026.1"]
    # 2026-07-03 is the observed Independence Day; 07-04 the day itself; Sunday 07-05 is a working day
    holiday = load_case("05b-seven-in-seven-debt-b")
    holiday["now"] = "2026-07-03T15:00:00Z"
    holiday["history"] = []
    decision = json.loads(decide_cli(holiday, profiles_dir=site).output)
    assert (decision["allow"], decision["rule"], decision["next_allowed_at"]) == (
        False,
        "ACME-HOL",
        "2026-07-05T12:00:00Z",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('id = "US"\nversion = "1"\nrules = []\n', "profile id 'US' is already defined"),
        ('id = "X"\nversion = "1"\n[[rules]]\nid = "X1"\nkind = "nap"\nsource = "s"\n', "unknown kind 'nap'"),
        (
            'id = "X"\nversion = "1"\n[[rules]]\nid = "X1"\nkind = "cap"\nsource = "s"\n',
            "missing parameter(s)",
        ),
        ('id = "X"\nversion = "1"\n[[rules]]\nid = "X1"\nkind = "reassigned"\n', "names its 'source'"),
    ],
)
def test_bad_site_profile_exits_2_naming_the_file(
    decide_cli: Decide, tmp_path: Path, text: str, message: str
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "bad.toml").write_text(text, encoding="utf-8")
    result = decide_cli(BASE, profiles_dir=site)
    assert result.exit_code == 2
    assert "bad.toml" in result.stderr and message in result.stderr, result.stderr


def _rule(decide_cli: Decide, case: dict[str, Any]) -> tuple[bool, str, str | None]:
    result = decide_cli(case)
    assert result.exit_code == 0, result.output
    d = json.loads(result.output)
    return d["allow"], d["rule"], d["next_allowed_at"]


@pytest.mark.parametrize(
    ("path", "value", "rule"),
    [
        ("debtor.attorney", True, "U6"),
        ("debtor.cease_requested", True, "U6"),
        ("contact.relation", "third_party", "U8"),
        ("contact.reassigned_at", "2025-06-01T00:00:00Z", "T6"),
    ],
)
def test_blocking_facts(decide_cli: Decide, path: str, value: Any, rule: str) -> None:
    assert _rule(decide_cli, _with(path, value)) == (False, rule, None)


def test_employer_forbids_work_calls(decide_cli: Decide) -> None:
    case = _with("contact.workplace", True)
    assert _rule(decide_cli, case)[0] is True
    case["debtor"]["employer_forbids_calls"] = True
    assert _rule(decide_cli, case) == (False, "U6", None)


def test_reassigned_before_consent_does_not_block(decide_cli: Decide) -> None:
    case = _with("contact.reassigned_at", "2024-06-01T00:00:00Z")  # consent given 2025-01-01, afterwards
    assert _rule(decide_cli, case)[0] is True


def test_landline_without_consent_three_in_thirty_days(decide_cli: Decide) -> None:
    case = copy.deepcopy(BASE)
    case["contact"] = {"number": "+12125550100", "line_type": "fixed_line", "consent_at": None}
    case["history"] = [
        {"at": at, "number": "+12125550100", "debt": "B-1", "result": "no_answer"}
        for at in ("2025-12-20T15:00:00Z", "2025-12-28T15:00:00Z", "2026-01-05T15:00:00Z")
    ]
    assert _rule(decide_cli, case) == (False, "T2", "2026-01-19T15:00:00Z")  # the oldest + 30 days
    case["contact"]["consent_at"] = "2025-01-01T00:00:00Z"
    assert _rule(decide_cli, case)[0] is True


def test_washington_three_per_week_per_debtor(decide_cli: Decide) -> None:
    case = copy.deepcopy(BASE)
    case["debtor"] = {"country": "US", "state": "WA", "postal_code": "98101"}
    case["contact"]["number"] = "+12065550100"
    case["history"] = [
        {"at": f"2026-01-{day}T20:00:00Z", "number": "+12065550100", "debt": debt, "result": "voicemail"}
        for day, debt in (("07", "A-1"), ("08", "B-1"), ("09", "C-1"))
    ]
    case["now"] = "2026-01-11T20:00:00Z"
    assert _rule(decide_cli, case) == (False, "WA", "2026-01-14T16:00:00Z")  # Wed 08:00 Pacific


def test_stated_inconvenient_times_wrap_midnight(decide_cli: Decide) -> None:
    case = _with("debtor.inconvenient_times", [{"days": "sun", "from": "12:00", "to": "09:30"}])
    # Sunday 13:00 in New York: blocked until Monday 09:30
    assert _rule(decide_cli, case) == (False, "U1", "2026-01-12T14:30:00Z")
