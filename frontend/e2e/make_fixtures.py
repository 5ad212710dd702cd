"""Write the e2e test's input files (a PDF, a DOCX and a CSV) into the directory given.

Run with the backend's virtualenv and `backend/` on PYTHONPATH: the files are built the way the
backend's own tests build theirs (tests/support/files.py), so no binary fixture is checked in.
"""

import csv
import sys
from pathlib import Path

from tests.support.files import docx_bytes, pdf_bytes


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "trial-alpha.pdf").write_bytes(
        pdf_bytes(
            [
                "Trial Alpha: final report.\n\n"
                "Methods. The study was a randomised controlled trial conducted in Kenya "
                "between 2015 and 2017. It enrolled 240 participants across three sites.",
                "Results. Adherence was high and no serious adverse events were reported.",
            ]
        )
    )
    (out / "trial-beta.docx").write_bytes(
        docx_bytes(
            ["Trial Beta: summary for the ministry.", "This was a cohort study conducted in Peru."],
            [["Measure", "Value"], ["Sites", "4"], ["Follow-up", "24 months"]],
            [
                "It enrolled 1,200 participants; 50 withdrew before baseline, leaving 1150 "
                "in the analysis."
            ],
        )
    )
    rows = [
        ("G-1", "Trial Gamma", "Gamma was a randomised controlled trial conducted in Chile. "
         "It enrolled 80 participants."),
        ("D-2", "Trial Delta", "Delta is a cohort study conducted in Ghana. "
         "It enrolled 45 participants in two districts."),
        ("E-3", "Trial Epsilon", "Epsilon was a randomised controlled trial conducted in Nepal. "
         "It enrolled 310 participants."),
    ]
    with (out / "trials.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "text"])
        writer.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
