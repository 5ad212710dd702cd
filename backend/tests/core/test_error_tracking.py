"""Sentry is optional: with SENTRY_DSN unset nothing of it is imported or started; set, the
client runs without sending request bodies or personal data. Each case in its own process
(the SDK patches libraries process-wide)."""

import json
import subprocess
import sys

from tests.support.processes import BACKEND_DIR, child_env

PROBE = """
import json, sys
from coderai.core.config import Settings
from coderai.main import create_app
create_app(Settings(_env_file=None, database_url="postgresql://nobody@127.0.0.1:1/none"))
report = {"imported": "sentry_sdk" in sys.modules}
if report["imported"]:
    import sentry_sdk
    client = sentry_sdk.get_client()
    report["active"] = client.is_active()
    report["pii"] = client.options["send_default_pii"]
    report["bodies"] = client.options["max_request_body_size"]
print(json.dumps(report))
"""


def _probe(**env: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BACKEND_DIR,
        env=child_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    report: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def test_without_a_dsn_sentry_is_not_even_imported() -> None:
    assert _probe() == {"imported": False}


def test_with_a_dsn_sentry_runs_without_personal_data_or_bodies() -> None:
    report = _probe(SENTRY_DSN="https://public@127.0.0.1:9/1")
    assert report == {"imported": True, "active": True, "pii": False, "bodies": "never"}
