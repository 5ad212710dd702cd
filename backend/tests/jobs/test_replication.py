"""Replication: a finished job's documents re-run on a second model, and the agreement between
the two runs per variable, on planted cases where the second model reads differently."""

from typing import Any

import httpx
import pytest

from tests.jobs.test_jobs import setup_trials, wait_for
from tests.support.fake_llm import FakeLLM

SECOND = "model-b"


async def finished_job(client: httpx.AsyncClient, project_id: str) -> dict[str, Any]:
    created = await client.post(
        f"/projects/{project_id}/jobs", json={"jobType": "SAMPLE", "documentCount": 6}
    )
    assert created.status_code == 201, created.text
    return await wait_for(client, created.json()["id"], {"COMPLETE", "FAILED"})


async def test_replication_on_a_second_model_reports_agreement_per_variable(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    # The second model misreads two planted cases (facts for a model come before the general
    # ones, which `setup_trials` plants): report 1, a cohort study, as an RCT; and report 3's
    # 103 participants as 130. Everything else it reads as the first model does.
    fake_llm.add_fact("design", r"It enrolled 101 participants", value="RCT", model=SECOND)
    fake_llm.add_fact("participants", r"enrolled 103 participants", value=130, model=SECOND)
    trials = await setup_trials(runner_client, fake_llm, 6)
    source = await finished_job(runner_client, trials["project"]["id"])
    assert source["status"] == "COMPLETE"

    answer = await runner_client.post(
        f"/jobs/{source['id']}/replicate", json={"llm": {"model": SECOND}}
    )
    assert answer.status_code == 201, answer.text
    replica = answer.json()
    assert replica["replicatesJobId"] == source["id"]
    assert replica["llmModel"] == SECOND
    assert sorted(replica["documentIds"]) == sorted(source["documentIds"])
    assert replica["promptVersions"] == source["promptVersions"]  # the same prompts
    replica = await wait_for(runner_client, replica["id"], {"COMPLETE", "FAILED"})
    assert replica["status"] == "COMPLETE"
    requests_by_model: dict[str | None, int] = {}
    for record in fake_llm.stats.records:
        requests_by_model[record.model] = requests_by_model.get(record.model, 0) + 1
    assert requests_by_model == {"fake-model": 6, SECOND: 6}

    report = (await runner_client.get(f"/jobs/{replica['id']}/replication")).json()

    assert report["sourceJobId"] == source["id"] and report["jobId"] == replica["id"]
    assert (report["sourceLlm"]["model"], report["llm"]["model"]) == ("fake-model", SECOND)
    assert report["documents"] == 6
    by_name = {v["name"]: v for v in report["variables"]}

    # design (nominal), reports 0..5: first run RCT, Cohort, RCT, Cohort, RCT, Cohort; second
    # run RCT, RCT, RCT, Cohort, RCT, Cohort. Coincidences over n = 12 values: o(R,R) = 6,
    # o(C,C) = 4, o(R,C) = o(C,R) = 1, so n_R = 7, n_C = 5.
    #   D_o = 2/12;  D_e = 2 * 7 * 5 / (12 * 11) = 70/132;  alpha = 1 - D_o/D_e = 24/35 = .6857
    #   percent agreement = 5 agreeing units of 6 = .8333
    #   Cohen's kappa: p_o = 5/6; p_e = (3/6)(4/6) + (3/6)(2/6) = 1/2; kappa = (1/3)/(1/2) = 2/3
    design = by_name["design"]
    assert (design["units"], design["differingUnits"]) == (6, 1)
    assert design["agreement"]["level"] == "NOMINAL"
    assert design["agreement"]["alpha"] == pytest.approx(24 / 35)
    assert design["agreement"]["percentAgreement"] == pytest.approx(5 / 6)
    assert design["agreement"]["cohensKappa"] == pytest.approx(2 / 3)
    assert design["agreement"]["pairableUnits"] == 6
    low, high = design["agreement"]["intervalLow"], design["agreement"]["intervalHigh"]
    assert low is not None and high is not None and low <= 24 / 35 <= high
    [difference] = design["differences"]
    assert (difference["sourceValue"], difference["value"]) == ("Cohort", "RCT")
    document = (await runner_client.get(f"/documents/{difference['documentId']}")).json()
    assert "It enrolled 101 participants" in document["content"]

    # participants (interval), values 100..105 against 100, 101, 102, 130, 104, 105. With two
    # coders and no missing value, alpha = 1 - (n - 1) * sum_u 2 d_u^2 / sum_{i != j} (v_i - v_j)^2:
    #   the only difference is 27 (103 vs 130): sum_u 2 d_u^2 = 2 * 729 = 1458;
    #   mean of the 12 values = 1257/12 = 104.75, sum of squares about it = 47.875 + 682.375
    #   = 730.25, so sum_{i != j} (v_i - v_j)^2 = 2 * 12 * 730.25 = 17526;
    #   alpha = 1 - 11 * 1458 / 17526 = .0849 (one large miss among close values).
    #   percent agreement = 5/6; kappa does not apply off the nominal level.
    participants = by_name["participants"]
    assert (participants["units"], participants["differingUnits"]) == (6, 1)
    assert participants["agreement"]["level"] == "INTERVAL"
    assert participants["agreement"]["alpha"] == pytest.approx(1 - 11 * 1458 / 17526)
    assert participants["agreement"]["percentAgreement"] == pytest.approx(5 / 6)
    assert participants["agreement"]["cohensKappa"] is None
    [difference] = participants["differences"]
    assert (difference["sourceValue"], difference["value"]) == (103, 130)


async def test_only_a_finished_job_can_be_replicated(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    trials = await setup_trials(runner_client, fake_llm, 2)
    fake_llm.configure(latency_ms=1500)
    created = await runner_client.post(
        f"/projects/{trials['project']['id']}/jobs", json={"jobType": "SAMPLE"}
    )
    job_id = created.json()["id"]

    answer = await runner_client.post(f"/jobs/{job_id}/replicate", json={"llm": {"model": SECOND}})

    assert answer.status_code == 409, answer.text
    assert "finished" in answer.json()["detail"]
    assert (await runner_client.delete(f"/jobs/{job_id}")).status_code == 204


async def test_a_bad_second_model_is_a_422_and_a_job_that_is_no_replica_has_no_report(
    runner_client: httpx.AsyncClient, fake_llm: FakeLLM
) -> None:
    trials = await setup_trials(runner_client, fake_llm, 2)
    source = await finished_job(runner_client, trials["project"]["id"])

    bad = await runner_client.post(
        f"/jobs/{source['id']}/replicate", json={"llm": {"baseUrl": "http://198.51.100.7/v1"}}
    )
    missing = await runner_client.post(f"/jobs/{source['id']}/replicate", json={})
    no_report = await runner_client.get(f"/jobs/{source['id']}/replication")

    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "llm.baseUrl"
    assert missing.status_code == 422
    assert no_report.status_code == 404
