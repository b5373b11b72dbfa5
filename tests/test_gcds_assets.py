"""The GC Design System files the pages use: copied from the pinned npm packages
(``make gcds``), served from our own static files, never from a CDN."""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(settings.BASE_DIR)
GCDS = ROOT / "static" / "gcds"
MANIFEST = json.loads((GCDS / "MANIFEST.json").read_text())


def test_the_copies_are_the_pinned_versions():
    package = json.loads((ROOT / "package.json").read_text())
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert MANIFEST["packages"] == package["devDependencies"]
    for name, version in package["devDependencies"].items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} is not pinned to one version"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


@pytest.mark.parametrize("name", sorted(MANIFEST["files"]))
def test_each_copy_is_unchanged_since_make_gcds(name):
    digest = hashlib.sha256((GCDS / name).read_bytes()).hexdigest()
    assert digest == MANIFEST["files"][name], f"static/gcds/{name} was edited by hand"


def test_every_copied_file_is_in_the_manifest():
    on_disk = {str(p.relative_to(GCDS)) for p in GCDS.rglob("*") if p.is_file()}
    assert on_disk - {"MANIFEST.json"} == set(MANIFEST["files"])


def test_the_licences_come_with_the_files():
    for name in ("LICENSE-tokens.txt", "LICENSE-lato.txt", "LICENSE-noto-sans.txt"):
        assert "Permission" in (GCDS / name).read_text() or "OFL" in (GCDS / name).read_text()


def test_fonts_are_served_from_here():
    css = (GCDS / "fonts.css").read_text()
    for url in re.findall(r'url\("([^"]+)"\)', css):
        assert not url.startswith(("http:", "https:", "//"))
        assert (GCDS / url).is_file()


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_pages_load_the_design_system_from_our_static_files(lang):
    html = Client().get(f"/{lang}/").content.decode()
    assert "/static/gcds/tokens.css" in html and "/static/gcds/fonts.css" in html
    assert f"/static/gcds/signature-{lang}.svg" in html
    assert f"/static/gcds/wordmark-{lang}.svg" in html
    assert not re.search(r'<(?:link|script|img)[^>]+(?:href|src)="(?:https?:)?//', html), "no CDN"
