"""A project with a finished job and coders, for the reliability-study tests."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from coderai.core.database import Database
from tests.support.factories import create_project, create_variable
from tests.support.identity import bearer, user_with_token
from tests.support.seed import Answer, SeededJob, seed_documents, seed_job


@dataclass
class Team:
    project_id: str
    job: SeededJob
    variables: dict[str, str]  # name -> id
    tokens: dict[str, str] = field(default_factory=dict)  # coder name -> API token
    user_ids: dict[str, uuid.UUID] = field(default_factory=dict)

    def as_(self, name: str) -> dict[str, str]:
        return bearer(self.tokens[name])

    @property
    def job_id(self) -> str:
        return str(self.job.job_id)


async def make_team(
    client: httpx.AsyncClient,
    db: Database,
    variables: list[dict[str, Any]],
    answer: Callable[[int, str], Answer | list[Answer] | None],
    *,
    documents: int = 20,
    members: dict[str, str] | None = None,
) -> Team:
    """`documents` seeded documents, a finished job whose values come from `answer`, and one
    account per `members` entry (name -> role) added to the project."""
    project = await create_project(client, name="Reliability")
    created = [await create_variable(client, project["id"], **payload) for payload in variables]
    texts = [f"Report {i}: a trial of {10 * (i + 1)} pupils." for i in range(documents)]
    document_ids = await seed_documents(db, uuid.UUID(project["id"]), texts)
    job = await seed_job(db, uuid.UUID(project["id"]), document_ids, answer)
    team = Team(project["id"], job, {v["name"]: v["id"] for v in created})
    for name, role in (members or {"ann": "CODER", "bob": "CODER"}).items():
        team.user_ids[name], team.tokens[name] = await user_with_token(db, f"{name}@example.org")
        added = await client.post(
            f"/projects/{project['id']}/members",
            json={"email": f"{name}@example.org", "role": role},
        )
        assert added.status_code == 201, added.text
    return team


async def open_study(
    client: httpx.AsyncClient, team: Team, coders: list[str], **body: Any
) -> dict[str, Any]:
    payload = {"mode": "BLIND", "coderEmails": [f"{c}@example.org" for c in coders], **body}
    response = await client.post(f"/jobs/{team.job_id}/assignments", json=payload)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]
