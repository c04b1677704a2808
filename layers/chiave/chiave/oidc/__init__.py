"""The sign-in for the registers: Chiave as an OpenID Connect provider
(docs/SIGN_IN.md)."""
