"""Optional error tracking: with SENTRY_DSN set, unhandled errors and ERROR log lines go to
Sentry; unset, `sentry_sdk` is never imported and nothing is sent (docs/ARCHITECTURE.md,
"Requests and logs")."""

import logging

from coderai.core.config import Settings

logger = logging.getLogger(__name__)


def init(settings: Settings) -> bool:
    """Start the Sentry client once per process when a DSN is configured; True if it runs."""
    if settings.sentry_dsn is None:
        return False
    import sentry_sdk

    from coderai import __version__

    if sentry_sdk.get_client().is_active():
        return True
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        release=f"coderai@{__version__}",
        # No cookies, auth headers, user IPs or request bodies (documents, passwords) leave.
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
    )
    logger.info("error tracking on (Sentry)")
    return True
