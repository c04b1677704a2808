"""Italian data: the codice fiscale, Italian mobile numbers, and the
anagrafica a school exports."""
