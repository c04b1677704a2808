"""A local SPID/CIE OpenID Connect Federation, on the reference implementation
(spid-cie-oidc, italia/spid-cie-oidc-django): a trust anchor, a SPID-profile
and a CIE-profile provider with their trust marks, in one Django process."""
