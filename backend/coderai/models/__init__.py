"""ORM models; importing this package registers every table on `Base.metadata`."""

from coderai.models.base import Base
from coderai.models.document import Document
from coderai.models.extraction import Extraction, ExtractionFeedback
from coderai.models.identity import ApiToken, AuditEvent, Membership, User, UserSession
from coderai.models.job import JobItem, ProcessingJob, ProcessingLog
from coderai.models.project import Project
from coderai.models.study import (
    ReliabilityStudy,
    StudyCoder,
    StudyCoding,
    StudyGold,
    StudyUnit,
)
from coderai.models.variable import Prompt, Variable

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Base",
    "Document",
    "Extraction",
    "ExtractionFeedback",
    "JobItem",
    "Membership",
    "ProcessingJob",
    "ProcessingLog",
    "Project",
    "Prompt",
    "ReliabilityStudy",
    "StudyCoder",
    "StudyCoding",
    "StudyGold",
    "StudyUnit",
    "User",
    "UserSession",
    "Variable",
]
