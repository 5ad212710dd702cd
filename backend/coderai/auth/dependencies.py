"""The one authorisation step: `authorise` runs before every route (installed on every router
by `create_app`). It identifies the caller, applies the route's entry in `policy.POLICY`, and
after a state-changing request succeeds adds its audit row to the request's transaction.
Routes that need the caller take `CallerDep`."""

import hmac
import ipaddress
import uuid
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.auth import service as auth_service
from coderai.auth.policy import POLICY, Access, Requirement
from coderai.auth.service import Caller
from coderai.core.config import Settings
from coderai.core.dependencies import DatabaseDep, SessionDep, SettingsDep
from coderai.core.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from coderai.core.logging import bind
from coderai.members import audit
from coderai.members import service as member_service
from coderai.models import User
from coderai.models.enums import ROLE_RANK, ProjectRole

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Operations whose handler calls an LLM in its own short transactions (docs/ARCHITECTURE.md,
# "Transactions"): the authorisation read is committed before the handler runs.
CALLS_A_MODEL = frozenset({"extractions-preview", "variables-refine"})
# Operations that read uploaded files in isolated children (docs/ARCHITECTURE.md, "Parsing in
# isolation"): no connection is held while a file is read, so the check is committed too.
READS_UPLOADS = frozenset({"documents-upload", "projects-schema-import"})


def requirement_of(request: Request) -> tuple[str, Requirement]:
    route = request.scope.get("route")
    operation = route.operation_id if isinstance(route, APIRoute) else None
    if operation is None or operation not in POLICY:
        # create_app refuses to start with such a route; this guards routes added later.
        raise Forbidden("This operation has no access policy.")
    return operation, POLICY[operation]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Use `Authorization: Bearer <API token>`.")
    return token.strip()


def _check_metrics_access(request: Request, settings: Settings) -> None:
    """`/metrics` is for the scraper: its own bearer token, or a client address in one of the
    configured networks. Accounts and API tokens do not open it."""
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token):
        return
    address = client_address(request)
    try:
        ip = ipaddress.ip_address(address) if address else None
    except ValueError:
        ip = None
    if ip is not None and any(ip in network for network in settings.metrics_allow_networks):
        return
    raise Unauthorized(
        "Send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`, or scrape from a "
        "network in METRICS_ALLOW_NETWORKS.",
        headers={"WWW-Authenticate": "Bearer"},
    )


def _own_origins(request: Request) -> set[str]:
    """The origins this request arrived at (directly, or through the web app's proxy)."""
    scheme = request.headers.get("x-forwarded-proto", request.url.scheme)
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")}
    return {f"{scheme}://{host}" for host in hosts if host}


def origin_allowed(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("origin")
    if origin is None:
        return False
    parts = urlsplit(origin)
    normalised = f"{parts.scheme}://{parts.netloc}"
    return normalised in set(settings.cors_origins) | _own_origins(request)


def _check_origin(
    request: Request, settings: Settings, caller: Caller | None, public: bool
) -> None:
    """A browser request that changes state and rides on the session cookie must come from a
    page of ours (CSRF); tokens in a header cannot be sent by another site. Public routes
    (sign-in, first run) refuse only a foreign Origin, so scripts without one still work."""
    if request.method not in UNSAFE_METHODS:
        return
    cookie_auth = not public and caller is not None and caller.via == "session"
    if ("origin" in request.headers or cookie_auth) and not origin_allowed(request, settings):
        raise Forbidden("Cross-site request refused: the Origin is missing or not allowed.")


def _object_in_path(request: Request) -> tuple[str, uuid.UUID] | None:
    """The first path parameter that names an object of some project, with its id."""
    for parameter in member_service.SCOPING_PARAMETERS:
        if parameter in request.path_params:
            try:
                return parameter, uuid.UUID(str(request.path_params[parameter]))
            except ValueError:
                raise InvalidInput(
                    "Request validation failed.",
                    errors=[{"field": parameter, "message": "Input should be a valid UUID"}],
                ) from None
    return None


async def authorise(
    request: Request,
    response: Response,
    database: DatabaseDep,
    session: SessionDep,
    settings: SettingsDep,
) -> AsyncIterator[Caller | None]:
    operation, needed = requirement_of(request)
    if needed is Access.METRICS:
        _check_metrics_access(request, settings)
        yield None
        return
    project_id: uuid.UUID | None = None
    # The check reads in the request's own transaction (one connection per request).
    caller = await auth_service.identify(
        session,
        settings,
        bearer=_bearer(request),
        cookie=request.cookies.get(settings.session_cookie_name),
    )
    # Ids only: the identity layer never logs a password, token or cookie.
    bind(user_id=caller.user.id if caller else None, job_id=request.path_params.get("jobId"))
    _check_origin(request, settings, caller, public=needed is Access.PUBLIC)
    if needed is not Access.PUBLIC:
        if caller is None:
            raise Unauthorized(
                "Sign in, or send an API token as `Authorization: Bearer <token>`.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if needed is Access.ADMIN and not caller.is_admin:
            raise Forbidden("Only instance admins may do this.")
        if isinstance(needed, ProjectRole):
            project_id = await _check_project_role(request, session, caller, needed)
            bind(project_id=project_id)
    if operation in CALLS_A_MODEL or operation in READS_UPLOADS:
        # These routes call an LLM or read files with no transaction open: end this one first.
        await session.commit()
    if caller is not None and caller.renewed_until is not None:
        set_session_cookie(response, settings, request.cookies[settings.session_cookie_name])
    request.state.caller = caller
    yield caller
    # Public operations (sign-in, first run) write their own rows.
    if caller is not None and request.method in UNSAFE_METHODS and needed is not Access.PUBLIC:
        info = audit.noted(session)
        target = info.get("target") or _path_target(request)
        audit.record(
            session,
            caller.user,
            operation,
            project_id=info.get("project_id", project_id),
            target=target,
            address=client_address(request),
            details=info.get("details"),
        )


async def _check_project_role(
    request: Request, check: AsyncSession, caller: Caller, needed: ProjectRole
) -> uuid.UUID:
    """The project the path names, once the caller's role in it is enough."""
    found = _object_in_path(request)
    if found is None:
        raise Forbidden("This operation names no project.")
    parameter, object_id = found
    project_id, role = await member_service.project_and_role(
        check, parameter, object_id, caller.user.id
    )
    label = parameter.removesuffix("Id")
    if project_id is None:
        raise NotFound(f"{label.capitalize()} '{object_id}' not found.")
    if caller.is_admin:
        return project_id
    if role is None:
        # Not a member: as if it did not exist.
        raise NotFound(f"{label.capitalize()} '{object_id}' not found.")
    if ROLE_RANK[role] < ROLE_RANK[needed]:
        raise Forbidden(f"Your role in this project is {role.value}; this needs {needed.value}.")
    return project_id


def _path_target(request: Request) -> tuple[str, str] | None:
    for name, value in request.path_params.items():
        if name.endswith("Id"):
            return name.removesuffix("Id"), str(value)
    return None


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        settings.session_cookie_name,
        token,
        max_age=int(settings.session_ttl_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.session_cookie_name,
        httponly=True,
        samesite="lax",
        secure=settings.session_cookie_secure,
        path="/",
    )


def get_caller(request: Request) -> Caller:
    caller: Caller | None = getattr(request.state, "caller", None)
    if caller is None:
        raise Unauthorized("Sign in first.", headers={"WWW-Authenticate": "Bearer"})
    return caller


def get_user(request: Request) -> User:
    return get_caller(request).user


CallerDep = Annotated[Caller, Depends(get_caller)]
UserDep = Annotated[User, Depends(get_user)]
AuthoriseDep = Depends(authorise, scope="function")
