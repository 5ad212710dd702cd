"""The checked-in OpenAPI document matches the code, and the user's contract paths exist."""

import json
from pathlib import Path

import yaml

from coderai.main import create_app

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT.parent / "shared" / "contract" / "openapi.yaml"


def test_specs_openapi_json_is_current() -> None:
    generated = create_app().openapi()
    checked_in = json.loads((ROOT / "specs" / "openapi.json").read_text())
    assert checked_in == generated, "specs/openapi.json is stale: run `coderai openapi`"


def test_operation_ids_are_stable_names() -> None:
    for path, item in create_app().openapi()["paths"].items():
        for method, operation in item.items():
            assert "-" in operation["operationId"], (method, path, operation["operationId"])


def test_contract_paths_we_serve_keep_their_methods() -> None:
    if not CONTRACT.exists():  # the contract lives beside the checkout, not in it
        return
    ours = create_app().openapi()["paths"]
    contract = yaml.safe_load(CONTRACT.read_text())["paths"]
    served = {p for p in contract if f"/api/v1{p}" in ours}
    assert {
        "/projects",
        "/projects/{projectId}",
        "/projects/{projectId}/variables",
        "/variables/{variableId}",
    } <= served
    for path in served:
        assert set(contract[path]) <= set(ours[f"/api/v1{path}"]), path
