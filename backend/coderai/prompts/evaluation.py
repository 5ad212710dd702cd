"""Score a prompt version before adopting it: run it on a job's reviewed documents as an
EVALUATION job (the job's other prompts unchanged), then compare old and new answers with the
reviewers' verdicts (or the adjudicated gold values, where a reliability study set them),
variable by variable, on the same items.

A draft is scored only on reviewed answers it was not learnt from (the units its note lists,
prompts.lessons.BUILT_FROM), every accuracy carries its n and a Wilson interval, and a
comparison resting on fewer than MIN_SCORED_TO_COMPARE answers says it is not comparable."""

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.core.config import Settings
from coderai.core.errors import Conflict, InvalidInput, NotFound
from coderai.extraction.coercion.values import JsonValue
from coderai.jobs import reports as job_reports
from coderai.jobs import service as job_service
from coderai.models import (
    Extraction,
    ExtractionFeedback,
    JobItem,
    ProcessingJob,
    Project,
    Prompt,
    User,
    Variable,
)
from coderai.models.enums import JobItemStatus, JobType, Verdict
from coderai.prompts.lessons import Unit, built_from, unit_of
from coderai.prompts.schemas import ChangedAnswerRead, EvaluationRead, VariableComparisonRead
from coderai.review import service as review_service
from coderai.review.analysis import ReviewedItem, same_value, wilson_interval
from coderai.studies import gold as study_gold

MAX_CHANGES_SHOWN = 50
# Below this many scored answers an old-vs-new difference is not shown as an improvement.
MIN_SCORED_TO_COMPARE = 10


async def _prompt(session: AsyncSession, prompt_id: uuid.UUID) -> Prompt:
    prompt = await session.get(Prompt, prompt_id)
    if prompt is None:
        raise NotFound(f"Prompt '{prompt_id}' not found.")
    return prompt


async def _source_job(
    session: AsyncSession, variable: Variable, job_id: uuid.UUID | None
) -> ProcessingJob:
    if job_id is not None:
        job = await job_service.get_job(session, job_id)
        if job.project_id != variable.project_id:
            raise NotFound(f"Job '{job_id}' does not belong to this prompt's project.")
        if job.job_type is JobType.EVALUATION:
            raise InvalidInput(
                "Evaluate on a reviewed SAMPLE or FULL job, not on an evaluation.",
                errors=[{"field": "jobId", "message": "is an EVALUATION job"}],
            )
        return job
    latest = await session.scalar(
        select(ProcessingJob)
        .join(Extraction, Extraction.job_id == ProcessingJob.id)
        .where(
            Extraction.variable_id == variable.id,
            ProcessingJob.job_type != JobType.EVALUATION,
            _reviewed(),
        )
        .order_by(ProcessingJob.created_at.desc())
        .limit(1)
    )
    if latest is None:
        raise Conflict(f"No reviewed answers of '{variable.name}' to evaluate against yet.")
    return latest


async def _reviewed_documents(
    session: AsyncSession, job_id: uuid.UUID, variable_id: uuid.UUID
) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(Extraction.document_id)
        .where(Extraction.job_id == job_id, Extraction.variable_id == variable_id, _reviewed())
        .distinct()
    )
    return sorted(rows.all())


def _reviewed() -> ColumnElement[bool]:
    """An extraction with a current verdict, or with an adjudicated gold value."""
    verdict = exists(
        select(ExtractionFeedback.id).where(
            ExtractionFeedback.extraction_id == Extraction.id, ExtractionFeedback.is_current
        )
    )
    return or_(verdict, study_gold.has_gold())


async def start_evaluation(
    session: AsyncSession,
    prompt_id: uuid.UUID,
    *,
    source_job_id: uuid.UUID | None,
    settings: Settings,
    created_by: User | None,
) -> EvaluationRead:
    """Create the EVALUATION job of a prompt version on the documents reviewed (for its
    variable) in a job; the caller commits and wakes the runner."""
    if not settings.llm_configured:
        raise Conflict(
            "No LLM provider configured: set OPENAI_API_KEY, or LLM_BASE_URL for an "
            "OpenAI-compatible server, then restart."
        )
    prompt = await _prompt(session, prompt_id)
    variable = await session.get_one(Variable, prompt.variable_id)
    source = await _source_job(session, variable, source_job_id)
    documents = await _reviewed_documents(session, source.id, variable.id)
    if not documents:
        raise Conflict(f"Job {source.id} has no reviewed answers of '{variable.name}'.")
    learnt = built_from(prompt.note)
    if learnt:
        reviewed = await review_service.reviewed_items(session, [variable.id], source.id)
        unseen = {i.document_id for i in reviewed[variable.id] if unit_of(i) not in learnt}
        documents = [d for d in documents if d in unseen]
        if not documents:
            raise Conflict(
                f"Every reviewed answer of '{variable.name}' in job {source.id} was used to build "
                f"v{prompt.version}: review more of its answers to score it on answers it was "
                "not learnt from."
            )
    # The source job's prompts with this one swapped in: same calls, one change.
    snapshot = {**source.prompt_snapshot, str(variable.id): str(prompt.id)}
    project = await session.get_one(Project, variable.project_id)
    job = await job_service.create_job(
        session,
        project,
        job_type=JobType.EVALUATION,
        document_ids=documents,
        document_count=None,
        sample_seed=None,
        options={
            "callMode": source.options.get("callMode", "combined"),
            "evaluation": {
                "promptId": str(prompt.id),
                "promptVersion": prompt.version,
                "variableId": str(variable.id),
                "sourceJobId": str(source.id),
            },
        },
        # On the source job's model too, so that only the prompt differs.
        llm_model=source.llm_model or settings.llm_model,
        llm=source.llm,
        created_by=created_by,
        prompt_snapshot=snapshot,
    )
    return await evaluation_of(session, prompt.id, job.id)


async def _evaluation_job(
    session: AsyncSession, prompt_id: uuid.UUID, job_id: uuid.UUID | None
) -> ProcessingJob:
    statement = select(ProcessingJob).where(
        ProcessingJob.job_type == JobType.EVALUATION,
        ProcessingJob.options["evaluation"]["promptId"].astext == str(prompt_id),
    )
    if job_id is not None:
        statement = statement.where(ProcessingJob.id == job_id)
    job = await session.scalar(statement.order_by(ProcessingJob.created_at.desc()).limit(1))
    if job is None:
        raise NotFound(f"No evaluation of prompt '{prompt_id}' found.")
    return job


def new_verdict(item: ReviewedItem, new_value: JsonValue) -> bool | None:
    """Whether a new answer is correct: an unchanged value keeps the reviewer's verdict, a
    changed one must equal the reviewer's value (None when that value is unknown). A gold
    value judges every answer, as it judged the old one."""
    if item.gold:
        return study_gold.matches_gold(new_value, item.truth)
    if same_value(new_value, item.model_value):
        return item.verdict is Verdict.CORRECT
    if item.truth_known:
        return same_value(new_value, item.truth)
    return None


def compare(
    variable: Variable,
    items: Sequence[ReviewedItem],
    new_answers: dict[tuple[uuid.UUID, int], Extraction],
    done_documents: set[uuid.UUID],
    *,
    evaluated: bool,
    versions: tuple[int | None, int | None],
    learnt: set[Unit] | None = None,
) -> VariableComparisonRead:
    """Old vs new on the reviewed items whose document the evaluation finished, leaving out
    those in `learnt` (the evaluated draft was built from them)."""
    scored = undetermined = not_scored = old_correct = new_correct = improved = regressed = 0
    changes: list[ChangedAnswerRead] = []
    excluded = [i for i in items if learnt and unit_of(i) in learnt]
    items = [i for i in items if not (learnt and unit_of(i) in learnt)]
    for item in items:
        if item.document_id not in done_documents:
            not_scored += 1
            continue
        answer = new_answers.get((item.document_id, item.entity_index))
        new_value = answer.value if answer is not None else None
        verdict = new_verdict(item, new_value)
        was_correct = item.verdict is Verdict.CORRECT
        if not same_value(new_value, item.model_value) and len(changes) < MAX_CHANGES_SHOWN:
            changes.append(
                ChangedAnswerRead(
                    document_id=item.document_id,
                    entity_index=item.entity_index,
                    old_extraction_id=item.extraction_id,
                    new_extraction_id=answer.id if answer is not None else None,
                    old_value=item.model_value,
                    new_value=new_value,
                    correct_value=item.truth if item.truth_known else None,
                    correct_value_known=item.truth_known,
                    old_correct=was_correct,
                    new_correct=verdict,
                )
            )
        if verdict is None:
            undetermined += 1
            continue
        scored += 1
        old_correct += was_correct
        new_correct += verdict
        improved += verdict and not was_correct
        regressed += was_correct and not verdict
    return VariableComparisonRead(
        variable_id=variable.id,
        variable_name=variable.name,
        evaluated=evaluated,
        old_prompt_version=versions[0],
        new_prompt_version=versions[1],
        reviewed=len(items),
        scored=scored,
        undetermined=undetermined,
        not_scored=not_scored,
        old_correct=old_correct,
        new_correct=new_correct,
        old_accuracy=old_correct / scored if scored else None,
        new_accuracy=new_correct / scored if scored else None,
        old_accuracy_interval=wilson_interval(old_correct, scored),
        new_accuracy_interval=wilson_interval(new_correct, scored),
        learnt_from_excluded=len(excluded),
        comparable=scored >= MIN_SCORED_TO_COMPARE,
        min_scored_to_compare=MIN_SCORED_TO_COMPARE,
        improved=improved,
        regressed=regressed,
        changes=changes,
    )


async def evaluation_of(
    session: AsyncSession, prompt_id: uuid.UUID, job_id: uuid.UUID | None = None
) -> EvaluationRead:
    """The comparison of a prompt's (latest, or given) evaluation job with the reviewed job it
    ran on; partial while the job runs."""
    job = await _evaluation_job(session, prompt_id, job_id)
    meta = job.options["evaluation"]
    source = await job_service.get_job(session, uuid.UUID(meta["sourceJobId"]))
    evaluated_variable = uuid.UUID(meta["variableId"])
    variables = (
        await session.scalars(
            select(Variable)
            .where(Variable.id.in_([uuid.UUID(v) for v in job.prompt_snapshot]))
            .order_by(Variable.order)
        )
    ).all()
    documents = set(await job_service.job_document_ids(session, job.id))
    done = set(
        (
            await session.scalars(
                select(JobItem.document_id).where(
                    JobItem.job_id == job.id, JobItem.status == JobItemStatus.DONE
                )
            )
        ).all()
    )
    reviewed = await review_service.reviewed_items(session, [v.id for v in variables], source.id)
    answers: dict[uuid.UUID, dict[tuple[uuid.UUID, int], Extraction]] = {
        v.id: {} for v in variables
    }
    for extraction in await session.scalars(select(Extraction).where(Extraction.job_id == job.id)):
        answers.setdefault(extraction.variable_id, {})[
            (extraction.document_id, extraction.entity_index)
        ] = extraction
    learnt = built_from((await _prompt(session, prompt_id)).note)
    old_versions = await job_reports.prompt_versions(session, source)
    new_versions = await job_reports.prompt_versions(session, job)
    return EvaluationRead(
        job_id=job.id,
        source_job_id=source.id,
        prompt_id=prompt_id,
        prompt_version=int(meta["promptVersion"]),
        variable_id=evaluated_variable,
        status=job.status,
        progress=job_reports.percent(job),
        complete=job.status in job_service.FINISHED,
        variables=[
            compare(
                variable,
                [
                    i
                    for i in reviewed[variable.id]
                    if i.document_id in documents
                    or (variable.id == evaluated_variable and unit_of(i) in learnt)
                ],
                answers[variable.id],
                done,
                evaluated=variable.id == evaluated_variable,
                versions=(old_versions.get(variable.name), new_versions.get(variable.name)),
                learnt=learnt if variable.id == evaluated_variable else None,
            )
            for variable in variables
        ],
    )
