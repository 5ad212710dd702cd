"""Process-wide logging: one line per record, level from LOG_LEVEL."""

import logging


def configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=level.upper(),
            format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        )
    root.setLevel(level.upper())
