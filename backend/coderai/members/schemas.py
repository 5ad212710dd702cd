"""Members and the activity feed on the wire."""

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from coderai.auth.schemas import Email
from coderai.core.schemas import CamelModel, StrictCamelModel
from coderai.models.enums import ProjectRole


class MemberRead(CamelModel):
    user_id: uuid.UUID
    email: str
    display_name: str
    role: ProjectRole
    created_at: datetime


class MemberAdd(StrictCamelModel):
    email: Email = Field(description="An existing account's email")
    role: ProjectRole


class MemberUpdate(StrictCamelModel):
    role: ProjectRole


class ActivityRead(CamelModel):
    id: int
    created_at: datetime
    user_id: uuid.UUID | None
    user_email: str | None
    project_id: uuid.UUID | None
    action: str = Field(description="The operation id of what was done (e.g. `jobs-create`)")
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]
