import pytest


@pytest.fixture(autouse=True)
def _reconciliation_settings(settings):
    settings.ENTRY_EXIT_AUTHORISED_STAY_DAYS = {
        "us_citizen": 183,
        "lawful_permanent_resident_us": 183,
        "foreign_national": 183,
    }
