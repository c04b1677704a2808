"""The trust anchor at the root (its configuration, fetch, list), each
provider under its own path (its configuration): one entity per prefix."""

from django.urls import include, path

urlpatterns = [
    path("", include("spid_cie_oidc.entity.urls")),
    path("", include("spid_cie_oidc.authority.urls")),
    path("spid/", include("spid_cie_oidc.entity.urls")),
    path("cie/", include("spid_cie_oidc.entity.urls")),
]
