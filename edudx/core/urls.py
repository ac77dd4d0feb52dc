from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.org_tree, name="org_tree"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/wards/", views.ward_options, name="ward_options"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/<slug:action>/", views.unit_change, name="unit_change"),
    path("audit/", views.audit_log, name="audit_log"),
]
