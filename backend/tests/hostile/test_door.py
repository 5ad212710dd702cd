"""At the door: bodies are bounded while they arrive, and a schema document is read in an
isolated child, without YAML aliases."""

import time
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI

from tests.hostile.conftest import MB, watching
from tests.support.factories import create_project

ALIAS_BOMB = b"""\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
variables: *i
"""


async def test_yaml_alias_bomb_is_refused(hostile: httpx.AsyncClient, hostile_app: FastAPI) -> None:
    project = await create_project(hostile)
    async with watching(hostile_app, hostile) as watch:
        started = time.monotonic()
        response = await hostile.post(
            f"/projects/{project['id']}/schema",
            content=ALIAS_BOMB,
            headers={"content-type": "application/yaml"},
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 422, response.text
    assert "aliases" in response.json()["errors"][0]["message"]
    assert elapsed < 10, elapsed
    watch.assert_held()


async def test_large_yaml_is_refused_past_the_limit_and_read_aside_below_it(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    project = await create_project(hostile)
    # Below the 1 MB limit of the suite's app: ~0.9 MB of variables the validator refuses.
    item = "- {name: v, type: TEXT, description: " + "x" * 80 + "}\n"
    below = ("variables:\n" + item * (900_000 // len(item))).encode()
    above = below + b"#" * (1 * MB)
    async with watching(hostile_app, hostile) as watch:
        refused = await hostile.post(
            f"/projects/{project['id']}/schema",
            content=above,
            headers={"content-type": "application/yaml"},
        )
        read = await hostile.post(
            f"/projects/{project['id']}/schema",
            content=below,
            headers={"content-type": "application/yaml"},
        )
    assert refused.status_code == 413, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    assert read.status_code == 422, read.text  # read in a child, refused by the rules
    watch.assert_held()


async def test_a_streamed_upload_is_refused_once_it_passes_the_limit(
    hostile: httpx.AsyncClient, hostile_app: FastAPI
) -> None:
    """A 3 GB body with no Content-Length: refused after the 16 MB request limit, not after
    3 GB are on disk."""
    project = await create_project(hostile)
    sent = 0
    boundary = b"hostileboundary"

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        head = (
            b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
            b'filename="huge.txt"\r\nContent-Type: text/plain\r\n\r\n'
        )
        sent += len(head)
        yield head
        chunk = b"A" * MB
        for _ in range(3 * 1024):
            sent += len(chunk)
            yield chunk

    async with watching(hostile_app, hostile) as watch:
        response = await hostile.post(
            f"/projects/{project['id']}/documents",
            content=body(),
            headers={"content-type": f"multipart/form-data; boundary={boundary.decode()}"},
        )
    assert response.status_code == 413, response.text
    assert response.json()["status"] == 413
    assert sent < 20 * MB, sent / MB
    watch.assert_held()


async def test_a_declared_oversize_body_is_refused_before_reading(
    hostile: httpx.AsyncClient,
) -> None:
    project = await create_project(hostile)
    response = await hostile.post(
        f"/projects/{project['id']}/variables",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(3 * 1024 * MB)},
    )
    assert response.status_code == 413
