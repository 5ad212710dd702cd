"""What each hostile upload costs the process that reads it: wall time and peak RSS, per attack.

Each probe runs in a fresh child process (capped at 2 GB of address space, so a probe never
endangers a shared machine: "MemoryError" then means "more than 2 GB") against the code
of `--code` (a `backend/` directory: this tree, or an older checkout for the "before"
figures). With `--isolated` the probe goes through `core.isolation.IsolatedPool` with the
default settings (what the API does now), and the RSS is the larger of the probe and its
reader child. Prints one line per attack and the ratio before/after when both are given.

    python backend/benchmarks/hostile_probes.py --code /tmp/before/backend
    python backend/benchmarks/hostile_probes.py --isolated
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
GUARD_BYTES = 2 * 1024**3

BUILD = textwrap.dedent(
    r"""
    import io, zipfile, pymupdf, pyarrow as pa, pyarrow.parquet as pq, docx
    def pdf_bomb(mb):
        d = pymupdf.open(); p = d.new_page(); p.insert_text((72, 72), "cover", fontname="helv")
        run = b"(" + b"A" * 1000 + b") Tj "
        stream = b"BT /helv 1 Tf 10 10 Td " + run * (mb * 1000) + b"ET"
        d.update_stream(p.get_contents()[0], stream, compress=True)
        return d.tobytes(deflate=True)
    def docx_bomb(mb):
        base = docx.Document(); base.add_paragraph("x"); b = io.BytesIO(); base.save(b)
        src = zipfile.ZipFile(io.BytesIO(b.getvalue())); out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            for i in src.infolist():
                if i.filename != "word/document.xml": z.writestr(i, src.read(i))
            with z.open("word/document.xml", "w", force_zip64=True) as x:
                x.write(b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
                para = b"<w:p><w:r><w:t>" + b"A" * 1000 + b"</w:t></w:r></w:p>"
                for _ in range(mb): x.write(para * 1000)
                x.write(b"</w:body></w:document>")
        return out.getvalue()
    def wide_parquet(n):
        b = io.BytesIO()
        pq.write_table(pa.table({f"c{i}": ["x"] for i in range(n)}), b)
        return b.getvalue()
    """
)

ATTACKS = {
    "yaml alias bomb (7 levels)": ("schema", "alias"),
    "PDF content stream inflating to 40 MB": ("doc", "pdf_bomb(40)", "bomb.pdf"),
    "DOCX whose document.xml is 200 MB": ("doc", "docx_bomb(200)", "bomb.docx"),
    "Parquet of 20,000 columns": ("table", "wide_parquet(20000)", "wide.parquet", "c0"),
    "HTML of 100 KB of '<!--'": ("doc", "b'<!--' * 25000", "slow.html"),
    "JSONL nested 200,000 deep": (
        "table",
        "b'{\"text\": \"x\", \"m\": ' + b'[' * 200000 + b']' * 200000 + b'}\\n'",
        "deep.jsonl",
        "text",
    ),
}

ALIAS = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]"
            for p, c in zip("abcdef", "bcdefg", strict=True)
        ),
        "variables: *g",
    ]
)


def probe_source(attack: tuple[str, ...], isolated: bool) -> str:
    kind = attack[0]
    if kind == "schema":
        call = (
            "from coderai.projects.schema_transfer import parse_schema_document\n"
            f"parse_schema_document({ALIAS.encode()!r}, 'application/yaml')"
        )
        if isolated:
            call = (
                "import asyncio\n"
                "from coderai.main import parse_pool\nfrom coderai.core.config import Settings\n"
                "from coderai.projects.schema_document import read_schema_document\n"
                "pool = parse_pool(Settings(_env_file=None))\n"
                f"print(asyncio.run(pool.run(read_schema_document, {ALIAS.encode()!r}, "
                "'application/yaml')).__class__.__name__)\npool.close()"
            )
        return call
    data, name = attack[1], attack[2]
    column = attack[3] if len(attack) > 3 else None
    build = BUILD + f"\ndata = {data}\nopen(PATH, 'wb').write(data)\n"
    if isolated:
        return build + textwrap.dedent(
            f"""
            import asyncio
            from coderai.main import parse_pool
            from coderai.core.config import Settings
            from coderai.core.isolation import IsolatedFailure
            from coderai.documents.parsers import ReadLimits
            from coderai.documents.reading import TableColumns, read_upload
            pool = parse_pool(Settings(_env_file=None))
            try:
                out = asyncio.run(pool.run(read_upload, PATH, {name!r}, TableColumns({column!r}),
                                           PATH + '.spool', ReadLimits(), 2000))
                print(out.error or 'read')
            except IsolatedFailure as failure:
                print(failure.message)
            finally:
                pool.close()
            """
        )
    if kind == "table":
        return build + textwrap.dedent(
            f"""
            from pathlib import Path
            from coderai.documents.file_type import detect
            from coderai.documents.table_rows import iter_table_rows
            kind = detect(Path(PATH), {name!r}).table_kind
            print(sum(len(b.rows) for b in iter_table_rows(Path(PATH), kind, {column!r})))
            """
        )
    return build + textwrap.dedent(
        f"""
        from pathlib import Path
        from coderai.documents.file_type import detect
        from coderai.documents.parsers import parse_document
        print(len(parse_document(Path(PATH), detect(Path(PATH), {name!r}).content_type).text))
        """
    )


def run(code: Path, source: str, timeout: float) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "input")
        program = f"PATH = {path!r}\n" + source

        def guard() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (GUARD_BYTES, GUARD_BYTES))

        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-c", program],
            cwd=code,
            env={**os.environ, "PYTHONPATH": str(code)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=guard,
        )
        try:
            output, _ = process.communicate(timeout=timeout)
            status = "ok"
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
            status = f"still running after {timeout:g} s"
        elapsed = time.monotonic() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        lines = output.decode(errors="replace").strip().splitlines()
        last = lines[-1][:110] if lines else ""
        return elapsed, peak, f"{status}: {last}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", type=Path, default=HERE)
    parser.add_argument("--isolated", action="store_true")
    parser.add_argument("--timeout", type=float, default=90)
    args = parser.parse_args()
    for label, attack in ATTACKS.items():
        # One probe per process of ours: RUSAGE_CHILDREN's peak is then this probe's.
        result = subprocess.run(
            [sys.executable, __file__, "--one", label, "--code", str(args.code)]
            + (["--isolated"] if args.isolated else [])
            + ["--timeout", str(args.timeout)],
            capture_output=True,
            text=True,
        )
        print(result.stdout.strip() or result.stderr.strip()[-300:], flush=True)
        del attack


def one(label: str, code: Path, isolated: bool, timeout: float) -> None:
    elapsed, peak, outcome = run(code, probe_source(ATTACKS[label], isolated), timeout)
    print(f"{label}: {elapsed:.1f} s, peak RSS {peak / 1024**2:.0f} MB; {outcome}")


if __name__ == "__main__":
    if "--one" in sys.argv:
        p = argparse.ArgumentParser()
        p.add_argument("--one")
        p.add_argument("--code", type=Path, default=HERE)
        p.add_argument("--isolated", action="store_true")
        p.add_argument("--timeout", type=float, default=90)
        a = p.parse_args()
        one(a.one, a.code, a.isolated, a.timeout)
    else:
        main()
