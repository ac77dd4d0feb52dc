"""REST API v1: every app's API routes are registered here.

Routes of the router are named ``<basename>-list`` / ``<basename>-detail``; the OpenAPI 3 schema
is ``api-schema`` at ``/api/v1/openapi.json``.
"""

from django.urls import include, path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import SimpleRouter

from edudx.accounts.api_views import MeView
from edudx.core.api_views import OrgUnitViewSet, SchoolViewSet
from edudx.gradebook import api_routes as gradebook_api
from edudx.payments import api_routes as payments_api
from edudx.procedures import api_routes as procedures_api
from edudx.registry.api_views import (
    GuardianViewSet,
    SchoolClassViewSet,
    SchoolYearViewSet,
    StaffViewSet,
    StudentViewSet,
)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the API keys of system integrations in the schema (``Authorization: Bearer <key>``)."""

    target_class = "edudx.accounts.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):  # type: ignore[no-untyped-def]
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Khoá API do quản trị cấp cho hệ thống tích hợp; khoá hành động với quyền của người dùng sở hữu.",
        }


router = SimpleRouter(trailing_slash=True)
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("schools", SchoolViewSet, basename="school")
router.register("school-years", SchoolYearViewSet, basename="school-year")
router.register("classes", SchoolClassViewSet, basename="class")
router.register("students", StudentViewSet, basename="student")
router.register("guardians", GuardianViewSet, basename="guardian")
router.register("staff", StaffViewSet, basename="staff")
for prefix, viewset, basename in [*gradebook_api.ROUTES, *procedures_api.ROUTES, *payments_api.ROUTES]:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="api-schema"),
    path("me/", MeView.as_view(), name="api-me"),
    path("gradebook/", include(gradebook_api.urlpatterns)),
    path("procedures/", include(procedures_api.urlpatterns)),
    path("payments/", include(payments_api.urlpatterns)),
    path("", include(router.urls)),
]
