"""Public-service pages; each area's module lists its own routes."""

from .views import catalogue, citizen, desk, results, targets

app_name = "procedures"

urlpatterns = [
    *catalogue.urlpatterns,
    *citizen.urlpatterns,
    *desk.urlpatterns,
    *results.urlpatterns,
    *targets.urlpatterns,
]
