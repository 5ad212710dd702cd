"""Export request and response models (the contract's ExportConfig, extended)."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import Field, model_validator

from coderai.core.schemas import CamelModel, StrictCamelModel


class ExportFormat(StrEnum):
    """File formats; CSV_WIDE and CSV_LONG are the contract's, and imply their layout."""

    CSV_WIDE = "CSV_WIDE"
    CSV_LONG = "CSV_LONG"
    CSV = "CSV"
    EXCEL = "EXCEL"
    JSON = "JSON"
    PARQUET = "PARQUET"
    STATA = "STATA"


class ExportLayout(StrEnum):
    WIDE = "WIDE"
    LONG = "LONG"


_IMPLIED_LAYOUT = {
    ExportFormat.CSV_WIDE: ExportLayout.WIDE,
    ExportFormat.CSV_LONG: ExportLayout.LONG,
}


class ExportConfig(StrictCamelModel):
    format: ExportFormat
    layout: ExportLayout | None = Field(
        default=None, description="WIDE (default) or LONG; CSV_WIDE/CSV_LONG imply it."
    )
    include_confidence: bool = True
    include_source_text: bool = False
    min_confidence: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Values below this confidence are blanked (status BELOW_THRESHOLD).",
    )
    job_id: uuid.UUID | None = Field(
        default=None,
        description="Default: the latest COMPLETE FULL job, else the latest COMPLETE SAMPLE job.",
    )

    @model_validator(mode="after")
    def _layout_matches_format(self) -> "ExportConfig":
        implied = _IMPLIED_LAYOUT.get(self.format)
        if implied is not None and self.layout is not None and self.layout is not implied:
            raise ValueError(f"format {self.format} implies layout {implied}, not {self.layout}")
        return self

    @property
    def effective_layout(self) -> ExportLayout:
        return _IMPLIED_LAYOUT.get(self.format) or self.layout or ExportLayout.WIDE


class ExportRead(CamelModel):
    """Where to fetch the file (a signed link that expires) and what it holds."""

    download_url: str
    file_size: int
    expires_at: datetime
    filename: str
    format: ExportFormat
    layout: ExportLayout
    job_id: uuid.UUID
    row_count: int
    column_count: int
    codebook_url: str = Field(description="The codebook as JSON (same expiry).")
