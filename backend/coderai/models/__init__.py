"""ORM models; importing this package registers every table on `Base.metadata`."""

from coderai.models.base import Base
from coderai.models.project import Project
from coderai.models.variable import Prompt, Variable

__all__ = ["Base", "Project", "Prompt", "Variable"]
