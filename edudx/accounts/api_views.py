"""REST API of accounts: ``GET /api/v1/me/`` — who is calling.

An integration checks its API key with it, and a page or an app learns whom it acts for: the user name, the full
name and the roles in force today with their units. The roles are read through the ``RoleAssignment`` policy (one
query), like every other read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from edudx.core.models import RoleAssignment
from edudx.core.permissions import actor_for, policy_for

from .models import ApiToken


class MyRoleSerializer(serializers.ModelSerializer):
    role_label = serializers.CharField(source="get_role_display", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    org_unit_kind = serializers.CharField(source="org_unit.kind", read_only=True)

    class Meta:
        model = RoleAssignment
        fields = ["role", "role_label", "org_unit", "org_unit_name", "org_unit_kind", "valid_from", "valid_to"]


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    authentication = serializers.ChoiceField(
        choices=["api_key", "session"], help_text="Khoá API (Authorization: Bearer) hoặc phiên đăng nhập"
    )
    roles = MyRoleSerializer(many=True, help_text="Vai trò đang có hiệu lực hôm nay, theo đơn vị")


class MeView(APIView):
    """The signed-in user (by API key or session) and their roles in force today."""

    @extend_schema(responses={200: MeSerializer}, summary="Tài khoản đang gọi API")
    def get(self, request: Request) -> Response:
        actor = actor_for(request)
        today = timezone.localdate()
        roles = (
            policy_for(RoleAssignment)
            .visible(actor, "view")
            .filter(user=actor.user, org_unit__valid_to__isnull=True, valid_from__lte=today)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
            .select_related("org_unit")
            .order_by("org_unit__path", "role")
        )
        user: Any = request.user
        data = {
            "username": user.get_username(),
            "full_name": user.get_full_name(),
            "email": user.email,
            "authentication": "api_key" if isinstance(request.auth, ApiToken) else "session",
            "roles": roles,
        }
        return Response(MeSerializer(data).data)
