"""Imports that never surprise: no silent moves between campaigns, counts that add up, columns mapped by
name, and a missing column named with the headers it is known by (English and Chinese)."""

from __future__ import annotations

from typing import Any

COUNTED = ("imported", "updated", "unchanged", "rejected", "suppressed", "duplicates")


def _adds_up(summary: dict[str, Any]) -> None:
    assert summary["rows"] == sum(summary[k] for k in COUNTED), summary


def test_accounts_never_move_between_campaigns_silently(dialer: Any, lists: Any, ledger: Any) -> None:
    rows, _ = lists.rows(6)
    path = str(lists.csv("a.csv", rows))
    _adds_up(dialer.json("import", path, "--campaign", "a", "--create", "--region", "US"))
    assert dialer("campaign", "create", "b").exit_code == 0
    refused = dialer("import", path, "--campaign", "b", "--region", "US")
    assert refused.exit_code == 1
    assert "line 2: account 'ACC000000' belongs to campaign 'a'" in refused.stderr
    assert "--move" in refused.stderr and "nothing was imported" in refused.stderr
    assert ledger.campaign_stats("a").accounts == 6 and ledger.campaign_stats("b").accounts == 0
    moved = dialer.json("import", path, "--campaign", "b", "--region", "US", "--move")
    assert moved["moved"] == 6 and moved["updated"] == 6
    _adds_up(moved)
    assert ledger.campaign_stats("a").accounts == 0 and ledger.campaign_stats("b").accounts == 6
    again = dialer.json("import", path, "--campaign", "b", "--region", "US")
    assert (again["unchanged"], again["moved"]) == (6, 0)
    _adds_up(again)


def test_counts_add_up_with_rejects_and_duplicates(dialer: Any, lists: Any) -> None:
    rows, bad = lists.rows(20, bad_every=5)
    rows.append(list(rows[0]))  # the same account again: a duplicate
    summary = dialer.json(
        "import", str(lists.csv("mixed.csv", rows)), "--campaign", "c", "--create", "--region", "US"
    )
    assert summary["rejected"] == len(bad) and summary["duplicates"] == 1 and summary["rows"] == 21
    _adds_up(summary)


def test_map_names_a_column_and_a_missing_one_lists_the_accepted_names(dialer: Any, lists: Any) -> None:
    rows, _ = lists.rows(3)
    header = ["account", "name", "phone", "Amount Owed", "due_date", "state"]
    path = str(lists.csv("owed.csv", rows, header=header))
    missing = dialer("import", path, "--campaign", "c", "--create")
    assert missing.exit_code == 2
    message = missing.stderr
    assert "missing required column(s): amount" in message and "欠款金额" in message and "balance" in message
    assert '--map "amount=Your Header"' in message
    summary = dialer.json("import", path, "--campaign", "c", "--map", "amount=Amount Owed", "--region", "US")
    assert summary["imported"] == 3
    bad = dialer("import", path, "--campaign", "c", "--map", "amout=Amount Owed")
    assert bad.exit_code == 2 and "use FIELD=HEADER" in bad.stderr


def test_extensions_shared_numbers_consent_and_ignored_columns_are_reported(dialer: Any, lists: Any) -> None:
    header = ["account", "customer id", "name", "phone", "amount", "due_date", "consent_date", "Notes"]
    rows = [
        ["A1", "D1", "Ann Lee", "+1 212 555 0101", "10", "2026-12-05", "2026-01-02", "x"],
        ["A2", "D2", "Bo Chan", "+1 212 555 0101", "10", "2026-12-05", "2026-01-02", "y"],  # D1's number
        ["A3", "D3", "Cy Diaz", "+1 212 555 0103 ext. 12", "10", "2026-12-05", "2026-01-02", ""],
        ["A4", "D4", "Di Eng", "+1 808 555 0104", "10", "2026-12-05", "", ""],  # no consent: T1
    ]
    summary = dialer.json(
        "import", str(lists.csv("notes.csv", rows, header=header)), "--campaign", "c", "--create"
    )
    assert summary["imported"] == 4
    assert summary["shared_numbers"] == {"rows": 1, "lines": [3]}
    assert summary["extensions"] == {"rows": 1, "lines": [4]}
    assert summary["never_callable_without_consent"] == {"rows": 1, "lines": [5]}
    assert summary["ignored_columns"] == ["Notes"]
    shown = dialer("import", str(lists.csv("notes.csv", rows, header=header)), "--campaign", "c")
    assert "numbers shared by several debtors" in shown.stdout and "(lines 3)" in shown.stdout
    assert "ignored columns" in shown.stdout and "Notes" in shown.stdout
