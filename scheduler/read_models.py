"""What the CLI reads from the ledger without writing: the plan preview, a policy explanation, an engine on a
current schema. `dialer/` reaches the database only through `scheduler/`, so these live here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from scheduler import migrations
from scheduler.db import create_engine, normalize_url, session_factory
from scheduler.models import Account, Campaign
from scheduler.planner import Planner, PlanResult
from scheduler.policy import Decision, ProfileSet, decide
from scheduler.policy.ledger_cases import abandoned_rate, build_case, campaign_limits, load_bundles


class ReadError(LookupError):
    """The ledger cannot answer: no such campaign or account, or the database cannot be read."""


@dataclass(frozen=True, slots=True)
class NumberDecision:
    e164: str
    number_status: str
    decision: Decision
    flags: tuple[tuple[tuple[str, str], ...], ...] = ()  # replies on record: (("flag", k), ("account", ref))


def display_url(url: str) -> str:
    """The database URL with its password hidden (for messages)."""
    return make_url(url).render_as_string(hide_password=True)


def open_current(url: str) -> Engine:
    """An engine on a ledger that exists and whose schema is current; else ReadError saying what to run."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).is_file():
        raise ReadError(f"no database at {parsed.database}: run `dialer db upgrade` and import a list")
    try:
        current = migrations.is_current(url)
    except sa.exc.SQLAlchemyError as exc:
        raise ReadError(f"cannot open the database: {exc.__class__.__name__}") from exc
    if not current:
        raise ReadError("the database schema is not current: run `dialer db upgrade`")
    return create_engine(url)


def plan_preview(
    url: str, campaign_name: str, profiles: ProfileSet, now: dt.datetime, horizon: dt.timedelta
) -> PlanResult:
    """The planner's decisions for every account of the campaign at `now`; nothing is written."""
    engine = create_engine(url)
    try:
        with session_factory(engine)() as session:
            campaign = session.scalar(sa.select(Campaign).where(Campaign.name == campaign_name))
            if campaign is None:
                raise ReadError(f"no campaign named {campaign_name!r}")
            result = Planner(profiles).plan(session, campaign, now, horizon=horizon)
            session.rollback()
            return result
    except sa.exc.OperationalError as exc:
        raise ReadError(f"cannot read the ledger: {exc.orig}") from exc
    finally:
        engine.dispose()


def explain_account(
    url: str, campaign_name: str, account_ref: str, profiles: ProfileSet, now: dt.datetime
) -> list[NumberDecision]:
    """The policy decision for each contact number of one account, as the claim gate would decide it."""
    engine = create_engine(url)
    try:
        with session_factory(engine)() as session:
            campaign = session.scalar(sa.select(Campaign).where(Campaign.name == campaign_name))
            if campaign is None:
                raise ReadError(f"no campaign named {campaign_name!r}")
            account = session.scalar(
                sa.select(Account).where(
                    Account.account_ref == account_ref, Account.campaign_id == campaign.id
                )
            )
            if account is None:
                raise ReadError(f"no account {account_ref!r} in campaign {campaign_name!r}")
            limits = campaign_limits(campaign, abandoned_rate(session, campaign.id, now))
            bundle = load_bundles(session, [account.debtor_id], now)[account.debtor_id]
            if not bundle.numbers:
                raise ReadError(f"account {account_ref!r} has no contact number")
            explicit = tuple(campaign.profiles) or None
            flags = tuple(
                (("flag", f.kind), ("account", f.debt), *((("language", f.language),) if f.language else ()))
                for f in bundle.flags
            )
            return [
                NumberDecision(
                    n.e164,
                    n.status,
                    decide(build_case(now, bundle, n, account.account_ref, limits, explicit), profiles),
                    flags,
                )
                for n in bundle.numbers
            ]
    except sa.exc.OperationalError as exc:
        raise ReadError(f"cannot read the ledger: {exc.orig}") from exc
    finally:
        engine.dispose()
