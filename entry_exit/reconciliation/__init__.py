"""Reconciliation of entries into Canada with exits from it, stays and suspected overstays
(issue 12, parts 2 and 3). See ``docs/entry_exit_reconciliation.md``."""
