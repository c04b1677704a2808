"""The local cie provider's routes (see providers.ProviderUrls)."""

from federation_local.providers import urlpatterns as _routes

urlpatterns = _routes("cie")
