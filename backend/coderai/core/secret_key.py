"""The key that signs export links (docs/ARCHITECTURE.md, "Identity and access"): a server
never runs on a key anyone can read in the documentation. With SECRET_KEY unset (or left at
the example value) a development server on loopback generates a random key once and keeps it
under DATA_DIR; anything else refuses to start."""

import ipaddress
import logging
import os
import secrets
import tempfile

from pydantic import SecretStr

from coderai.core.config import Settings

logger = logging.getLogger(__name__)

# Values that were documented as examples: as good as no key at all.
PUBLIC_EXAMPLE_KEYS = frozenset({"", "change-me-in-production"})
KEY_FILE = "secret_key"


class InsecureSecretKey(RuntimeError):
    pass


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_secret_key(settings: Settings, *, host: str | None = None) -> Settings:
    """`settings` with a usable SECRET_KEY, or `InsecureSecretKey` with what to do. `host` is
    the address the server binds, when known (`coderai serve`)."""
    given = settings.secret_key.get_secret_value() if settings.secret_key else ""
    if given not in PUBLIC_EXAMPLE_KEYS:
        return settings
    if settings.app_env != "development" or (host is not None and not is_loopback(host)):
        where = f"on {host}" if host is not None else f"in {settings.app_env} mode"
        raise InsecureSecretKey(
            f"SECRET_KEY is not set (or is the example value): refusing to serve {where}, "
            "where anyone could forge export links. Set SECRET_KEY to a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    return settings.model_copy(update={"secret_key": SecretStr(_development_key(settings))})


def _development_key(settings: Settings) -> str:
    path = settings.data_dir / KEY_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=settings.data_dir, prefix=".secret_key.")
        with os.fdopen(descriptor, "w") as handle:  # mkstemp makes it 0600
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)  # never replaces a key another process wrote first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
        logger.warning("SECRET_KEY is not set: using a development key stored in %s", path)
    return path.read_text().strip()
