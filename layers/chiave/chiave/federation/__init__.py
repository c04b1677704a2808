"""Chiave in the SPID/CIE OpenID Connect Federation (OpenID Federation 1.0
as the Italian profile uses it): the deployment is an intermediate entity,
each school a relying-party leaf below it, known to SPID by its IPA code.
`statements` builds what each entity says of itself and of its subordinates
(plain data); `publication` reads the schools and the keys and signs it
(docs/SPID_CIE.md)."""
