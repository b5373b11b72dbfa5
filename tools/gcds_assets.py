"""Copy the GC Design System files the pages use from node_modules into static/gcds/.

Run by ``make gcds`` after ``npm ci`` has installed the versions pinned in package.json.
The copies are committed, so that ``make run`` needs no npm; a test checks them against
the manifest this writes (tests/test_gcds_assets.py), and CI runs ``make gcds`` and fails
when the copies differ from what the pinned packages give.

What is taken, and why:
- the design tokens (colours, typography, spacing, and each component's values) as CSS
  custom properties: static/css/site.css builds the header, footer, buttons, fields,
  error summary, notices, date input and stepper from them;
- the fonts (Lato for headings, Noto Sans for text), WOFF2 only, with their @font-face
  rules pointed at the copies (the packages' own CSS says "path/to/file");
- the Government of Canada signature and the Canada wordmark, in English and French;
- each package's licence.
Not taken: the web components' JavaScript (their form fields take part in a form only
with JavaScript, and every page here works without it) and the CSS shortcuts (1.2 MB).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules" / "@gcds-core"
TARGET = ROOT / "static" / "gcds"

SIGNATURES = ROOT / "node_modules/@gcds-core/components/dist/collection/components/gcds-signature"
FILES = {
    "tokens.css": "tokens/build/web/css/tokens.css",
    "LICENSE-tokens.txt": "tokens/LICENSE",
    "LICENSE-lato.txt": "fonts/fonts/lato/LICENSE.txt",
    "LICENSE-noto-sans.txt": "fonts/fonts/noto-sans/LICENSE.txt",
}
IMAGES = {
    "signature-en.svg": "assets/sig-blk-en.svg",
    "signature-fr.svg": "assets/sig-blk-fr.svg",
    "wordmark-en.svg": "assets/wmms-spl-en.svg",
    "wordmark-fr.svg": "assets/wmms-spl-fr.svg",
}
FONT_CSS = ("fonts/fonts/lato/gcds-lato.css", "fonts/fonts/noto-sans/gcds-noto-sans.css")
FACE = re.compile(r"@font-face\s*{[^}]*}", re.S)
WOFF2 = re.compile(r'url\("path/to/file/([\w.-]+\.woff2)"\)')


def font_faces() -> tuple[str, list[Path]]:
    """The @font-face rules only (not the packages' h1–h6 rules), WOFF2 from fonts/."""
    rules, files = [], []
    for css in FONT_CSS:
        source = MODULES / css
        for face in FACE.findall(source.read_text()):
            name = WOFF2.search(face)
            if name is None:
                raise SystemExit(f"{css}: a @font-face without a WOFF2 file")
            files.append(source.parent / name[1])
            src = f'src: url("fonts/{name[1]}") format("woff2");'
            rules.append(re.sub(r"src:[^;]*;", src, face) + "\n")
            rules[-1] = rules[-1].replace("{", "{\n  font-display: swap;", 1)
    return "".join(rules), files


def token(name: str) -> str:
    found = re.search(rf"--gcds-{name}:\s*([^;]+);", (MODULES / FILES["tokens.css"]).read_text())
    if found is None:
        raise SystemExit(f"tokens.css has no --gcds-{name}")
    return found[1].strip()


def coloured(svg: Path) -> str:
    """The signature in its colour variant: the component colours the flag and the text
    with its CSS, which an <img> does not see, so the same colours go inside the file."""
    style = (
        f"<style>.fip_flag{{fill:{token('signature-color-flag')}}}"
        f".fip_text{{fill:{token('signature-color-text')}}}</style>"
    )
    text = svg.read_text()
    head = text.index(">", text.index("<svg")) + 1
    return text[:head] + style + text[head:]


def versions() -> dict[str, str]:
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]
    found = {}
    for name, wanted in pinned.items():
        have = json.loads((ROOT / "node_modules" / name / "package.json").read_text())
        if have["version"] != wanted:
            raise SystemExit(
                f"{name}: package.json pins {wanted}, node_modules has {have['version']}"
            )
        found[name] = have["version"]
    return found


def main() -> None:
    if not MODULES.is_dir():
        raise SystemExit("node_modules/@gcds-core is missing: run `npm ci` first (make gcds)")
    found = versions()
    if TARGET.exists():
        shutil.rmtree(TARGET)
    (TARGET / "fonts").mkdir(parents=True)
    for name, source in FILES.items():
        shutil.copyfile(MODULES / source, TARGET / name)
    for name, source in IMAGES.items():
        (TARGET / name).write_text(coloured(SIGNATURES / source))
    faces, fonts = font_faces()
    header = "/* The GC Design System's fonts (@gcds-core/fonts), served from here. */\n"
    (TARGET / "fonts.css").write_text(header + faces)
    for font in fonts:
        shutil.copyfile(font, TARGET / "fonts" / font.name)
    manifest = {
        "packages": found,
        "files": {
            str(path.relative_to(TARGET)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(TARGET.rglob("*"))
            if path.is_file()
        },
    }
    (TARGET / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    sys.stdout.write(f"static/gcds: {len(manifest['files'])} files from {found}\n")


if __name__ == "__main__":
    main()
