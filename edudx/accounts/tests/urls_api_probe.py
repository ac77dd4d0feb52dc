"""A test-only URLconf: one DRF view that needs an authenticated caller."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmIApi(APIView):
    def get(self, request):
        return Response({"username": request.user.username})


urlpatterns = [
    path("probe/", WhoAmIApi.as_view()),
    path("", include("config.urls")),
]
