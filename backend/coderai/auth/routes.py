"""First run, sign-in and sign-out, the caller's account and API tokens, and (for admins)
the instance's accounts."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status

from coderai.auth import service as auth_service
from coderai.auth.dependencies import (
    CallerDep,
    UserDep,
    clear_session_cookie,
    client_address,
    set_session_cookie,
)
from coderai.auth.schemas import (
    LoginRequest,
    SetupRequest,
    SetupStatus,
    TokenCreate,
    TokenCreated,
    TokenRead,
    UserCreate,
    UserRead,
)
from coderai.core.dependencies import DatabaseDep, SessionDep, SettingsDep
from coderai.members import audit

router = APIRouter(tags=["auth"])


@router.get("/auth/setup", operation_id="auth-setup-status", response_model=SetupStatus)
async def setup_status(session: SessionDep) -> SetupStatus:
    """Whether this instance still needs its first account."""
    return SetupStatus(needs_setup=await auth_service.count_users(session) == 0)


@router.post(
    "/auth/setup",
    operation_id="auth-setup",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
)
async def setup(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    body: SetupRequest,
) -> UserRead:
    """Create the first account (an admin) and sign it in; 409 once any account exists."""
    user = await auth_service.create_first_admin(
        session,
        email=body.email,
        password=body.password.get_secret_value(),
        display_name=body.display_name,
    )
    token = await auth_service.start_session(session, user, settings)
    audit.record(
        session, user, "auth-setup", target=("user", user.id), address=client_address(request)
    )
    set_session_cookie(response, settings, token)
    return UserRead.model_validate(user)


@router.post("/auth/login", operation_id="auth-login", response_model=UserRead)
async def login(
    request: Request,
    response: Response,
    database: DatabaseDep,
    settings: SettingsDep,
    body: LoginRequest,
) -> UserRead:
    """Sign in: sets the HttpOnly session cookie. Wrong email and wrong password get the same
    answer; repeated failures are throttled (429 with Retry-After)."""
    user, token = await auth_service.sign_in(
        database,
        settings,
        email=body.email,
        password=body.password.get_secret_value(),
        address=client_address(request),
    )
    set_session_cookie(response, settings, token)
    return UserRead.model_validate(user)


@router.post("/auth/logout", operation_id="auth-logout", status_code=status.HTTP_204_NO_CONTENT)
async def logout(session: SessionDep, settings: SettingsDep, caller: CallerDep) -> Response:
    """End this browser session (an API token is revoked at /auth/tokens instead)."""
    if caller.session_id is not None:
        await auth_service.end_session(session, caller.session_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, settings)
    return response


@router.get("/auth/me", operation_id="auth-me", response_model=UserRead)
async def me(user: UserDep) -> UserRead:
    return UserRead.model_validate(user)


@router.get("/auth/tokens", operation_id="auth-tokens-list", response_model=list[TokenRead])
async def list_tokens(session: SessionDep, user: UserDep) -> list[TokenRead]:
    return [TokenRead.model_validate(t) for t in await auth_service.list_api_tokens(session, user)]


@router.post(
    "/auth/tokens",
    operation_id="auth-tokens-create",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreated,
)
async def create_token(session: SessionDep, user: UserDep, body: TokenCreate) -> TokenCreated:
    """A new API token for scripts (`Authorization: Bearer <token>`); shown this once."""
    row, token = await auth_service.create_api_token(session, user, body.name)
    audit.note(session, target=("token", row.id), name=row.name, prefix=row.prefix)
    return TokenCreated(**TokenRead.model_validate(row).model_dump(), token=token)


@router.delete(
    "/auth/tokens/{tokenId}",
    operation_id="auth-tokens-revoke",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def revoke_token(
    session: SessionDep,
    user: UserDep,
    token_id: Annotated[uuid.UUID, Path(alias="tokenId")],
) -> Response:
    row = await auth_service.revoke_api_token(session, user, token_id)
    audit.note(session, name=row.name, prefix=row.prefix)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users", operation_id="users-list", response_model=list[UserRead], tags=["admin"])
async def list_users(session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in await auth_service.list_users(session)]


@router.post(
    "/users",
    operation_id="users-create",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    tags=["admin"],
)
async def create_user(session: SessionDep, body: UserCreate) -> UserRead:
    """Create an account (admins); its owner signs in with the password given here."""
    user = await auth_service.create_user(
        session,
        email=body.email,
        password=body.password.get_secret_value(),
        display_name=body.display_name,
        is_admin=body.is_admin,
    )
    audit.note(session, target=("user", user.id), email=user.email, isAdmin=user.is_admin)
    return UserRead.model_validate(user)
