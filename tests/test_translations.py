"""The French catalogue: complete, faithful to its placeholders, compiled, and in use.

The .po file is read with a small pure-Python parser, so these tests need no gettext
tools. Where xgettext is installed, one more test regenerates the catalogue from a copy
of the source tree and fails if any user-facing string is missing from it.
"""

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale"
PO_PATH = LOCALE_DIR / "fr" / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")

# The exact makemessages run that produces the committed catalogue.
MAKEMESSAGES_ARGS = (
    "makemessages",
    "--locale",
    "fr",
    "--no-obsolete",
    "--ignore",
    ".venv/*",
    "--ignore",
    "bench/*",
    "--ignore",
    "tests/*",
    "--ignore",
    "*/tests/*",
)
# What makemessages reads (its default extensions are html, txt and py).
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
SKIPPED_DIRS = {".venv", "var", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")

PYTHON_FORMAT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?"  # optional mapping key
    r"[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"  # flags, width, precision, length
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
NAMED_PLACEHOLDER = re.compile(r"%\([^)]*\)")
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def label(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


def unquote(token: str) -> str:
    """A C-style quoted PO string to its text."""
    assert token.startswith('"') and token.endswith('"'), token
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(1)), token[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Entries of a PO file: msgctxt, plurals, multi-line strings, flags, obsolete ``#~``."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # the keyword continuation lines extend
    pending_flags: set[str] = set()

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):  # previous msgid of an obsolete fuzzy entry
                continue
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if entry is not None and entry.msgstr:  # comments open the next entry
                finish()
            if line.startswith("#,"):
                pending_flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue  # translator, extracted, reference and previous-msgid comments
        if line.startswith('"'):
            assert entry is not None and target is not None, f"stray string at line {number}"
            keyword, index = target
            value = unquote(line)
            if keyword == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif keyword == "msgid":
                entry.msgid += value
            elif keyword == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            else:
                entry.msgstr[index] += value
            continue
        match = KEYWORD.match(line)
        assert match, f"cannot parse line {number}: {raw!r}"
        keyword, index, token = match.group(1), match.group(2), match.group(3)
        value = unquote(token)
        starts_entry = keyword in ("msgctxt", "msgid")
        if starts_entry and entry is not None and (entry.msgstr or keyword == "msgctxt"):
            finish()
        if entry is None:
            entry = Entry(flags=pending_flags, obsolete=obsolete, line=number)
            pending_flags = set()
        if keyword == "msgctxt":
            entry.msgctxt = value
            target = ("msgctxt", 0)
        elif keyword == "msgid":
            entry.msgid = value
            target = ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.msgid_plural = value
            target = ("msgid_plural", 0)
        else:
            position = int(index) if index is not None else 0
            entry.msgstr[position] = value
            target = ("msgstr", position)
    finish()
    return entries


def read_catalogue(path: Path | None = None) -> list[Entry]:
    return parse_po((path or PO_PATH).read_text(encoding="utf-8"))


def messages(entries: list[Entry]) -> list[Entry]:
    """The live translatable entries: no header, no obsolete ``#~`` leftovers."""
    return [e for e in entries if not e.is_header and not e.obsolete]


def header_fields(entries: list[Entry]) -> dict[str, str]:
    header = next(e for e in entries if e.is_header and not e.obsolete)
    pairs = (line.split(":", 1) for line in header.msgstr[0].splitlines() if ":" in line)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def placeholders(text: str) -> list[str]:
    """Python-format conversions, in order, without the literal ``%%``."""
    return [m.group(0) for m in PYTHON_FORMAT.finditer(text) if m.group("conv") != "%"]


def untranslated(entries: list[Entry]) -> list[str]:
    return [
        e.label
        for e in messages(entries)
        if e.is_fuzzy or not e.msgstr or any(value == "" for value in e.msgstr.values())
    ]


# The parser itself -------------------------------------------------------------------


def test_parser_reads_context_plurals_multiline_strings_flags_and_obsolete_entries():
    text = "\n".join(
        [
            'msgid ""',
            'msgstr ""',
            '"Language: fr\\n"',
            "",
            "#: a.py:1",
            "#, fuzzy, python-format",
            'msgctxt "month"',
            'msgid "May"',
            'msgstr "mai"',
            "",
            "#, python-format",
            'msgid ""',
            '"%(count)d long "',
            '"line"',
            'msgid_plural "%(count)d \\"lines\\""',
            'msgstr[0] "%(count)d ligne"',
            'msgstr[1] ""',
            '"%(count)d lignes"',
            "",
            '#~ msgid "Gone"',
            '#~ msgstr "Parti"',
        ]
    )

    header, month, lines, gone = parse_po(text)

    assert header.is_header and header.msgstr == {0: "Language: fr\n"}
    assert (month.msgctxt, month.msgid, month.msgstr) == ("month", "May", {0: "mai"})
    assert month.flags == {"fuzzy", "python-format"}
    assert lines.msgid == "%(count)d long line"
    assert lines.msgid_plural == '%(count)d "lines"'
    assert lines.msgstr == {0: "%(count)d ligne", 1: "%(count)d lignes"}
    assert lines.flags == {"python-format"} and not lines.obsolete
    assert gone.obsolete and gone.msgid == "Gone" and gone.msgstr == {0: "Parti"}


def test_untranslated_finds_empty_plural_forms_and_fuzzy_entries():
    text = "\n".join(
        [
            'msgid "A"',
            'msgstr "Un"',
            "",
            'msgid "%(n)d B"',
            'msgid_plural "%(n)d Bs"',
            'msgstr[0] "%(n)d b"',
            'msgstr[1] ""',
            "",
            "#, fuzzy",
            'msgid "C"',
            'msgstr "Cé"',
            "",
            '#~ msgid "Old"',
            '#~ msgstr ""',
        ]
    )

    assert untranslated(parse_po(text)) == ["line 4: '%(n)d B'", "line 10: 'C'"]


# The committed catalogue -------------------------------------------------------------


def test_catalogue_header_declares_french_plural_forms_and_utf8():
    fields = header_fields(read_catalogue())

    assert fields["language"] == "fr"
    assert fields["plural-forms"] == "nplurals=2; plural=(n > 1);"
    assert fields["content-type"] == "text/plain; charset=UTF-8"


def test_catalogue_has_translatable_entries():
    assert len(messages(read_catalogue())) > 100


def test_every_entry_is_translated_and_none_is_fuzzy():
    assert untranslated(read_catalogue()) == []


def test_plural_entries_fill_both_french_plural_forms():
    plural_entries = [e for e in messages(read_catalogue()) if e.msgid_plural is not None]

    assert plural_entries
    assert [e.label for e in plural_entries if sorted(e.msgstr) != [0, 1]] == []


def test_every_python_format_placeholder_of_the_source_is_kept_in_the_translation():
    problems = []
    for entry in messages(read_catalogue()):
        sources = [entry.msgid] + ([entry.msgid_plural] if entry.msgid_plural else [])
        if "python-format" not in entry.flags and not any(
            NAMED_PLACEHOLDER.search(s) for s in sources
        ):
            continue
        expected = {p for source in sources for p in placeholders(source)}
        for index, translation in sorted(entry.msgstr.items()):
            found = set(placeholders(translation))
            if not expected <= found:
                problems.append(f"{entry.label} msgstr[{index}] lacks {expected - found}")
            if found - expected:
                problems.append(f"{entry.label} msgstr[{index}] adds {found - expected}")

    assert problems == []


# French typography: a no-break space (U+00A0, or the narrow U+202F) before « : », « ; »,
# « ! » and « ? », and inside « », so a line never breaks between them and the word.
NO_BREAK_SPACES = "\u00a0\u202f"
# Markup, addresses and placeholders are not prose: "https://", "?move=", "%(when)s".
NOT_PROSE = re.compile(r"<[^>]*>|https?://\S+|\{[{%].*?[%}]\}|%\([^)]*\)[a-z]|&\w+;")


def typography_problems(text: str) -> list[str]:
    """Each punctuation mark of ``text`` that lacks its no-break space, with its context."""
    prose = NOT_PROSE.sub(lambda m: "\0" * len(m.group(0)), text)
    problems = []
    for i, char in enumerate(prose):
        before = prose[i - 1] if i else ""
        after = prose[i + 1] if i + 1 < len(prose) else ""
        if char in ":;!?":
            # "YYMMDD:HHMM", "10:30", "a;b": a token, not punctuation in a sentence.
            if i == 0 or (before.isalnum() and after.isalnum()):
                continue
            missing = before not in NO_BREAK_SPACES
        elif char == "«":
            missing = after not in NO_BREAK_SPACES
        elif char == "»":
            missing = before not in NO_BREAK_SPACES
        else:
            continue
        if missing:
            problems.append(f"{char} at {text[max(i - 15, 0) : i + 6]!r}")
    return problems


def test_typography_check_finds_missing_and_ordinary_spaces_and_spares_tokens():
    def marks(text: str) -> list[str]:
        return [problem.split(" at ")[0] for problem in typography_problems(text)]

    assert marks('Quand\u00a0: «\u00a0ici\u00a0» ; là? <a href="/?a=1">x</a>') == [";", "?"]
    assert marks("«ici »! Oui:") == ["«", "»", "!", ":"]
    assert marks("10:30, https://x.ca/y?z=1, %(when)s, YYMMDD:HHMM, &amp;") == []
    assert marks("Adresse\u202f; Où\u00a0? Oui\u00a0!") == []


def test_french_translations_put_a_no_break_space_before_double_punctuation_and_in_quotes():
    problems = [
        f"{entry.label}: {problem}"
        for entry in messages(read_catalogue())
        for translation in entry.msgstr.values()
        for problem in typography_problems(translation)
    ]

    assert problems == []


def test_compiled_catalogue_is_up_to_date_with_the_po_file():
    assert MO_PATH.exists(), "run: manage.py compilemessages --locale fr"
    with MO_PATH.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)

    stale = []
    for entry in messages(read_catalogue()):
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = compiled.gettext(entry.msgid)
            else:
                got = compiled.pgettext(entry.msgctxt, entry.msgid)
            if got != entry.msgstr.get(0):
                stale.append(f"{entry.label}: .mo has {got!r}")
            continue
        for n in (0, 1, 2, 5):
            if entry.msgctxt is None:
                got = compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            if got != entry.msgstr.get(compiled.plural(n)):
                stale.append(f"{entry.label} (n={n}): .mo has {got!r}")

    assert stale == [], "run: manage.py compilemessages --locale fr"


# The catalogue against the code ------------------------------------------------------


def copy_source_tree(destination: Path) -> None:
    """The files makemessages reads, plus the locale folder, without the heavy parts."""
    for directory, subdirectories, files in os.walk(BASE_DIR):
        subdirectories[:] = sorted(d for d in subdirectories if d not in SKIPPED_DIRS)
        here = Path(directory)
        relative = here.relative_to(BASE_DIR)
        in_locale = relative.parts[:1] == ("locale",)
        for name in files:
            if in_locale or Path(name).suffix in SOURCE_SUFFIXES:
                target = destination / relative / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(here / name, target)


def test_catalogue_covers_every_user_facing_string_in_the_code(tmp_path):
    missing_tools = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing_tools:
        pytest.skip(f"GNU gettext tools not installed: {', '.join(missing_tools)}")
    copy_source_tree(tmp_path)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nexus_portal.settings"}

    result = subprocess.run(  # noqa: S603 - fixed argv: this interpreter and manage.py
        [sys.executable, "manage.py", *MAKEMESSAGES_ARGS],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    regenerated = read_catalogue(tmp_path / PO_PATH.relative_to(BASE_DIR))
    assert len(messages(regenerated)) >= len(messages(read_catalogue()))
    assert untranslated(regenerated) == [], (
        "strings in the code are missing from (or changed since) the French catalogue; "
        "run makemessages, translate them, then compilemessages"
    )


# The catalogue in use ----------------------------------------------------------------


@pytest.mark.django_db
def test_french_home_page_is_served_in_french(client):
    response = client.get("/fr/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Passer au contenu principal" in html
    assert "Skip to main content" not in html
    assert "Portail NEXUS" in html
