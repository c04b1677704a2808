"""The local stack: the SAM application on one machine, over moto.

As on Lambda, where every function's process starts with the template's
global environment, this process takes it before anything imports `chiave`
(Powertools reads its settings when its Logger and Metrics are created)."""

from __future__ import annotations

import os

from chiave_local.emulator import template

for _name, _value in template.global_environment().items():
    if isinstance(_value, str):
        os.environ.setdefault(_name, _value)
