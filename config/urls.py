from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from edudx.portal.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("edudx.accounts.urls")),
    path("org/", include("edudx.core.urls")),
    path("registry/", include("edudx.registry.urls")),
    path("api/v1/", include("config.api_urls")),
    path("", include("edudx.portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
