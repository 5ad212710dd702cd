"""The unit of observation: what one row of the dataset is. Pure pydantic, read by the prompt
generator and the extraction engine as well as the project's wire schemas."""

from pydantic import Field, model_validator

from coderai.core.schemas import StrictCamelModel
from coderai.models.enums import ObservationMode


class UnitOfObservation(StrictCamelModel):
    """What one row of the dataset is: the whole document, or each entity found in it."""

    mode: ObservationMode = ObservationMode.DOCUMENT
    what_each_row_represents: str = Field(default="one document", min_length=1, max_length=500)
    entity_identification_pattern: str | None = Field(default=None, max_length=2000)
    rows_per_document: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _entity_needs_pattern(self) -> "UnitOfObservation":
        if self.mode is ObservationMode.ENTITY and not (
            self.entity_identification_pattern and self.entity_identification_pattern.strip()
        ):
            raise ValueError(
                "entityIdentificationPattern is required when mode is ENTITY "
                "(say how to recognise one entity in a document)"
            )
        return self
