from django.urls import include, path

from .views import people, schools

app_name = "registry"

urlpatterns = [
    path("", include(people.urlpatterns)),
    path("", include(schools.urlpatterns)),
    path("imports/", include("edudx.registry.imports.urls")),
]
