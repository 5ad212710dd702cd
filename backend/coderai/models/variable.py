"""Variable (one column of the dataset) and its versioned prompts."""

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coderai.models.base import Base, Timestamps, UUIDPrimaryKey
from coderai.models.enums import PromptOrigin, VariableType
from coderai.models.project import pg_enum

if TYPE_CHECKING:
    from coderai.models.project import Project


class Variable(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "variables"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_variables_project_name"),)

    project_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[VariableType] = mapped_column(pg_enum(VariableType, "variable_type"))
    instructions: Mapped[str] = mapped_column(Text)
    classification_rules: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    uncertainty_handling: Mapped[dict[str, Any]] = mapped_column(JSONB)
    edge_cases: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    validation_rules: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    default_value: Mapped[Any | None] = mapped_column(JSONB(none_as_null=True))
    order: Mapped[int] = mapped_column(Integer)
    # Bumped on every change of the definition; prompts carry their own version.
    version: Mapped[int] = mapped_column(Integer, default=1)

    project: Mapped["Project"] = relationship(back_populates="variables", lazy="raise")
    prompts: Mapped[list["Prompt"]] = relationship(
        back_populates="variable",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Prompt.version",
    )


class Prompt(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("variable_id", "version", name="uq_prompts_variable_version"),
        # At most one active prompt per variable, enforced by the database.
        Index(
            "uq_prompts_one_active",
            "variable_id",
            unique=True,
            postgresql_where=text("is_active"),
        ),
    )

    variable_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("variables.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=False)
    prompt_text: Mapped[str] = mapped_column(Text)
    llm_config: Mapped[dict[str, Any]] = mapped_column("model_config", JSONB)
    response_schema: Mapped[dict[str, Any]] = mapped_column(JSONB)
    origin: Mapped[PromptOrigin] = mapped_column(pg_enum(PromptOrigin, "prompt_origin"))
    content_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    variable: Mapped[Variable] = relationship(back_populates="prompts", lazy="raise")
