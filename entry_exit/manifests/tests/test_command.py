"""manage.py entry_exit_manifest_import FILE: the same import, a summary, faults by place."""

from datetime import date

import pytest
from django.core.management import CommandError, call_command

from entry_exit.manifests.synthetic import paxlst_interchange
from entry_exit.manifests.tests.messages import interchange, message, passenger
from entry_exit.models import CrossingRecord

pytestmark = pytest.mark.django_db


def run(path, *args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("entry_exit_manifest_import", str(path), *args, stdout=out)
    return out.getvalue()


def test_it_imports_a_file_and_says_what_it_did(tmp_path):
    path = tmp_path / "day.edi"
    path.write_bytes(paxlst_interchange(seed=5, day=date(2026, 1, 2), flights=2, passengers=5))

    output = run(path)

    assert "imported" in output and "air exits imported:    10" in output
    assert CrossingRecord.objects.filter(event="air_exit").count() == 10
    assert "already imported (nothing changed)" in run(path)
    assert CrossingRecord.objects.filter(event="air_exit").count() == 10


def test_it_lists_the_faults_by_place(tmp_path):
    path = tmp_path / "bad.edi"
    bad = message([passenger("GAGNON")], reference="2", flight="AC2", unt_count=4)
    path.write_bytes(interchange([message([passenger()], departs="2601021340"), bad]))

    output = run(path)

    assert "message 2 segment 17 (UNT element 1): unt_count:" in output
    assert "messages refused:      1" in output


def test_a_refused_interchange_fails_the_command(tmp_path):
    path = tmp_path / "broken.edi"
    path.write_bytes(b"UNH+1+PAXLST'")
    with pytest.raises(CommandError, match="refused: unb"):
        run(path)


def test_a_declared_carrier_checks_its_airlines(tmp_path, settings):
    settings.ENTRY_EXIT_CARRIERS = {"ws": {"secret": "s" * 32, "airlines": ["WS"]}}
    path = tmp_path / "ac.edi"
    path.write_bytes(paxlst_interchange(seed=5, day=date(2026, 1, 2), flights=1, passengers=2))
    output = run(path, "--carrier", "ws")
    assert "airline" in output
    assert not CrossingRecord.objects.exists()


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "nowhere.edi")
