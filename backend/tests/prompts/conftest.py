"""The reviewed-sample scenario (tests.support.review_scenario) as a fixture here."""

from tests.support.review_scenario import scenario

__all__ = ["scenario"]
