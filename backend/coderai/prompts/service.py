"""Prompt versions: generate, keep one active per variable, list the history."""

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from coderai.models import Project, Prompt, Variable
from coderai.models.enums import PromptOrigin
from coderai.projects.unit import UnitOfObservation
from coderai.prompts.generator import ProjectContext, content_hash, generate_prompt
from coderai.prompts.lessons import reapplied
from coderai.variables.definition import VariableFields


def context_of(project: Project) -> ProjectContext:
    return ProjectContext(
        name=project.name,
        description=project.description,
        domain=project.domain,
        language=project.language,
        document_type=project.document_type,
        unit=UnitOfObservation.model_validate(project.unit_of_observation),
    )


def definition_of(variable: Variable) -> VariableFields:
    """The validated definition of a stored variable (what the prompt is generated from)."""
    return VariableFields.model_validate(
        {
            "name": variable.name,
            "displayName": variable.display_name,
            "description": variable.description,
            "type": variable.type,
            "instructions": variable.instructions,
            "classificationRules": variable.classification_rules,
            "uncertaintyHandling": variable.uncertainty_handling,
            "edgeCases": variable.edge_cases,
            "validationRules": variable.validation_rules,
            "defaultValue": variable.default_value,
        }
    )


async def active_prompt(session: AsyncSession, variable_id: uuid.UUID) -> Prompt | None:
    return await session.scalar(
        select(Prompt).where(Prompt.variable_id == variable_id, Prompt.is_active)
    )


async def prompt_history(session: AsyncSession, variable_id: uuid.UUID) -> Sequence[Prompt]:
    rows = await session.scalars(
        select(Prompt).where(Prompt.variable_id == variable_id).order_by(Prompt.version.desc())
    )
    return rows.all()


async def add_version(
    session: AsyncSession,
    variable: Variable,
    *,
    prompt_text: str,
    llm_config: dict[str, object],
    response_schema: dict[str, object],
    content_hash: str,
    origin: PromptOrigin,
    activate: bool,
    note: str | None = None,
) -> Prompt:
    """Store the next version of a variable's prompt, optionally making it the active one."""
    latest = await session.scalar(
        select(func.max(Prompt.version)).where(Prompt.variable_id == variable.id)
    )
    if activate:
        await session.execute(
            update(Prompt)
            .where(Prompt.variable_id == variable.id, Prompt.is_active)
            .values(is_active=False)
        )
    prompt = Prompt(
        variable_id=variable.id,
        version=(latest or 0) + 1,
        is_active=activate,
        prompt_text=prompt_text,
        llm_config=llm_config,
        response_schema=response_schema,
        origin=origin,
        content_hash=content_hash,
        note=note,
    )
    session.add(prompt)
    await session.flush()
    return prompt


async def regenerate(
    session: AsyncSession, context: ProjectContext, variable: Variable, *, model: str
) -> Prompt | None:
    """Generate the variable's prompt; store a new active version only if it differs."""
    definition = definition_of(variable)
    generated = generate_prompt(context, definition, model=model)
    current = await active_prompt(session, variable.id)
    text, note, origin = generated.prompt_text, None, PromptOrigin.GENERATED
    # Lessons from review adopted in the active version are re-applied, not silently dropped.
    carried = reapplied(current, text, definition) if current is not None else None
    if carried is not None:
        (text, note), origin = carried, PromptOrigin.REFINED
    digest = content_hash(text, generated.llm_config, generated.response_schema)
    if current is not None and current.content_hash == digest:
        return None
    return await add_version(
        session,
        variable,
        prompt_text=text,
        llm_config=generated.llm_config,
        response_schema=generated.response_schema,
        content_hash=digest,
        origin=origin,
        activate=True,
        note=note,
    )


async def regenerate_project_prompts(session: AsyncSession, project: Project, *, model: str) -> int:
    """Regenerate every variable's prompt after a context change; returns new versions made."""
    context = context_of(project)
    variables = await session.scalars(select(Variable).where(Variable.project_id == project.id))
    made = 0
    for variable in variables:
        made += await regenerate(session, context, variable, model=model) is not None
    return made


async def refresh_generated_prompts(session: AsyncSession, project: Project, *, model: str) -> int:
    """Bring the project's GENERATED prompts up to date with the generator (a newer CoderAI
    may word prompts differently) before a job snapshots them; refined and hand-edited
    prompts stay as their authors made them. Returns the new versions made."""
    rows = await session.scalars(
        select(Variable)
        .join(Prompt, (Prompt.variable_id == Variable.id) & Prompt.is_active)
        .where(Variable.project_id == project.id, Prompt.origin == PromptOrigin.GENERATED)
    )
    context = context_of(project)
    made = 0
    for variable in rows.all():
        made += await regenerate(session, context, variable, model=model) is not None
    return made
