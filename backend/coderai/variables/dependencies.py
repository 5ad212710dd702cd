"""`VariableDep`: the variable named in the path, or 404."""

import uuid
from typing import Annotated

from fastapi import Depends, Path

from coderai.core.dependencies import SessionDep
from coderai.models import Variable
from coderai.variables import service as variable_service


async def load_variable(
    variable_id: Annotated[uuid.UUID, Path(alias="variableId")], session: SessionDep
) -> Variable:
    return await variable_service.get_variable(session, variable_id)


VariableDep = Annotated[Variable, Depends(load_variable)]
