import pytest


@pytest.fixture(autouse=True)
def _entry_exit_settings(settings, tmp_path):
    """Every test writes outbound files into its own folder, under phase 1 unless it
    says otherwise."""
    settings.ENTRY_EXIT_OUTBOX_DIR = tmp_path / "outbox"
    settings.ENTRY_EXIT_PHASE = 1
    settings.ENTRY_EXIT_TRANSPORT = "folder"
    settings.ENTRY_EXIT_RETENTION_YEARS = 15
    settings.ENTRY_EXIT_BATCH_SECONDS = 300
