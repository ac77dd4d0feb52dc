"""Excel imports and the data-quality report, under /registry/imports/ in the ``registry`` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.import_list, name="import_list"),
    path("template/<str:kind>/", views.import_template, name="import_template"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/commit/", views.import_commit, name="import_commit"),
    path("<int:pk>/errors.xlsx", views.import_error_file, name="import_error_file"),
    path("quality/", views.data_quality, name="data_quality"),
    path("quality/<int:school_id>/", views.data_quality_school, name="data_quality_school"),
]
