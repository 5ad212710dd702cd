"""Accounts, sign-in, browser sessions and API tokens. Secrets never leave this module except
once, to their owner: the database holds argon2id hashes of passwords and SHA-256 hashes of
tokens, and nothing here logs a password, a token or a cookie."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.auth.passwords import hash_password, verify_password
from coderai.auth.tokens import (
    API_TOKEN_PREFIX,
    SESSION_PREFIX,
    SHOWN_PREFIX_CHARS,
    hash_token,
    new_token,
)
from coderai.core.config import Settings
from coderai.core.database import Database
from coderai.core.errors import Conflict, NotFound, TooManyRequests, Unauthorized
from coderai.members.audit import record
from coderai.models import ApiToken, AuditEvent, User, UserSession

LOGIN_FAILED = "auth-login-failed"
# pg_advisory_xact_lock key serialising first-run setup across processes.
FIRST_RUN_LOCK = 0x436F646572414901
# An API token's last use is written at most this often (not on every request).
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Caller:
    """Who is calling, and how they proved it."""

    user: User
    via: str  # "session" | "token"
    session_id: uuid.UUID | None = None
    renewed_until: datetime | None = None  # set when the session's expiry moved

    @property
    def is_admin(self) -> bool:
        return self.user.is_admin


# -- accounts ---------------------------------------------------------------------------------


async def count_users(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(User)) or 0


async def find_user(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str | None,
    display_name: str | None = None,
    is_admin: bool = False,
) -> User:
    """A new account; 409 when the email is taken (emails match case-insensitively)."""
    if await find_user(session, email) is not None:
        raise Conflict(f"An account with the email '{email}' exists already.")
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        password_hash=await hash_password(password) if password else None,
        is_admin=is_admin,
        is_disabled=False,
    )
    session.add(user)
    await session.flush()
    return user


async def create_first_admin(
    session: AsyncSession, *, email: str, password: str, display_name: str | None
) -> User:
    """The instance's first account, an admin; 409 once any account exists. Concurrent first
    runs take turns on an advisory lock, so only one of them creates it."""
    await session.execute(select(func.pg_advisory_xact_lock(FIRST_RUN_LOCK)))
    if await count_users(session) > 0:
        raise Conflict("This instance is set up already: sign in instead.")
    return await create_user(
        session, email=email, password=password, display_name=display_name, is_admin=True
    )


async def list_users(session: AsyncSession) -> Sequence[User]:
    return (await session.scalars(select(User).order_by(User.created_at))).all()


# -- sign-in ----------------------------------------------------------------------------------


async def check_login_throttle(
    session: AsyncSession, settings: Settings, *, email: str, address: str | None
) -> None:
    """429 with Retry-After once an account or a client address has failed too often within
    the window; failures are the `auth-login-failed` audit rows, so every process sees them."""
    since = _now() - timedelta(seconds=settings.login_failure_window_seconds)
    base = select(func.count(), func.min(AuditEvent.created_at)).where(
        AuditEvent.action == LOGIN_FAILED, AuditEvent.created_at > since
    )
    checks = [
        (base.where(AuditEvent.details["email"].astext == email.lower()),
         settings.login_max_failures_per_account),
    ]  # fmt: skip
    if address:
        checks.append(
            (base.where(AuditEvent.client_address == address),
             settings.login_max_failures_per_address)
        )  # fmt: skip
    for statement, limit in checks:
        count, oldest = (await session.execute(statement)).one()
        if count >= limit:
            wait = settings.login_failure_window_seconds - (_now() - oldest).total_seconds()
            raise TooManyRequests(
                "Too many failed sign-ins: wait before trying again.",
                headers={"Retry-After": str(max(1, int(wait) + 1))},
            )


async def authenticate(session: AsyncSession, *, email: str, password: str) -> User | None:
    """The account these credentials open, or None (the caller never learns which was wrong)."""
    user = await find_user(session, email)
    valid = await verify_password(password, user.password_hash if user else None)
    if user is None or not valid or user.is_disabled:
        return None
    user.last_login_at = _now()
    return user


async def sign_in(
    database: Database, settings: Settings, *, email: str, password: str, address: str | None
) -> tuple[User, str]:
    """Check the credentials and start a session; returns the user and the session token.
    A failure is recorded (and counts towards the throttle) even though the answer is 401,
    so it is written in its own transaction."""
    async with database.transaction() as session:
        await check_login_throttle(session, settings, email=email, address=address)
        user = await authenticate(session, email=email, password=password)
        if user is None:
            _record_failed_login(session, email=email, address=address)
        else:
            token = await start_session(session, user, settings)
            record(session, user, "auth-login", target=("user", user.id), address=address)
    if user is None:
        raise Unauthorized("The email or the password is not correct.")
    return user, token


def _record_failed_login(session: AsyncSession, *, email: str, address: str | None) -> None:
    session.add(
        AuditEvent(action=LOGIN_FAILED, client_address=address, details={"email": email.lower()})
    )


# -- sessions ---------------------------------------------------------------------------------


async def start_session(session: AsyncSession, user: User, settings: Settings) -> str:
    """A new browser session; returns its token (for the cookie), stores only its hash."""
    token, digest = new_token(SESSION_PREFIX)
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=digest,
            expires_at=_now() + timedelta(hours=settings.session_ttl_hours),
        )
    )
    await session.flush()
    return token


async def end_session(session: AsyncSession, session_id: uuid.UUID) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=_now())
    )


async def _session_caller(session: AsyncSession, token: str, settings: Settings) -> Caller:
    found = (
        await session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == hash_token(token))
        )
    ).first()
    now = _now()
    if found is None or found[0].revoked_at is not None or found[0].expires_at <= now:
        raise Unauthorized("Your session has ended: sign in again.")
    row, user = found
    if user.is_disabled:
        raise Unauthorized("This account is disabled.")
    ttl = timedelta(hours=settings.session_ttl_hours)
    renewed = None
    # Sliding renewal, written at most once per half lifetime.
    if row.expires_at - now < ttl / 2:
        row.expires_at = renewed = now + ttl
    return Caller(user, "session", row.id, renewed)


async def _token_caller(session: AsyncSession, token: str) -> Caller:
    found = (
        await session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == hash_token(token))
        )
    ).first()
    if found is None or found[0].revoked_at is not None:
        raise Unauthorized("This API token is not valid (revoked or never issued).")
    row, user = found
    if user.is_disabled:
        raise Unauthorized("This account is disabled.")
    now = _now()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        await _touch_token(session, row.id, now)
    return Caller(user, "token")


async def _touch_token(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> None:
    """Record a token's use. Requests that arrive together with one token skip the row
    another one is already updating (SKIP LOCKED) instead of queueing behind its transaction:
    waiting there made a script's concurrent requests take turns."""
    locked = (
        select(ApiToken.id)
        .where(ApiToken.id == token_id)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    await session.execute(
        update(ApiToken)
        .where(ApiToken.id == locked)
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


async def identify(
    session: AsyncSession, settings: Settings, *, bearer: str | None, cookie: str | None
) -> Caller | None:
    """The caller a request's credentials name: an API token (`Authorization: Bearer`) wins
    over the session cookie; None when there are neither; 401 when one is invalid."""
    if bearer is not None:
        return await _token_caller(session, bearer)
    if cookie is not None:
        return await _session_caller(session, cookie, settings)
    return None


# -- API tokens -------------------------------------------------------------------------------


async def create_api_token(session: AsyncSession, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for `user`; the token itself is returned once and never stored."""
    token, digest = new_token(API_TOKEN_PREFIX)
    row = ApiToken(user_id=user.id, name=name, prefix=token[:SHOWN_PREFIX_CHARS], token_hash=digest)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    return row, token


async def list_api_tokens(session: AsyncSession, user: User) -> Sequence[ApiToken]:
    return (
        await session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at)
        )
    ).all()


async def revoke_api_token(session: AsyncSession, user: User, token_id: uuid.UUID) -> ApiToken:
    """Revoke one of the caller's tokens (404 for anyone else's)."""
    row = await session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        raise NotFound(f"API token '{token_id}' not found.")
    row.revoked_at = _now()
    await session.flush()
    return row
