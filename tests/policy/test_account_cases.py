"""Replies on record (account flags), through `dialer policy decide` on the case files in account_cases/:
attorney and dispute hold the debt on every number, bankruptcy, cease and deceased every debt on every
number, a language barrier waits for a script in the consumer's language, and a flag lacking its data
denies. The ACCOUNT profile applies with every other one, also with a campaign's explicit list.

Every file: a New York debtor with two numbers (+12125550100, +12125550101), debt A-1, a flag raised on
the first number about A-1, decided on Tuesday 10:00 local (inside every window, no history)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scheduler.policy import load_profiles
from scheduler.policy.caseio import CaseError, parse_case
from scheduler.policy.profiles import ComplianceProfileError, parse_profile
from tests.policy.conftest import HERE, Decide

ACCOUNT_CASES = HERE / "account_cases"

# case file -> (allow, rule)
EXPECTED: dict[str, tuple[bool, str]] = {
    "a-attorney-same-number": (False, "ATTORNEY"),
    "b-attorney-other-number": (False, "ATTORNEY"),  # the debt is held on every number
    "c-attorney-other-debt": (True, "ALLOW"),  # represented about A-1 only
    "d-bankruptcy-other-debt": (False, "BANKRUPTCY"),  # the stay covers every debt
    "e-cease-other-number-other-debt": (False, "CEASE"),
    "f-deceased-other-number": (False, "DECEASED"),
    "g-dispute-same-debt": (False, "DISPUTE"),
    "h-dispute-other-debt": (True, "ALLOW"),
    "i-language-no-script": (False, "LANGUAGE"),
    "j-language-script-exists": (True, "ALLOW"),
    "k-language-unknown": (False, "LANGUAGE"),  # missing data denies
    "l-no-flags": (True, "ALLOW"),
    "m-explicit-profiles-still-apply": (False, "BANKRUPTCY"),
    "n-china-deceased": (False, "DECEASED"),
}


def test_every_account_case_file_has_an_expectation() -> None:
    assert {p.stem for p in ACCOUNT_CASES.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_account_case(decide_cli: Decide, name: str) -> None:
    result = decide_cli(ACCOUNT_CASES / f"{name}.json")
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert (decision["allow"], decision["rule"]) == EXPECTED[name], decision
    assert "ACCOUNT@2026.1" in decision["profiles"]
    if not decision["allow"]:
        assert decision["next_allowed_at"] is None  # held until resolved, never timed out
        assert decision["reason"]


def test_the_reason_says_where_the_reply_was_made(decide_cli: Decide) -> None:
    other = json.loads(decide_cli(ACCOUNT_CASES / "b-attorney-other-number.json").output)
    assert "another of the debtor's numbers" in other["reason"]
    same = json.loads(decide_cli(ACCOUNT_CASES / "a-attorney-same-number.json").output)
    assert "another" not in same["reason"]


def test_a_flag_of_an_unknown_kind_is_refused(decide_cli: Decide) -> None:
    case = json.loads((ACCOUNT_CASES / "a-attorney-same-number.json").read_text())
    case["debtor"]["flags"][0]["kind"] = "lawyer"
    result = decide_cli(case)
    assert result.exit_code == 2
    assert "debtor.flags[0].kind" in result.output


def test_flags_need_their_debt() -> None:
    case = json.loads((ACCOUNT_CASES / "a-attorney-same-number.json").read_text())
    del case["debtor"]["flags"][0]["debt"]
    with pytest.raises(CaseError, match=r"debtor.flags\[0\].debt: required"):
        parse_case(case, load_profiles())


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"flags": ["lawyer"], "scope": "debt"}, "flags: expected a non-empty list"),
        ({"flags": ["attorney"], "scope": "everyone"}, "scope: expected one of"),
    ],
)
def test_a_malformed_flags_rule_names_the_rule(rule: dict[str, object], message: str) -> None:
    raw = {"id": "X", "version": "1", "rules": [{"id": "X1", "kind": "flags", "source": "s", **rule}]}
    with pytest.raises(ComplianceProfileError, match=message):
        parse_profile(raw, "x.toml")


def test_every_flag_kind_has_a_rule_in_the_account_profile() -> None:
    from scheduler.policy.case import FLAG_KINDS

    profile = load_profiles().get("ACCOUNT")
    covered = {f for r in profile.rules if r.kind == "flags" for f in r.get("flags")}
    covered |= {"language_barrier"} if any(r.kind == "language" for r in profile.rules) else set()
    assert covered == FLAG_KINDS
    assert all(r.source for r in profile.rules)


def test_case_files_are_valid_json(tmp_path: Path) -> None:
    for path in ACCOUNT_CASES.glob("*.json"):
        parse_case(json.loads(path.read_text()), load_profiles())
