"""docs/workflow.md is generated from the declared transitions and cannot drift from them."""

import collections
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from enrolment.models import Application
from interviews.management.commands.workflow_diagram import render
from interviews.models import TERMINAL_STATES, TRANSITIONS, Interview

DOC = settings.BASE_DIR / "docs" / "workflow.md"


def _table_rows(text: str) -> list[tuple[str, ...]]:
    """The transition table's data rows, as cells without Markdown code marks."""
    rows = []
    for line in text.splitlines():
        if line.startswith("| `"):
            rows.append(tuple(cell.strip().strip("`") for cell in line.strip("|").split("|")))
    return rows


def _mermaid(text: str) -> str:
    match = re.search(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_committed_workflow_doc_is_what_the_command_generates():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/workflow.md is out of date: run `python manage.py workflow_diagram`"
    )


def test_check_passes_when_up_to_date_and_fails_on_drift(tmp_path):
    output = tmp_path / "workflow.md"
    call_command("workflow_diagram", output=output, stdout=StringIO())
    assert output.read_text(encoding="utf-8") == render()
    call_command("workflow_diagram", "--check", output=output, stdout=StringIO())

    output.write_text(render().replace("cbsa_pass", "cbsa_passes"), encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("workflow_diagram", "--check", output=output, stdout=StringIO())
    assert "cbsa_passes" in output.read_text(encoding="utf-8")  # --check writes nothing


def test_every_state_is_in_the_diagram():
    diagram = _mermaid(render())
    assert diagram.startswith("stateDiagram-v2\n")
    for state in Interview.State.values:
        assert re.search(rf"^    state \".+\" as {state}$", diagram, re.MULTILINE), state
    assert f"    [*] --> {Interview.State.AWAITING_INTERVIEW}\n" in diagram
    ends = set(re.findall(r"^    (\w+) --> \[\*\]$", diagram, re.MULTILINE))
    assert ends == set(TERMINAL_STATES)


def test_the_diagram_has_one_arrow_per_source_target_and_action():
    diagram = _mermaid(render())
    arrows = re.findall(r"^    (\w+) --> (\w+): (\w+)(?:<br/>|$)", diagram, re.MULTILINE)
    assert collections.Counter(arrows) == collections.Counter(
        set((t.source, t.target, t.action) for t in TRANSITIONS)
    )


def test_every_transition_is_in_the_table_exactly_once():
    agencies = {"cbsa": "CBSA", "cbp": "CBP", None: "applicant or system"}
    expected = collections.Counter()
    for t in TRANSITIONS:
        paths = ", ".join(p for p in Application.Path.values if p in t.paths)
        conditions = [f"referred at {t.resume}"] if t.resume else []
        conditions += [f"needs {t.setting}"] if t.setting else []
        expected[
            (t.action, t.source, t.target, agencies[t.agency], paths, "; ".join(conditions) or "—")
        ] += 1
    assert max(expected.values()) == 1, "a transition is declared twice"
    assert collections.Counter(_table_rows(render())) == expected
    assert f"## Every transition ({len(TRANSITIONS)})" in render()
