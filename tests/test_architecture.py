"""The layers drawn in docs/architecture.md are the ones import-linter checks."""

import re
import tomllib
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent


def _declared() -> list[str]:
    config = tomllib.loads((BASE / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return layers["layers"]


def test_the_architecture_page_draws_the_declared_layers():
    page = (BASE / "docs" / "architecture.md").read_text()
    drawn = re.search(r"<!-- layers: [^>]*-->\n```\n(.*?)\n```", page, re.DOTALL)
    assert drawn, "docs/architecture.md lost its layers block"
    assert drawn[1].splitlines() == _declared()


def test_every_app_is_in_a_layer():
    config = tomllib.loads((BASE / "pyproject.toml").read_text())["tool"]["importlinter"]
    in_layers = {app.strip() for layer in _declared() for app in layer.split("|")}
    assert in_layers == set(config["root_packages"])
    apps = {
        path.parent.name for path in BASE.glob("*/apps.py") if path.parent.name not in {"tests"}
    } | {"nexus_portal"}
    assert apps <= in_layers, f"apps in no layer: {sorted(apps - in_layers)}"
