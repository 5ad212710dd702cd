"""Project: the research question's context and what one row of the dataset represents."""

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Enum, Numeric, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coderai.models.base import Base, Timestamps, UUIDPrimaryKey
from coderai.models.enums import ProjectScale, ProjectStatus

if TYPE_CHECKING:
    from coderai.models.variable import Variable


def pg_enum(enum_cls: type[Any], name: str) -> Enum:
    """A native PostgreSQL enum storing the members' values."""
    return Enum(enum_cls, name=name, values_callable=lambda members: [m.value for m in members])


class Project(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "projects"

    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    domain: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(64), default="en")
    document_type: Mapped[str | None] = mapped_column(String(255))
    scale: Mapped[ProjectScale] = mapped_column(pg_enum(ProjectScale, "project_scale"))
    status: Mapped[ProjectStatus] = mapped_column(
        pg_enum(ProjectStatus, "project_status"), default=ProjectStatus.CREATED, index=True
    )
    unit_of_observation: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The budget cap a job of this project gets when its request names none (None: no cap).
    budget_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 6))
    # The project's model over the environment's: any of provider, model, baseUrl,
    # temperature, apiKeyEnv (a variable's name, never a key). Null: the environment's.
    llm: Mapped[dict[str, Any] | None] = mapped_column(JSONB)

    variables: Mapped[list["Variable"]] = relationship(
        back_populates="project",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Variable.order",
    )
