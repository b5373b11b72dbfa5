"""Entry/Exit: the Canada–US exchange of land entry records (seed 004).

A record of a traveller's land entry into one country serves as the record of their exit
from the other. This app keeps the crossing records, the ports they happen at, and every
file exchanged with the partner; it decides — in one declared place — which records may
ever leave Canada.

Layout (the house shape; add to it, do not fork it):

* ``choices.py`` — the vocabulary: status categories, events, sources, document types.
* ``rules.py`` — the share rules, declared once per phase; the outbound query, the
  re-check before writing and the ``OutboundItem`` check constraint are all built from
  it; ``docs/entry_exit_rules.md`` is rendered from it (``manage.py entry_exit_rules_doc``).
* ``models.py`` — ``Port``, ``CrossingRecord``, ``ExchangeBatch``, ``OutboundItem``.
* ``reference.py`` + ``data/ports.json`` — the ports of entry (``ports_import_reference``;
  migration 0002 loads them).
* ``names.py`` — names normalised for matching (ICAO Doc 9303 transliteration).
* ``countries.py`` — the country codes a record may carry (ISO 3166-1 alpha-3, ICAO).
* ``validation.py`` — one raw row → clean record values or ``RowError``s; every feed
  (the inbound endpoint, the import command, CBSA primary) goes through it.
* ``exchange_format.py`` — the JSON Lines file (``docs/entry_exit_exchange.md``,
  ``docs/entry_exit_outbound.schema.json``).
* ``transport.py`` — how a file reaches the partner (``ENTRY_EXIT_TRANSPORT``).
* ``services/`` — every write: ``records.py`` (storing rows), ``outbound.py`` (build,
  write, send, the periodic run).
* ``selectors.py`` — non-trivial reads; ``tasks.py`` — thin Celery tasks.
* ``errors.py`` — ``EntryExitError``, the app's one domain error.

Not here yet (issue 11, later parts): the inbound endpoint and import command, the
consultation log, the retention purge, staff roles and pages, the benchmark.
"""
