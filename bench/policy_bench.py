"""Policy engine and planner benchmark: prints figures, asserts nothing.

    python bench/policy_bench.py --debtors 1000000            # decisions per second (lazy generation)
    python bench/policy_bench.py --debtors 0 --plan-accounts 20000 \\
        --postgres postgresql+psycopg://dialer:dialer@127.0.0.1:5432/dialer_test

Part 1 decides one dial for each of N generated debtors (random jurisdiction, address, 1-3 numbers,
0-14 history entries over 12 days, a random instant in 2026-2027): decisions per second and latency
percentiles. Part 2 imports a ledger of M accounts into SQLite (and PostgreSQL if given) and times one
planner run that decides every account and queues the day's attempts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scheduler.policy import (  # noqa: E402
    CampaignLimits,
    ContactInfo,
    DebtorInfo,
    DecisionCase,
    HistoryEntry,
    decide,
    load_profiles,
)
from scheduler.policy.geo import _KNOWN as geo_known  # noqa: E402
from scheduler.policy.geo import _parsed_facts, number_facts, remember  # noqa: E402

UTC = dt.UTC
START = dt.datetime(2026, 1, 1, tzinfo=UTC)
# (country, state, postal code, area codes / number prefixes)
PLACES = [
    ("US", "NY", "10001", ["+1212", "+1917", "+1718"]),
    ("US", "MA", "02139", ["+1617", "+1508"]),
    ("US", "CA", "94103", ["+1415", "+1213"]),
    ("US", "TX", "75201", ["+1214", "+1915"]),
    ("US", "FL", "32501", ["+1850", "+1305"]),
    ("US", "WA", "98101", ["+1206", "+1509"]),
    ("US", "HI", "96813", ["+1808"]),
    ("US", "AZ", "85001", ["+1602"]),
    ("US", None, None, ["+1312", "+1303"]),
    ("CN", "GD", None, ["+86138", "+86139"]),
    ("GB", None, "SW1A 1AA", ["+447700", "+44207"]),
    ("DE", None, "10115", ["+4930", "+49170"]),
]
RESULTS = ["no_answer"] * 5 + ["voicemail"] * 2 + ["busy", "failed", "conversation", "abandoned", "refused"]


def _number(rng: random.Random, prefix: str) -> str:
    if prefix.startswith("+1"):
        return f"{prefix}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    if prefix.startswith("+86"):
        return f"{prefix}{rng.randint(0, 99_999_999):08d}"
    if prefix.startswith("+44"):
        return (
            f"{prefix}{rng.randint(0, 999_999):06d}"
            if prefix == "+447700"
            else f"{prefix}{rng.randint(0, 9_999_999):07d}"
        )
    return f"{prefix}{rng.randint(1_000_000, 9_999_999)}"


def cases(count: int, seed: int = 7, ledger: bool = False) -> Iterator[DecisionCase]:
    """Generated lazily: one debtor with a history per case. `ledger`: the numbers' facts come from the
    ledger (validated at import, as the planner has them) instead of being parsed per decision."""
    rng = random.Random(seed)
    for i in range(count):
        country, state, postal, prefixes = rng.choice(PLACES)
        numbers = tuple(_number(rng, rng.choice(prefixes)) for _ in range(rng.randint(1, 3)))
        if ledger:
            for number in numbers:  # what import stored for each number
                try:
                    facts = number_facts(number)
                except ValueError:
                    continue
                remember(number, facts.region, facts.zones, facts.line_type)
        now = START + dt.timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
        history = tuple(
            HistoryEntry(
                now - dt.timedelta(seconds=rng.randint(60, 12 * 86400)),
                rng.choice(numbers),
                rng.choice(("A", "A", "B")),
                rng.choice(RESULTS),
            )
            for _ in range(rng.randint(0, 14))
        )
        contact = ContactInfo(numbers[0], rng.choice(("mobile", "mobile", "fixed_line")), consent_at=START)
        debtor = DebtorInfo(country, state, postal, numbers=numbers[1:])
        campaign = CampaignLimits(max_attempts_per_day=3) if i % 2 else CampaignLimits()
        yield DecisionCase(now, debtor, contact, "A", history, campaign)


def bench_decisions(count: int, ledger: bool) -> None:
    profiles = load_profiles()
    outcomes: Counter[str] = Counter()
    samples: list[float] = []
    started = time.perf_counter()
    clock = time.perf_counter
    deciding = 0.0
    if not ledger:
        geo_known.clear()  # nothing remembered from a ledger: every number is parsed
    for i, case in enumerate(cases(count, seed=7 if ledger else 8, ledger=ledger)):
        if not ledger and i % 1000 == 0:
            _parsed_facts.cache_clear()  # every debtor's numbers are new: no cache help across debtors
        t0 = clock()
        decision = decide(case, profiles)
        spent = clock() - t0
        deciding += spent
        if i % 50 == 0:
            samples.append(spent)
        outcomes[decision.rule] += 1
        if count >= 100_000 and i and i % 100_000 == 0:
            print(f"  ... {i:,} decisions, {i / deciding:,.0f}/s", flush=True)
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(samples, n=100)
    allowed = outcomes["ALLOW"]
    path = "ledger facts (planner path)" if ledger else "numbers parsed per decision (decide command path)"
    print(f"decisions, {path}: {count:,} debtors")
    print(
        f"  {count / deciding:,.0f} decisions/s in decide() ({deciding:.1f} s); "
        f"{count / elapsed:,.0f}/s with generation ({elapsed:.1f} s)"
    )
    p50, p90, p99 = (q[i] * 1e6 for i in (49, 89, 98))
    print(f"  latency per decision: p50 {p50:.0f} us, p90 {p90:.0f} us, p99 {p99:.0f} us")
    print(
        f"  allowed {allowed / count:.1%}; top rules: "
        + ", ".join(f"{r} {n / count:.1%}" for r, n in outcomes.most_common(8))
    )


def _seed_ledger(url: str, accounts: int, seed: int = 11) -> None:
    import sqlalchemy as sa

    from scheduler import migrations
    from scheduler.db import create_engine
    from scheduler.models import Account, Campaign, ContactNumber, Debtor
    from scheduler.policy.geo import number_facts

    migrations.upgrade(url)
    rng = random.Random(seed)
    engine = create_engine(url)
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        campaign_id = conn.execute(
            sa.insert(Campaign)
            .values(name="bench", state="running", created_at=t0, max_attempts_per_day=2)
            .returning(Campaign.id)
        ).scalar_one()
        for start in range(0, accounts, 2000):
            debtors, accts, numbers = [], [], []
            for i in range(start, min(accounts, start + 2000)):
                country, state, postal, prefixes = rng.choice(PLACES[:9])
                stamps = {"created_at": t0, "updated_at": t0}
                debtors.append(
                    {
                        "id": i + 1,
                        "debtor_ref": f"D{i}",
                        "country": country,
                        "state": state,
                        "postal_code": postal,
                    }
                    | stamps
                )
                accts.append(
                    {"account_ref": f"A{i}", "debtor_id": i + 1, "campaign_id": campaign_id}
                    | {"amount_due": Decimal("99.00"), "currency": "USD"}
                    | stamps
                )
                for p in range(rng.randint(1, 2)):
                    e164 = _number(rng, rng.choice(prefixes))
                    try:
                        facts = number_facts(e164)
                    except ValueError:
                        continue
                    numbers.append(
                        {
                            "debtor_id": i + 1,
                            "e164": e164,
                            "line_type": facts.line_type,
                            "region": facts.region,
                        }
                        | {"area_code_zones": list(facts.zones), "consent_at": t0, "priority": p}
                    )
            conn.execute(sa.insert(Debtor), debtors)
            conn.execute(sa.insert(Account), accts)
            conn.execute(sa.insert(ContactNumber), numbers)
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT setval('debtors_id_seq', (SELECT max(id) FROM debtors))"))
    engine.dispose()


def bench_plan(label: str, url: str, accounts: int) -> None:
    import sqlalchemy as sa

    from scheduler.db import create_engine, session_factory
    from scheduler.models import Campaign
    from scheduler.planner import Planner

    t0 = time.perf_counter()
    _seed_ledger(url, accounts)
    seeded = time.perf_counter() - t0
    engine = create_engine(url)
    now = dt.datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # a Monday, 11:00 in New York
    t1 = time.perf_counter()
    with session_factory(engine).begin() as session:  # timed with its commit
        campaign = session.scalar(sa.select(Campaign).where(Campaign.name == "bench"))
        assert campaign is not None
        day = dt.timedelta(hours=24)
        result = Planner(load_profiles()).plan(session, campaign, now, horizon=day, write=True)
    planned = time.perf_counter() - t1
    if engine.dialect.name == "postgresql":  # what autovacuum does after a bulk change
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    t2 = time.perf_counter()
    with session_factory(engine).begin() as session:
        campaign = session.scalar(sa.select(Campaign).where(Campaign.name == "bench"))
        assert campaign is not None
        Planner(load_profiles()).plan(session, campaign, now, write=True)
    replanned = time.perf_counter() - t2
    rules = Counter(r.rule for r in result.rows)
    print(
        f"plan a day, {label}: {accounts:,} accounts decided, {result.created:,} attempts queued "
        f"in {planned:.1f} s ({accounts / planned:,.0f} accounts/s; ledger seeded in {seeded:.1f} s)"
    )
    analyzed = " (after ANALYZE)" if engine.dialect.name == "postgresql" else ""
    print(f"  second tick, everything already queued{analyzed}: {replanned:.1f} s")
    engine.dispose()
    print("  outcomes: " + ", ".join(f"{r} {n}" for r, n in rules.most_common(6)))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--debtors", type=int, default=1_000_000)
    parser.add_argument("--plan-accounts", type=int, default=20_000)
    parser.add_argument("--parse-fraction", type=int, default=10, help="parsed-number run: debtors / N")
    parser.add_argument(
        "--postgres", default="", help="a PostgreSQL server URL (a scratch database is created)"
    )
    args = parser.parse_args()
    if args.debtors:
        bench_decisions(args.debtors, ledger=True)
        bench_decisions(max(1, args.debtors // args.parse_fraction), ledger=False)
    if args.plan_accounts:
        with tempfile.TemporaryDirectory() as tmp:
            bench_plan("SQLite", f"sqlite:///{tmp}/bench.db", args.plan_accounts)
        if args.postgres:
            import sqlalchemy as sa

            name = f"dialer_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            try:
                bench_plan("PostgreSQL", args.postgres.rsplit("/", 1)[0] + "/" + name, args.plan_accounts)
            finally:
                with admin.connect() as conn:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
