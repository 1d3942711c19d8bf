"""The console's own tables and their store: operator accounts, web sessions, API tokens, webhooks.

The tables live on the ledger's declarative Base (one schema, one Alembic history); migration 0002 creates
them. Secrets never reach this module in the clear except webhook signing secrets (the receiver must be
able to verify, so the sender has to keep them): passwords arrive as argon2 hashes, session and API tokens
as SHA-256 digests of the random value the browser or the machine holds.

Exceptions: `OperatorError` -> `UserExists` (also a Conflict) and `UnknownUser` (also a NotFound).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.ledger import Conflict, NotFound
from scheduler.models import Base, utcnow
from scheduler.transactions import Transactions


class OperatorUser(Base):
    __tablename__ = "operator_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))  # admin | supervisor | operator | viewer
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


class WebSession(Base):
    """A signed-in browser. The cookie holds the random token; the row holds its digest."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("operator_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]


class ApiToken(Base):
    """A machine credential acting with one role on behalf of its owner; shown once at creation, stored
    as a digest. It lapses at `expires_at`, and the console refuses it while its owner is disabled or no
    longer holds its role (migration 0004)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    prefix: Mapped[str] = mapped_column(sa.String(16))  # first characters, to tell tokens apart in lists
    token_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("operator_users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[dt.datetime | None]


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    events: Mapped[list[str]] = mapped_column(default=list)  # promise_to_pay, opt_out
    secret: Mapped[str] = mapped_column(sa.String(128))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """The outbox: one row per (subscription, event); the deliverer retries until delivered or failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "event_key", name="uq_webhook_deliveries_subscription_event"),
        sa.Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    event_key: Mapped[str] = mapped_column(sa.String(64))  # "promise:12", "opt_out:34"
    event: Mapped[str] = mapped_column(sa.String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(
        sa.String(16), default="pending"
    )  # pending | delivered | failed | cancelled
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None]


class OperatorError(Exception):
    pass


class UserExists(OperatorError, Conflict):
    pass


class UnknownUser(OperatorError, NotFound):
    pass


@dataclass(frozen=True)
class UserInfo:
    id: int
    name: str
    role: str
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


@dataclass(frozen=True)
class SessionInfo:
    id: int
    user: UserInfo
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    role: str
    created_by: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None = None
    owner: UserInfo | None = None  # the user the token acts for, as that user is now


def _user(u: OperatorUser) -> UserInfo:
    return UserInfo(u.id, u.name, u.role, u.active, u.created_at, u.last_login_at)


def _token(t: ApiToken, owner: OperatorUser | None = None) -> TokenInfo:
    return TokenInfo(
        t.id,
        t.name,
        t.prefix,
        t.role,
        t.created_by,
        t.created_at,
        t.last_used_at,
        t.revoked_at,
        t.expires_at,
        _user(owner) if owner is not None else None,
    )


class OperatorStore(Transactions):
    """Users, sessions and tokens on the ledger's database (the same engine as SqlLedger)."""

    # ---- users -----------------------------------------------------------------------------------------
    def create_user(self, name: str, role: str, password_hash: str) -> UserInfo:
        with self._session(write=True) as s:
            if s.scalar(sa.select(OperatorUser.id).where(OperatorUser.name == name)) is not None:
                raise UserExists(f"user {name!r} already exists")
            row = OperatorUser(name=name, role=role, password_hash=password_hash, created_at=utcnow())
            s.add(row)
            s.flush()
            return _user(row)

    def credentials(self, name: str) -> tuple[UserInfo, str] | None:
        """The user and its password hash, for sign-in only."""
        with self._session() as s:
            row = s.scalar(sa.select(OperatorUser).where(OperatorUser.name == name))
            return None if row is None else (_user(row), row.password_hash)

    def get_user(self, name: str) -> UserInfo:
        with self._session() as s:
            row = s.scalar(sa.select(OperatorUser).where(OperatorUser.name == name))
            if row is None:
                raise UnknownUser(f"no user {name!r}")
            return _user(row)

    def list_users(self) -> list[UserInfo]:
        with self._session() as s:
            return [_user(u) for u in s.scalars(sa.select(OperatorUser).order_by(OperatorUser.name))]

    def update_user(
        self,
        name: str,
        *,
        role: str | None = None,
        active: bool | None = None,
        password_hash: str | None = None,
        last_login_at: dt.datetime | None = None,
    ) -> UserInfo:
        with self._session(write=True) as s:
            row = s.scalar(sa.select(OperatorUser).where(OperatorUser.name == name))
            if row is None:
                raise UnknownUser(f"no user {name!r}")
            if (role is not None and role != row.role) or (active is False and row.active):
                s.execute(  # the user's tokens act for the user as it was: they end with that
                    sa.update(ApiToken)
                    .where(ApiToken.owner_id == row.id, ApiToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                )
            if role is not None:
                row.role = role
            if active is not None:
                row.active = active
            if password_hash is not None:
                row.password_hash = password_hash
            if last_login_at is not None:
                row.last_login_at = last_login_at
            if active is False or password_hash is not None or role is not None:
                s.execute(  # a changed or disabled account signs out everywhere
                    sa.update(WebSession)
                    .where(WebSession.user_id == row.id, WebSession.revoked_at.is_(None))
                    .values(revoked_at=utcnow())
                )
            return _user(row)

    def count_admins(self) -> int:
        with self._session() as s:
            query = sa.select(sa.func.count()).where(OperatorUser.role == "admin", OperatorUser.active)
            return int(s.scalar(query) or 0)

    # ---- web sessions ----------------------------------------------------------------------------------
    def create_session(
        self, user_id: int, token_sha256: str, csrf_token: str, expires_at: dt.datetime
    ) -> int:
        with self._session(write=True) as s:
            row = WebSession(
                user_id=user_id,
                token_sha256=token_sha256,
                csrf_token=csrf_token,
                created_at=utcnow(),
                expires_at=expires_at,
            )
            s.add(row)
            s.flush()
            return row.id

    def find_session(self, token_sha256: str, now: dt.datetime) -> SessionInfo | None:
        with self._session() as s:
            found = s.execute(
                sa.select(WebSession, OperatorUser)
                .join(OperatorUser, OperatorUser.id == WebSession.user_id)
                .where(
                    WebSession.token_sha256 == token_sha256,
                    WebSession.revoked_at.is_(None),
                    WebSession.expires_at > now,
                    OperatorUser.active,
                )
            ).first()
            if found is None:
                return None
            session, user = found
            return SessionInfo(session.id, _user(user), session.csrf_token, session.expires_at)

    def revoke_session(self, session_id: int) -> None:
        with self._session(write=True) as s:
            s.execute(sa.update(WebSession).where(WebSession.id == session_id).values(revoked_at=utcnow()))

    # ---- API tokens ------------------------------------------------------------------------------------
    def create_token(
        self,
        name: str,
        role: str,
        prefix: str,
        token_sha256: str,
        created_by: str,
        *,
        expires_at: dt.datetime | None = None,
        valid_for: dt.timedelta = dt.timedelta(days=90),
    ) -> TokenInfo:
        """A token owned by the user `created_by` (UnknownUser otherwise: every token has an owner)."""
        with self._session(write=True) as s:
            owner = s.scalar(sa.select(OperatorUser).where(OperatorUser.name == created_by))
            if owner is None:
                raise UnknownUser(f"no user {created_by!r} to own the token")
            now = utcnow()
            row = ApiToken(
                name=name,
                role=role,
                prefix=prefix,
                token_sha256=token_sha256,
                created_by=created_by,
                created_at=now,
                owner_id=owner.id,
                expires_at=expires_at or now + valid_for,
            )
            s.add(row)
            s.flush()
            return _token(row, owner)

    def find_token(self, token_sha256: str, now: dt.datetime) -> TokenInfo | None:
        """The token with its owner as the owner is now; None when revoked, expired or ownerless."""
        with self._session() as s:
            found = s.execute(
                sa.select(ApiToken, OperatorUser)
                .join(OperatorUser, OperatorUser.id == ApiToken.owner_id)
                .where(
                    ApiToken.token_sha256 == token_sha256,
                    ApiToken.revoked_at.is_(None),
                    ApiToken.expires_at > now,
                )
            ).first()
            if found is None:
                return None
            row, owner = found
            used = row.last_used_at
        if used is None or now - _aware(used) > dt.timedelta(minutes=1):
            with self._session(write=True) as s:  # at most one write a minute per token, on its own
                s.execute(sa.update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
            used = now
        return dataclasses.replace(_token(row, owner), last_used_at=used)

    def rotate_token(self, token_id: int, prefix: str, token_sha256: str, by: str) -> TokenInfo:
        """A new secret for the same name, role, owner and lifetime; the old one stops working now."""
        with self._session(write=True) as s:
            old = s.get(ApiToken, token_id)
            if old is None or old.revoked_at is not None:
                raise NotFound(f"no live API token {token_id}")
            now = utcnow()
            lifetime = _aware(old.expires_at) - _aware(old.created_at) if old.expires_at else None
            old.revoked_at = now
            row = ApiToken(
                name=old.name,
                role=old.role,
                prefix=prefix,
                token_sha256=token_sha256,
                created_by=by,
                created_at=now,
                owner_id=old.owner_id,
                expires_at=now + (lifetime or dt.timedelta(days=90)),
            )
            s.add(row)
            s.flush()
            return _token(row, s.get(OperatorUser, old.owner_id) if old.owner_id else None)

    def list_tokens(self) -> list[TokenInfo]:
        with self._session() as s:
            return [_token(t) for t in s.scalars(sa.select(ApiToken).order_by(ApiToken.id))]

    def revoke_token(self, token_id: int) -> TokenInfo:
        with self._session(write=True) as s:
            row = s.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"no API token {token_id}")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            return _token(row)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for UTC columns."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
