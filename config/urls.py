from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from edudx.portal.views import healthz

# The Django admin is a break-glass tool for superusers only: everyone else works through pages and
# the API, where the permission policies apply. Staff without superuser status are sent to its log-in.
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser  # type: ignore[method-assign]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("edudx.accounts.urls")),
    path("org/", include("edudx.core.urls")),
    path("registry/", include("edudx.registry.urls")),
    path("gradebook/", include("edudx.gradebook.urls")),
    path("v/", include("edudx.gradebook.urls_public")),
    path("dich-vu-cong/", include("edudx.procedures.urls")),
    path("kq/", include("edudx.procedures.urls_public")),
    path("thanh-toan/", include("edudx.payments.urls")),
    path("api/v1/", include("config.api_urls")),
    path("", include("edudx.portal.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
