"""Enumerations shared by the ORM, the API schemas and the services (UPPER_CASE on the wire)."""

from enum import StrEnum


class ProjectRole(StrEnum):
    """A member's role in a project, from most to least power (see `ROLE_RANK`)."""

    OWNER = "OWNER"
    EDITOR = "EDITOR"
    CODER = "CODER"
    VIEWER = "VIEWER"


ROLE_RANK = {
    ProjectRole.VIEWER: 1,
    ProjectRole.CODER: 2,
    ProjectRole.EDITOR: 3,
    ProjectRole.OWNER: 4,
}


class ProjectStatus(StrEnum):
    CREATED = "CREATED"
    SCHEMA_DEFINED = "SCHEMA_DEFINED"
    SAMPLE_TESTING = "SAMPLE_TESTING"
    READY = "READY"
    PROCESSING = "PROCESSING"
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"


class ProjectScale(StrEnum):
    SMALL = "SMALL"
    LARGE = "LARGE"


class ObservationMode(StrEnum):
    DOCUMENT = "DOCUMENT"
    ENTITY = "ENTITY"


class VariableType(StrEnum):
    TEXT = "TEXT"
    NUMBER = "NUMBER"
    DATE = "DATE"
    CATEGORY = "CATEGORY"
    BOOLEAN = "BOOLEAN"


class UncertainAction(StrEnum):
    """What the model does when it cannot decide (`uncertaintyHandling.ifUncertain`)."""

    LEAVE_EMPTY = "LEAVE_EMPTY"
    BEST_GUESS = "BEST_GUESS"
    FLAG_FOR_REVIEW = "FLAG_FOR_REVIEW"


class MultiValueAction(StrEnum):
    """What to do when a document gives several values (`uncertaintyHandling.ifMultipleValues`)."""

    FIRST = "FIRST"
    ALL = "ALL"
    MOST_FREQUENT = "MOST_FREQUENT"
    FLAG_FOR_REVIEW = "FLAG_FOR_REVIEW"


class PromptOrigin(StrEnum):
    GENERATED = "GENERATED"
    REFINED = "REFINED"
    MANUAL = "MANUAL"


class ContentType(StrEnum):
    PDF = "PDF"
    DOCX = "DOCX"
    TXT = "TXT"
    MD = "MD"
    HTML = "HTML"
    CSV_ROW = "CSV_ROW"
    JSON_ROW = "JSON_ROW"
    PARQUET_ROW = "PARQUET_ROW"
    SHEET_ROW = "SHEET_ROW"  # a row of an Excel or OpenDocument workbook's sheet


class DocumentStatus(StrEnum):
    UPLOADED = "UPLOADED"
    READY = "READY"
    FAILED = "FAILED"


class GroundingKind(StrEnum):
    """How a model's quote was located in the document text."""

    EXACT = "EXACT"
    NORMALIZED = "NORMALIZED"
    FUZZY = "FUZZY"
    NONE = "NONE"


class JobType(StrEnum):
    SAMPLE = "SAMPLE"
    FULL = "FULL"
    EVALUATION = "EVALUATION"


class JobStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    PAUSED = "PAUSED"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class JobItemStatus(StrEnum):
    PENDING = "PENDING"
    PROCESSING = "PROCESSING"
    DONE = "DONE"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class LogLevel(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class Verdict(StrEnum):
    CORRECT = "CORRECT"
    INCORRECT = "INCORRECT"
    PARTIALLY_CORRECT = "PARTIALLY_CORRECT"


class StudyMode(StrEnum):
    """BLIND: coders never see the model's or each other's values; VERIFY: they see the model's."""

    BLIND = "BLIND"
    VERIFY = "VERIFY"


class StudyStatus(StrEnum):
    OPEN = "OPEN"
    CLOSED = "CLOSED"
