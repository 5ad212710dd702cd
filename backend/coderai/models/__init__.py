"""ORM models; importing this package registers every table on `Base.metadata`."""

from coderai.models.base import Base
from coderai.models.document import Document
from coderai.models.extraction import Extraction, ExtractionFeedback
from coderai.models.job import JobItem, ProcessingJob, ProcessingLog
from coderai.models.project import Project
from coderai.models.variable import Prompt, Variable

__all__ = [
    "Base",
    "Document",
    "Extraction",
    "ExtractionFeedback",
    "JobItem",
    "ProcessingJob",
    "ProcessingLog",
    "Project",
    "Prompt",
    "Variable",
]
