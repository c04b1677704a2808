"""The codice meccanografico: what its letters say about a school.

Characters 3 and 4 give the kind of school: `AA` infanzia, `EE` primaria,
`MM` secondaria di primo grado, `IC` istituto comprensivo; `1A`, `1E`, `1M`
the same for scuole paritarie. These make the primo ciclo, where only parents
and guardians have access to the register (L. 182/2025, art. 51). Every
other kind (licei, tecnici, professionali, istituti superiori, CPIA) is not.
"""

from __future__ import annotations

PRIMO_CICLO_KINDS = frozenset({"AA", "EE", "MM", "IC", "1A", "1E", "1M"})


def is_primo_ciclo(code: str) -> bool:
    """Whether a school's code names a primo ciclo school (a default the operator may override)."""
    return code[2:4].upper() in PRIMO_CICLO_KINDS
