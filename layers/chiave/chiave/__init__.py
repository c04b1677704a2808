"""Chiave: credentials for Italian school registers (shared Lambda layer package).

A function module's first import is of this package (functions/*/app.py
import nothing else first), so on Lambda the cyclic garbage collector is
paused before any library loads, until the module calls coldstart.ready()."""

from chiave.runtime import coldstart

coldstart.pause_collector()
