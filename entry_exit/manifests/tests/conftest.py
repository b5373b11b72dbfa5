import pytest


@pytest.fixture(autouse=True)
def _entry_exit_settings(settings, tmp_path):
    """As for entry_exit's own tests: outbound files in the test's own folder, phase 1
    unless the test says otherwise, and no carrier declared."""
    settings.ENTRY_EXIT_OUTBOX_DIR = tmp_path / "outbox"
    settings.ENTRY_EXIT_PHASE = 1
    settings.ENTRY_EXIT_TRANSPORT = "folder"
    settings.ENTRY_EXIT_RETENTION_YEARS = 15
    settings.ENTRY_EXIT_CARRIERS = {}
