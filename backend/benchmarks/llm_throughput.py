"""LLM throughput of the extraction engine: 500 reports x 10 variables against the fake LLM.

`extract_document` is called directly (no database, no job) with one real `LLMClient` over real
HTTP to the fake LLM, which runs in its own process with 300 ms latency and enforces a limit of
600 requests per minute. The client's limiter is given the same limit. Prints, from one run:

  (a) LLM calls per document                                   target = 1.0
  (b) prompt tokens per document ÷ document tokens             target ≤ 1.3
      (prompt tokens as the fake reports them; document tokens counted with the fake's own
      counter, `tests.support.fake_llm.count_tokens`: 4 characters per token)
  (c) achieved requests/min ÷ the limit, with no request        target ≥ 0.9, 0 rejected
      rejected by the fake for exceeding it

Run from the repository root (no database needed):

    python backend/benchmarks/llm_throughput.py [--documents 500] [--window-seconds 10]

The limit is a rate (600 per minute) that both sides enforce over a sliding window. A window
admits its whole quota at once, so with a 60 s window all 500 calls would fit in the first one
and the limit would never bind; the default window is therefore 10 s with 100 requests per
window (still 600/min). (c) is measured at the fake, from the arrival times of the accepted
requests: a client that keeps the limit full sends request k + 100 exactly one window after
request k, so achieved rate ÷ limit = window ÷ the mean time from request k to request k + 100
(the free first window and a part-filled last one do not distort it).

Documents are generated evaluation reports of 1,500-7,500 tokens (about 2 to 10 pages), with
the 10 answers planted. The app's default chunk (CHUNK_TOKENS=8000) holds each in one call, as
the seed asks (chunk only documents over ~10 pages or 5,000 words). (b) is also printed per
band of document length, and, for the same corpus, as the app's plan would make it with the
former 2,500-token chunks (counted offline, not called). `--max-tokens 2400` gives the corpus
this benchmark used before.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from harness import percentile

from coderai.extraction import chunker
from coderai.extraction.engine import extract_document
from coderai.extraction.messages import build_messages
from coderai.extraction.plan import call_schema, plan_calls
from coderai.extraction.types import (
    DocumentExtraction,
    DocumentInput,
    ExtractionOptions,
    VariablePrompt,
)
from coderai.llm import LLMClient
from coderai.models.enums import GroundingKind
from coderai.projects.unit import UnitOfObservation
from coderai.prompts.generator import ProjectContext
from coderai.variables.definition import VariableFields
from tests.support.factories import generated_prompt
from tests.support.fake_llm import FakeLLMRemote, count_tokens, spawn_fake_llm

MODEL = "fake-gpt"
TARGET_CALLS_PER_DOCUMENT = 1.0
TARGET_PROMPT_RATIO = 1.3
TARGET_RATE_RATIO = 0.9

# --- the corpus: a project, 10 variables of mixed types, facts planted in generated reports ---

PROJECT: dict[str, Any] = {
    "name": "Public health programme evaluations",
    "description": "Coding evaluation reports of public health programmes for a meta-analysis.",
    "scale": "LARGE",
    "language": "English",
    "domain": "public health",
    "documentType": "programme evaluation reports",
}

DESIGNS = {
    "randomised controlled trial": "RCT",
    "prospective cohort study": "Cohort",
    "case-control study": "Case-control",
    "cross-sectional survey": "Cross-sectional",
}
SETTINGS = {"urban": "Urban", "rural": "Rural", "mixed urban and rural": "Mixed"}

VARIABLES: list[dict[str, Any]] = [
    {
        "name": "sample_size",
        "displayName": "Sample size",
        "type": "NUMBER",
        "instructions": "Number of participants enrolled at baseline, across all arms and sites.",
        "validationRules": {"min": 1},
    },
    {
        "name": "study_design",
        "displayName": "Study design",
        "type": "CATEGORY",
        "instructions": "The design of the evaluation as described in the methods section.",
        "classificationRules": {
            "categories": [
                {
                    "value": "RCT",
                    "definition": "Participants or clusters randomly assigned to arms.",
                    "synonyms": ["randomised controlled trial"],
                },
                {
                    "value": "Cohort",
                    "definition": "Groups followed over time without randomisation.",
                    "synonyms": ["prospective cohort study"],
                },
                {
                    "value": "Case-control",
                    "definition": "Cases compared with matched controls.",
                    "synonyms": ["case-control study"],
                },
                {
                    "value": "Cross-sectional",
                    "definition": "One measurement of a population at one time.",
                    "synonyms": ["cross-sectional survey"],
                },
            ]
        },
    },
    {
        "name": "publication_date",
        "displayName": "Publication date",
        "type": "DATE",
        "instructions": "The date the report was published (not when data were collected).",
        "validationRules": {"minDate": "1990-01-01"},
    },
    {
        "name": "country",
        "type": "TEXT",
        "instructions": "The country where the fieldwork took place.",
    },
    {
        "name": "setting",
        "type": "CATEGORY",
        "instructions": "Whether the programme ran in urban areas, rural areas or both.",
        "classificationRules": {
            "categories": [
                {"value": "Urban", "definition": "Cities and towns only."},
                {"value": "Rural", "definition": "Villages and countryside only."},
                {
                    "value": "Mixed",
                    "definition": "Both urban and rural sites.",
                    "synonyms": ["mixed urban and rural"],
                },
            ]
        },
    },
    {
        "name": "follow_up_months",
        "displayName": "Follow-up (months)",
        "type": "NUMBER",
        "instructions": "Length of follow-up after enrolment, in months.",
        "uncertaintyHandling": {"confidenceThreshold": 0.6, "ifUncertain": "LEAVE_EMPTY"},
    },
    {
        "name": "primary_outcome",
        "displayName": "Primary outcome",
        "type": "TEXT",
        "instructions": "The primary outcome measure named by the authors, in their words.",
        "validationRules": {"maxLength": 300},
    },
    {
        "name": "attrition_rate",
        "displayName": "Attrition (%)",
        "type": "NUMBER",
        "instructions": "Percentage of enrolled participants lost to follow-up by the last visit.",
        "validationRules": {"min": 0, "max": 100},
        "edgeCases": [
            {
                "situation": "only counts are given",
                "action": "answer null rather than compute a percentage",
            }
        ],
    },
    {
        "name": "funder",
        "type": "TEXT",
        "instructions": "The organisation that funded the evaluation.",
    },
    {
        "name": "preregistered",
        "displayName": "Pre-registered",
        "type": "BOOLEAN",
        "instructions": "Whether the protocol was registered before enrolment began.",
        "defaultValue": False,
    },
]

# (variable, pattern with a `value` group or a fixed value) in the order the fake tries them.
FACTS: list[tuple[str, str, dict[str, Any]]] = [
    ("sample_size", r"enrolled (?P<value>[\d,]+) participants", {}),
    (
        "study_design",
        r"evaluation was an? (?P<value>" + "|".join(DESIGNS) + ")",
        {},
    ),
    ("publication_date", r"published on (?P<value>\d{1,2} [A-Z][a-z]+ \d{4})", {}),
    ("country", r"Fieldwork took place in (?P<value>[A-Z][a-z]+(?: [A-Z][a-z]+)?)", {}),
    ("setting", r"mostly in (?P<value>" + "|".join(SETTINGS) + ") settings", {}),
    ("follow_up_months", r"followed up for (?P<value>\d+) months", {}),
    ("primary_outcome", r"The primary outcome was (?P<value>[^.]+)\.", {}),
    ("attrition_rate", r"Loss to follow-up was (?P<value>\d+(?:\.\d+)?)%", {}),
    ("funder", r"funded by (?P<value>the [A-Z][A-Za-z ]+?) under grant", {}),
    ("preregistered", r"protocol was prospectively registered", {"value": True}),
    ("preregistered", r"protocol was not registered", {"value": False}),
]

PROGRAMMES = [
    "community health worker home visits",
    "school-based nutrition supplementation",
    "text-message reminders for antenatal care",
    "conditional cash transfers for clinic attendance",
    "mobile tuberculosis screening",
    "peer-led smoking cessation groups",
    "subsidised insecticide-treated bed nets",
    "nurse-led hypertension management",
]
OUTCOMES = [
    "the proportion of children fully immunised by twelve months of age",
    "the change in systolic blood pressure from baseline",
    "the incidence of clinical malaria per 1,000 person-years",
    "the rate of facility-based deliveries",
    "biochemically verified abstinence from smoking",
    "the prevalence of stunting among children under five",
    "the share of presumptive cases completing diagnostic testing",
]
COUNTRIES = ["Kenya", "Peru", "Bangladesh", "South Africa", "Viet Nam", "Ghana", "Nepal", "Chile"]
FUNDERS = [
    "the Wellcome Trust",
    "the National Institute for Health Research",
    "the European Research Council",
    "the Global Health Innovation Fund",
    "the Ministry of Health",
]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# Prose that surrounds the planted facts; none of it matches a fact's pattern.
FILLER = [
    "The programme was designed with district health teams, who chose the facilities and "
    "agreed the referral routes before the first household was visited.",
    "Staff received five days of initial training followed by monthly supervision visits "
    "from a regional coordinator, who checked registers against a random sample of homes.",
    "Previous studies in comparable settings reported mixed results, largely because "
    "implementation fidelity was rarely measured and often assumed rather than observed.",
    "Local leaders were consulted at every stage, and their concerns about workload shaped "
    "the final schedule of visits and the size of each worker's catchment area.",
    "Data were entered on tablets with built-in range checks and synchronised weekly to a "
    "central server, where a data manager reviewed inconsistencies with the field teams.",
    "The analysis followed a pre-specified plan; secondary analyses were labelled as "
    "exploratory and interpreted with caution given the number of comparisons made.",
    "Adherence was higher in the first half of the period than in the second, a pattern "
    "the field teams attributed to the rainy season and to competing agricultural work.",
    "Costs were collected from programme accounts and time-use surveys, and expressed in "
    "constant prices so that figures from different years could be compared directly.",
    "Qualitative interviews with workers and households helped to explain why uptake "
    "varied between villages that looked similar on paper.",
    "Several facilities experienced stock-outs of essential supplies, which the authors "
    "recorded as implementation failures rather than excluding from the analysis.",
    "Sensitivity analyses that imputed missing outcomes under different assumptions gave "
    "estimates close to those of the main analysis.",
    "The authors note that the comparison areas also benefited from a national campaign "
    "that started halfway through the evaluation, which may have diluted the effect.",
    "Ethical approval was obtained from the national research ethics committee and from "
    "the institutional review board of the lead university.",
    "Written informed consent was obtained from every adult participant, and from a parent "
    "or guardian for participants younger than eighteen years.",
    "Outcome assessors were not told which area a household belonged to, although the "
    "nature of the intervention made full masking impossible.",
    "Baseline characteristics were broadly similar across groups, with small differences "
    "in household size and distance to the nearest facility.",
    "Effects were larger among households in the poorest wealth quintile, suggesting that "
    "the programme reached those who were least well served before.",
    "Workers reported that the structured checklists made visits shorter and easier to "
    "document, although some found the tablets difficult to use at first.",
    "The evaluation team met the implementing partner every quarter to review progress, "
    "without sharing interim outcome data that could have influenced delivery.",
    "Routine facility records were used to validate self-reported visits for a random "
    "subsample, and agreement between the two sources was good.",
    "Limitations include the relatively short period of observation and the reliance on "
    "self-report for some behavioural measures.",
    "Generalisability may be limited, since participating districts were chosen for their "
    "functioning health information systems and committed management teams.",
    "Policy makers asked for results to be shared early, and a summary was presented to "
    "the national technical working group before this report was finalised.",
    "The intervention cost per person reached compares favourably with other community "
    "programmes in the region, although the comparison rests on few published studies.",
    "Scaling up would require additional supervisors, since the supervision ratio used in "
    "the evaluation was more generous than current staffing norms allow.",
    "Participants valued the regular contact with a familiar worker, and several described "
    "it as the main reason they kept attending the clinic.",
    "Missing data were below five per cent for most variables and were handled by multiple "
    "imputation with twenty imputed data sets.",
    "Standard errors were adjusted for clustering at the level of the health facility, "
    "which was the unit at which the programme was delivered.",
    "A process evaluation ran alongside the main study and documented how the programme "
    "was adapted to local conditions during the first six months.",
    "The findings are consistent with a growing body of evidence that community-based "
    "delivery can extend the reach of primary care in underserved areas.",
]
# Templated sentences with figures, so that no two reports read the same.
FILLER_TEMPLATES = [
    "At the {n}-month review, {a} of the {b} facilities had submitted complete registers, and "
    "the remainder were visited by the district team.",
    "Household surveys were repeated in {n} randomly chosen villages, where {a} per cent of "
    "respondents recognised the programme by name.",
    "The median distance from a household to the nearest facility was {a} kilometres, with a "
    "range of 1 to {b} kilometres.",
    "Each worker covered about {b} households and made {n} visits a month on average, close to "
    "the number foreseen in the implementation plan.",
    "In {n} districts the programme started later than planned, by {a} weeks on average, "
    "because of delays in recruiting supervisors.",
    "A cost of {a} US dollars per household reached was estimated for the first year, falling "
    "to {n} dollars once start-up costs were excluded.",
    "Interviewers completed {b} structured observations of visits, of which {a} per cent "
    "followed the checklist in full.",
    "Among the {b} facilities, {n} reported at least one week without essential medicines "
    "during the period of the evaluation.",
]
SECTIONS = ["Background", "Methods", "Results", "Discussion"]


def shuffled_filler(rng: random.Random) -> list[str]:
    templated = [
        template.format(n=rng.randint(2, 12), a=rng.randint(13, 60), b=rng.randint(61, 400))
        for template in FILLER_TEMPLATES
    ]
    return rng.sample(FILLER + templated, len(FILLER) + len(templated))


@dataclass(frozen=True)
class Report:
    """One generated report and the values planted in it."""

    external_id: str
    text: str
    truth: dict[str, Any]


def make_report(number: int, *, min_tokens: int = 1500, max_tokens: int = 2400) -> Report:
    """A deterministic evaluation report of `min_tokens`-`max_tokens` tokens (fake counter)."""
    rng = random.Random(number)
    programme, outcome = rng.choice(PROGRAMMES), rng.choice(OUTCOMES)
    country, funder = rng.choice(COUNTRIES), rng.choice(FUNDERS)
    design, setting = rng.choice(list(DESIGNS)), rng.choice(list(SETTINGS))
    year, month, day = rng.randint(2005, 2024), rng.randint(1, 12), rng.randint(1, 28)
    sample, months = rng.randint(120, 24_000), rng.choice([6, 9, 12, 18, 24, 36])
    attrition, registered = round(rng.uniform(1, 30), 1), rng.random() < 0.6
    registration = (
        f"The protocol was prospectively registered (ISRCTN{rng.randint(10**7, 10**8 - 1)})."
        if registered
        else "The protocol was not registered before enrolment began."
    )
    planted = {
        "Background": [
            f"This report evaluates {programme} in {country}.",
            f"It was published on {day} {MONTHS[month - 1]} {year} by the evaluation team.",
        ],
        "Methods": [
            f"The evaluation was a {design} of {programme}.",
            f"Fieldwork took place in {country}, mostly in {setting} settings.",
            f"Across {rng.randint(4, 40)} sites, the study enrolled {sample:,} participants.",
            f"The primary outcome was {outcome}.",
            f"Participants were followed up for {months} months after enrolment.",
            registration,
        ],
        "Results": [f"Loss to follow-up was {attrition}% by the final visit."],
        "Discussion": [
            f"The evaluation was funded by {funder} under grant {rng.randint(1000, 9999)}."
        ],
    }
    target = rng.randint(min_tokens, max_tokens)
    paragraphs = {name: list(sentences) for name, sentences in planted.items()}
    filler = shuffled_filler(rng)

    def render() -> str:
        title = f"Evaluation report {number}: {programme} in {country}"
        body = [f"{name}\n\n" + " ".join(paragraphs[name]) for name in SECTIONS]
        return "\n\n".join([title, *body])

    text = render()
    while filler:
        sentence = filler.pop()
        section = paragraphs[rng.choice(SECTIONS)]
        section.insert(rng.randint(0, len(section)), sentence)
        candidate = render()
        if count_tokens(candidate) > target:
            section.remove(sentence)
            break
        text = candidate
        if not filler:  # a long target: use the filler again, in another order
            filler = shuffled_filler(rng)
    truth = {
        "sample_size": sample,
        "study_design": DESIGNS[design],
        "publication_date": f"{year:04d}-{month:02d}-{day:02d}",
        "country": country,
        "setting": SETTINGS[setting],
        "follow_up_months": months,
        "primary_outcome": outcome,
        "attrition_rate": attrition,
        "funder": funder,
        "preregistered": registered,
    }
    return Report(str(number), text, truth)


def plant_facts(fake: FakeLLMRemote) -> None:
    for variable, pattern, options in FACTS:
        fake.add_fact(variable, pattern, confidence=0.92, **options)


def project_context() -> ProjectContext:
    return ProjectContext(
        name=PROJECT["name"],
        description=PROJECT["description"],
        domain=PROJECT["domain"],
        language=PROJECT["language"],
        document_type=PROJECT["documentType"],
        unit=UnitOfObservation(),
    )


def variable_prompts(context: ProjectContext) -> list[VariablePrompt]:
    """The 10 variables with their generated prompts, as a job would run them."""
    return [
        generated_prompt(context, VariableFields.model_validate(payload), model=MODEL)
        for payload in VARIABLES
    ]


# --- figures -------------------------------------------------------------------------------


def fake_prompt_tokens(system: str, user: str, schema: dict[str, Any]) -> int:
    """Prompt tokens as the fake counts them (`wire.ChatRequest.prompt_tokens`)."""
    schema_tokens = count_tokens(json.dumps(schema, separators=(",", ":")))
    return 3 + (4 + count_tokens(system)) + (4 + count_tokens(user)) + schema_tokens


def prompt_breakdown(
    document: DocumentInput, prompts: Sequence[VariablePrompt], options: ExtractionOptions
) -> dict[str, int]:
    """Where one document's prompt tokens go (fake counter): document, instructions, schema."""
    call = plan_calls(document, prompts, options)[0]
    system, user = build_messages(call, 1, options.context)
    schema = call_schema(call.prompts, options.context.unit.mode)
    document_tokens = count_tokens(document.text)
    schema_tokens = count_tokens(json.dumps(schema, separators=(",", ":")))
    total = fake_prompt_tokens(system, user, schema)
    return {
        "document": document_tokens,
        "system message": count_tokens(system),
        "questions (user message minus document)": count_tokens(user) - document_tokens,
        "answer schema": schema_tokens,
        "framing": total - count_tokens(system) - count_tokens(user) - schema_tokens,
        "total": total,
    }


def planned_prompt_tokens(
    document: DocumentInput, prompts: Sequence[VariablePrompt], options: ExtractionOptions
) -> tuple[int, int]:
    """(calls, prompt tokens) the app's plan makes for `document`, counted as the fake counts
    them, without calling anything."""
    calls = plan_calls(document, prompts, options)
    mode = options.context.unit.mode
    tokens = 0
    for call in calls:
        system, user = build_messages(call, len(calls), options.context)
        tokens += fake_prompt_tokens(system, user, call_schema(call.prompts, mode))
    return len(calls), tokens


def ratio_by_band(per_document: Sequence[tuple[int, int]], start: int, width: int) -> list[str]:
    """Prompt ÷ document tokens over the documents in each `width`-token band of length (the
    first band starts at `start`; a report a little shorter than its target falls in it)."""
    bands: dict[int, list[tuple[int, int]]] = {}
    for document, prompt in per_document:
        bands.setdefault(max(0, document - start) // width, []).append((document, prompt))
    return [
        f"{start + band * width}-{start + (band + 1) * width} tokens: "
        f"{sum(p for _, p in rows) / sum(d for d, _ in rows):.3f} ({len(rows)} documents)"
        for band, rows in sorted(bands.items())
    ]


@dataclass(frozen=True)
class RateFigures:
    """How fast the client turned over the fake's window, from accepted arrival times."""

    accepted: int
    quota: int  # requests per window
    window_seconds: float
    span_seconds: float  # first to last accepted arrival
    busiest_window: int  # most accepted requests in any window
    turnover_seconds: float  # mean time from the k-th to the (k + quota)-th accepted arrival

    @property
    def ratio(self) -> float:
        """Sustained rate ÷ the limit: a client at the limit sends request k + quota exactly
        one window after request k; one that is slower needs longer."""
        return self.window_seconds / self.turnover_seconds if self.turnover_seconds else math.nan


def rate_figures(arrivals: list[float], quota: int, window_seconds: float) -> RateFigures:
    arrivals = sorted(arrivals)
    busiest = start = 0
    for end, t in enumerate(arrivals):
        while arrivals[start] <= t - window_seconds:
            start += 1
        busiest = max(busiest, end - start + 1)
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[quota:], strict=False)]
    return RateFigures(
        accepted=len(arrivals),
        quota=quota,
        window_seconds=window_seconds,
        span_seconds=arrivals[-1] - arrivals[0] if arrivals else 0.0,
        busiest_window=busiest,
        turnover_seconds=sum(gaps) / len(gaps) if gaps else 0.0,
    )


@dataclass
class Tally:
    documents: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    document_tokens: int = 0
    document_tokens_chunker: int = 0
    failures: int = 0
    values: int = 0
    correct: int = 0
    exact_quotes: int = 0
    seconds: list[float] = field(default_factory=list)
    per_document: list[tuple[int, int]] = field(default_factory=list)  # (document, prompt) tokens

    def add(
        self, report: Report, outcome: DocumentExtraction, seconds: float, names: dict[Any, str]
    ) -> None:
        self.documents += 1
        self.calls += outcome.llm_calls
        self.prompt_tokens += outcome.prompt_tokens
        self.completion_tokens += outcome.completion_tokens
        self.document_tokens += count_tokens(report.text)
        self.per_document.append((count_tokens(report.text), outcome.prompt_tokens))
        self.document_tokens_chunker += chunker.count_tokens(report.text)
        self.failures += len(outcome.failures)
        self.seconds.append(seconds)
        for result in outcome.results:
            self.values += 1
            self.exact_quotes += result.grounding is GroundingKind.EXACT
            # Equal to what was planted: a check that the pipeline still reads the answers.
            self.correct += result.value == report.truth[names[result.variable_id]]


async def run_documents(
    llm: LLMClient,
    reports: Sequence[Report],
    prompts: Sequence[VariablePrompt],
    options: ExtractionOptions,
    concurrency: int,
) -> Tally:
    """Extract every report with `concurrency` documents in flight (as the job runner does)."""
    tally = Tally()
    names = {prompt.variable_id: prompt.name for prompt in prompts}
    queue: asyncio.Queue[Report] = asyncio.Queue()
    for report in reports:
        queue.put_nowait(report)

    async def worker() -> None:
        while not queue.empty():
            report = queue.get_nowait()
            document = DocumentInput(uuid.uuid4(), report.external_id, report.text, [0])
            started = time.perf_counter()
            outcome = await extract_document(llm, document, prompts, options)
            tally.add(report, outcome, time.perf_counter() - started, names)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally


def status(met: bool) -> str:
    return "met" if met else "MISSED"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--rpm", type=int, default=600, help="the limit, requests per minute")
    parser.add_argument("--window-seconds", type=float, default=10.0)
    parser.add_argument("--latency-ms", type=float, default=300.0)
    parser.add_argument("--concurrency", type=int, default=32, help="documents in flight")
    parser.add_argument("--max-concurrency", type=int, default=16, help="LLM calls in flight")
    parser.add_argument("--min-tokens", type=int, default=1500, help="shortest report")
    parser.add_argument("--max-tokens", type=int, default=7500, help="longest report")
    args = parser.parse_args()
    quota = round(args.rpm * args.window_seconds / 60)
    burst = max(1, math.ceil(args.rpm / 60))  # paced like the app's client (`from_settings`)

    reports = [
        make_report(i, min_tokens=args.min_tokens, max_tokens=args.max_tokens)
        for i in range(args.documents)
    ]
    context = project_context()
    prompts = variable_prompts(context)
    options = ExtractionOptions(context=context)
    sample = DocumentInput(uuid.uuid4(), "sample", reports[0].text, [0])
    chunks = [
        len(plan_calls(DocumentInput(uuid.uuid4(), "", r.text, [0]), prompts, options))
        for r in reports
    ]
    sizes = [count_tokens(r.text) for r in reports]
    former = replace(options, chunk_tokens=2500)  # the default before CHUNK_TOKENS=8000
    former_plans = [
        planned_prompt_tokens(DocumentInput(uuid.uuid4(), "", r.text, [0]), prompts, former)
        for r in reports
    ]

    fake = spawn_fake_llm(
        "--latency-ms", str(args.latency_ms), "--rpm", str(quota),
        "--window-seconds", str(args.window_seconds), "--model", MODEL,
    )  # fmt: skip
    try:
        plant_facts(fake)
        llm = LLMClient(
            model=MODEL,
            base_url=fake.base_url,
            requests_per_window=quota,
            window_seconds=args.window_seconds,
            burst_requests=burst,
            max_concurrency=args.max_concurrency,
        )
        try:
            started = time.perf_counter()
            tally = await run_documents(llm, reports, prompts, options, args.concurrency)
            wall = time.perf_counter() - started
        finally:
            await llm.aclose()
        stats = fake.stats
    finally:
        fake.stop()

    rate = rate_figures(stats.accepted_times, quota, args.window_seconds)
    calls_per_doc = tally.calls / tally.documents
    prompt_ratio = tally.prompt_tokens / tally.document_tokens
    print(
        f"{tally.documents} documents x {len(prompts)} variables; documents "
        f"{min(sizes)}-{max(sizes)} tokens (mean {sum(sizes) / len(sizes):.0f}, fake counter; "
        f"chunker counter mean {tally.document_tokens_chunker / tally.documents:.0f}), "
        f"chunks per document {min(chunks)}-{max(chunks)}"
    )
    print(
        f"fake LLM: {args.latency_ms:g} ms latency, limit {quota} requests / "
        f"{args.window_seconds:g} s (= {args.rpm}/min); client limiter the same, paced as "
        f"the app's (bursts of {burst}), {args.max_concurrency} calls and {args.concurrency} "
        "documents in flight"
    )
    print("prompt of one document, tokens (fake counter):")
    breakdown = prompt_breakdown(sample, prompts, options)
    for part, tokens in breakdown.items():
        print(f"  {part:<42} {tokens:>6}")
    overhead = breakdown["total"] - breakdown["document"]
    print(
        f"  everything but the document: {overhead} tokens, {overhead / len(prompts):.0f} per "
        f"variable; the ratio reaches {TARGET_PROMPT_RATIO} for documents of "
        f"{overhead / (TARGET_PROMPT_RATIO - 1):.0f}+ tokens"
    )
    print(
        f"values {tally.values} ({tally.correct} as planted, {tally.exact_quotes} quotes found "
        f"exactly); failed calls {tally.failures}; seconds per document p50 "
        f"{percentile(tally.seconds, 50):.2f} p95 {percentile(tally.seconds, 95):.2f}"
    )
    print(
        f"fake saw {stats.total_requests} requests: {stats.accepted_requests} accepted, "
        f"{stats.rejected_rate_limit} rejected for exceeding the limit, {stats.cached_tokens} "
        f"prompt tokens reported as cached; busiest "
        f"{args.window_seconds:g} s window {rate.busiest_window} (limit {quota}); a window's "
        f"quota turned over in {rate.turnover_seconds:.2f} s on average (≥ "
        f"{args.window_seconds:g} s); accepted arrivals spread over {rate.span_seconds:.1f} s, "
        f"wall time {wall:.1f} s ({60 * tally.calls / wall:.0f} calls/min overall)"
    )
    print(
        f"(a) LLM calls per document: {calls_per_doc:.3f} "
        f"(target {TARGET_CALLS_PER_DOCUMENT}) {status(calls_per_doc <= TARGET_CALLS_PER_DOCUMENT)}"
    )
    print(
        f"(b) prompt tokens per document ÷ document tokens: {prompt_ratio:.3f} "
        f"({tally.prompt_tokens / tally.documents:.0f} ÷ "
        f"{tally.document_tokens / tally.documents:.0f}; target ≤ {TARGET_PROMPT_RATIO}) "
        f"{status(prompt_ratio <= TARGET_PROMPT_RATIO)}, over reports of "
        f"{args.min_tokens}-{args.max_tokens} tokens; the ratio falls as reports grow:"
    )
    for line in ratio_by_band(tally.per_document, args.min_tokens, 1500):
        print(f"    {line}")
    former_calls = sum(calls for calls, _ in former_plans) / len(former_plans)
    former_ratio = sum(tokens for _, tokens in former_plans) / sum(sizes)
    print(
        "    these reports under the former 2,500-token chunks (planned, not called): "
        f"{former_calls:.3f} calls per document, prompt ÷ document tokens {former_ratio:.3f}"
    )
    rate_met = rate.ratio >= TARGET_RATE_RATIO and stats.rejected_rate_limit == 0
    print(
        f"(c) achieved requests/min ÷ limit: {rate.ratio:.3f} "
        f"({rate.ratio * args.rpm:.0f} ÷ {args.rpm}; target ≥ {TARGET_RATE_RATIO}), "
        f"{stats.rejected_rate_limit} rejected for exceeding the limit (target 0) "
        f"{status(rate_met)}"
    )


if __name__ == "__main__":
    asyncio.run(main())
