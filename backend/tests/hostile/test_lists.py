"""Lists are light: a page of documents reads neither their text nor large metadata, and a
document's text is answered in parts when asked."""

import httpx

from tests.support.factories import create_project


async def test_list_leaves_out_text_and_large_metadata(hostile: httpx.AsyncClient) -> None:
    project = await create_project(hostile)
    notes = "n" * 20_000
    rows = "text,notes\n" + "".join(f"row {i} about a trial,{notes}\n" for i in range(40))
    table = await hostile.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("wide.csv", rows.encode(), "text/csv")},
        data={"textColumn": "text"},
    )
    assert table.status_code == 201, table.text
    long_text = ("A sentence of a long report. " * 40_000).encode()  # ~1.2 M characters
    single = await hostile.post(
        f"/projects/{project['id']}/documents",
        files={"file": ("long.txt", long_text, "text/plain")},
    )
    assert single.status_code == 201, single.text

    listed = await hostile.get(f"/projects/{project['id']}/documents", params={"limit": 500})
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 41
    # 40 rows of 20 KB of metadata and 1.2 MB of text stay out: a few hundred bytes a row.
    assert len(listed.content) < 41 * 1000, len(listed.content)
    row = next(d for d in body["items"] if d["rowIndex"] == 1)
    assert row["metadata"] == {"filename": "wide.csv", "truncated": True}
    # The document itself still has every column.
    full = (await hostile.get(f"/documents/{row['id']}")).json()
    assert full["metadata"]["columns"]["notes"] == notes

    document = single.json()
    part = await hostile.get(
        f"/documents/{document['id']}", params={"contentStart": 29, "contentLength": 29}
    )
    assert part.status_code == 200
    assert part.json()["content"] == "A sentence of a long report. "
    assert part.json()["contentStart"] == 29
    assert part.json()["contentTotal"] == len(long_text)
    whole = (await hostile.get(f"/documents/{document['id']}")).json()
    assert len(whole["content"]) == len(long_text) == whole["contentTotal"]
    too_much = await hostile.get(
        f"/documents/{document['id']}", params={"contentLength": 5_000_001}
    )
    assert too_much.status_code == 422
