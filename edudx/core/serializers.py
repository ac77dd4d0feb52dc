"""REST representations of the organisation tree.

A unit's ``name`` and ``parent`` are those of today, or of the day asked with ``?as_of=`` (the view
annotates them from OrgUnitVersion, so history is never rewritten by a rename or a move).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import OrgUnit


class OrgUnitSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField(help_text="Tên của đơn vị (tại ngày as_of nếu có).")
    parent = serializers.SerializerMethodField(help_text="Mã số (id) đơn vị cấp trên (tại ngày as_of nếu có).")
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "kind",
            "kind_label",
            "name",
            "moet_code",
            "parent",
            "depth",
            "authority_kind",
            "school_level",
            "ownership",
            "province_code",
            "ward_code",
            "address",
            "phone",
            "email",
            "valid_from",
            "valid_to",
            "merged_into",
        ]
        read_only_fields = fields

    def get_name(self, unit: OrgUnit) -> str:
        return getattr(unit, "name_as_of", None) or unit.name

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_parent(self, unit: OrgUnit) -> Any:
        if hasattr(unit, "parent_as_of"):
            return unit.parent_as_of
        return unit.parent_id
