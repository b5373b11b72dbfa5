"""manage.py entry_exit_import FILE: the inbound service, a progress bar on a terminal and a
summary; non-zero when the batch is refused."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from entry_exit.management.commands.entry_exit_import import ProgressBar
from entry_exit.models import BatchStatus, CrossingRecord, ExchangeBatch
from entry_exit.tests.batches import US_PORT, partner_batch, us_row
from entry_exit.tests.factories import PortFactory


@pytest.fixture(autouse=True)
def us_port(db):
    return PortFactory(code=US_PORT, us=True)


def run(*args) -> str:
    out = io.StringIO()
    call_command("entry_exit_import", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path, body: bytes, name="cbp-batch.jsonl"):
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_it_imports_a_file_and_prints_a_summary(tmp_path):
    rows = [us_row(0), us_row(1, sex="Q"), us_row(2)]
    path = write(tmp_path, partner_batch(rows, batch_id=31))

    out = run(str(path))

    batch = ExchangeBatch.objects.get(partner_batch_id=31)
    assert batch.status == BatchStatus.PARTIALLY_IMPORTED
    assert batch.file_name == "cbp-batch.jsonl"
    assert batch.handled_by == "manage.py entry_exit_import"
    assert "Batch 31 from cbp: imported" in out
    assert re.search(r"records in file: +3\n", out)
    assert re.search(r"imported: +2\n", out)
    assert re.search(r"already held: +0\n", out)
    assert re.search(r"rows refused: +1\n", out)
    assert f"sha256:            {batch.checksum}" in out
    assert re.search(r"time: +\d+\.\d\d s", out)
    assert "line 3: sex: sex: Sex is M, F or X." in out


def test_a_file_imported_twice_changes_nothing(tmp_path):
    path = write(tmp_path, partner_batch([us_row(0), us_row(1)], batch_id=32))
    run(str(path))

    out = run(str(path))

    assert "already imported (nothing changed)" in out
    assert CrossingRecord.objects.count() == 2
    assert ExchangeBatch.objects.count() == 1


def test_a_refused_batch_exits_non_zero_with_its_summary(tmp_path):
    body = partner_batch([us_row(0)], batch_id=33).replace(b"Okafor", b"Okafoe")
    path = write(tmp_path, body)
    out = io.StringIO()

    with pytest.raises(CommandError, match="refused: checksum"):
        call_command("entry_exit_import", str(path), stdout=out)

    assert "REFUSED" in out.getvalue()
    assert "line 1: records_sha256: checksum" in out.getvalue()
    assert CrossingRecord.objects.count() == 0


def test_an_unknown_partner_or_a_missing_file_is_an_error(tmp_path):
    path = write(tmp_path, partner_batch([us_row(0)]))
    with pytest.raises(CommandError, match="Unknown partner"):
        run(str(path), "--partner", "nobody")
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.jsonl"))


def test_a_declared_partner_names_its_sender_and_source(tmp_path, settings):
    PortFactory(code="T-CA-LOOP")
    settings.ENTRY_EXIT_PARTNERS = {
        "loopback": {"secret": "s" * 32, "sender": "CBSA", "source": "cbsa_primary"}
    }
    row = us_row(0, event="land_entry_canada", port_code="T-CA-LOOP")
    path = write(tmp_path, partner_batch([row], sender="CBSA"))

    run(str(path), "--partner", "loopback")

    assert CrossingRecord.objects.get().source == "cbsa_primary"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_draws_on_a_terminal_only():
    terminal = _Terminal()
    bar = ProgressBar(terminal, 200)
    bar(50)
    bar(200)
    bar.close()
    assert "[#######-----------------------]  25% 50/200 records" in terminal.getvalue()
    assert "100% 200/200 records\n" in terminal.getvalue()

    piped = io.StringIO()
    ProgressBar(piped, 200)(50)
    assert piped.getvalue() == ""
