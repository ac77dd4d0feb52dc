"""REST API of the one-stop desk, handlers and leaders (``/api/v1/desk/dossiers/``).

- ``GET desk/dossiers/`` — dossiers of the caller's units (``dossier.view``), filtered by ``queue`` (desk, handler,
  approval), ``state``, ``procedure`` (key), ``channel``, ``q`` (code or applicant name); a citizen's own dossiers
  are not listed here (they have the citizen API).
- ``GET desk/dossiers/{id}/`` — with events (the control sheet), files (without content), the forms issued and the
  actions the caller may take now (``allowed_actions``).
- ``POST desk/dossiers/{id}/act/`` — ``{action, as_kind, note, to_user_id, new_due_at, expected_version}`` →
  ``workflow.apply_action``. Refusals answer ``{"detail", "code"}`` in Vietnamese: 400 invalid step, 403 not in
  that capacity, 404 outside the caller's units, 409 ``stale`` when ``expected_version`` is not the current one.
- ``GET desk/dossiers/register/`` — the register (Mẫu 07) as JSON, or ``?export=xlsx|csv`` as a file; period
  ``from``/``to`` (submission days, ISO dates), ``procedure``, ``state``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http.response import HttpResponseBase
from django.urls import URLPattern
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from edudx.core.api import paths_q
from edudx.core.api_views import PolicyScopedViewSet
from edudx.core.exports import csv_response, xlsx_response

from .. import documents
from ..models import Dossier, DossierEvent, DossierFile
from ..selectors import desk as selectors
from ..services import desk as services
from ..states import ActorKind, DossierAction

QUEUE_STATES = {
    "desk": selectors.DESK_STATES,
    "handler": selectors.HANDLER_STATES,
    "approval": selectors.APPROVAL_STATES,
}


class DeskEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    to_user_name = serializers.SerializerMethodField()

    class Meta:
        model = DossierEvent
        fields = [
            "id", "action", "from_state", "to_state", "actor_kind", "actor_name", "to_user", "to_user_name", "at",
            "note", "form_number", "data", "step_outcome",
        ]  # fmt: skip

    def get_actor_name(self, obj: DossierEvent) -> str:
        return obj.actor.get_full_name() if obj.actor else ""

    def get_to_user_name(self, obj: DossierEvent) -> str:
        return obj.to_user.get_full_name() if obj.to_user else ""


class DeskFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = DossierFile
        fields = [
            "id", "role", "component", "form_number", "filename", "content_type", "size", "sha256", "reused",
            "digitised", "signed", "superseded", "uploaded_at",
        ]  # fmt: skip


class DeskDossierSerializer(serializers.ModelSerializer):
    procedure_key = serializers.CharField(source="procedure.key", read_only=True)
    procedure_name = serializers.CharField(source="procedure.name", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    handler_name = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = [
            "id", "code", "procedure_key", "procedure_name", "org_unit", "org_unit_name", "channel",
            "result_delivery", "state", "version", "applicant_name", "submitted_at", "received_at", "due_at",
            "handler", "handler_name", "supplement_requests", "processed_at", "result_issued_at", "fully_online",
            "fee_vnd", "paid_at",
        ]  # fmt: skip

    def get_handler_name(self, obj: Dossier) -> str:
        return obj.handler.get_full_name() if obj.handler else ""


class AllowedActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    as_kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class IssuedFormSerializer(serializers.Serializer):
    number = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    event = serializers.IntegerField(allow_null=True)
    url = serializers.CharField()


class DeskDossierDetailSerializer(DeskDossierSerializer):
    form_data = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    forms = serializers.SerializerMethodField()
    allowed_actions = serializers.SerializerMethodField()

    class Meta(DeskDossierSerializer.Meta):
        fields = [*DeskDossierSerializer.Meta.fields, "form_data", "events", "files", "forms", "allowed_actions"]

    def get_form_data(self, obj: Dossier) -> list[dict[str, str]]:
        """Label/value lines; personal ID numbers masked."""
        return [{"label": row.label, "value": row.value} for row in selectors.form_rows(obj)]

    @extend_schema_field(DeskEventSerializer(many=True))
    def get_events(self, obj: Dossier) -> list[dict[str, Any]]:
        return list(
            DeskEventSerializer(obj.events.select_related("actor", "to_user").order_by("at", "id"), many=True).data
        )

    @extend_schema_field(DeskFileSerializer(many=True))
    def get_files(self, obj: Dossier) -> list[dict[str, Any]]:
        return list(DeskFileSerializer(obj.files.defer("content"), many=True).data)

    @extend_schema_field(IssuedFormSerializer(many=True))
    def get_forms(self, obj: Dossier) -> list[dict[str, Any]]:
        from django.urls import reverse

        return [
            {
                "number": form.number,
                "label": form.label,
                "event": form.event.pk if form.event else None,
                "url": reverse("procedures:form_pdf", args=[obj.pk, form.number])
                + (f"?event={form.event.pk}" if form.event else ""),
            }
            for form in documents.issued_forms(obj)
        ]

    @extend_schema_field(AllowedActionSerializer(many=True))
    def get_allowed_actions(self, obj: Dossier) -> list[dict[str, str]]:
        from ..views.desk import viewer_actions

        actor = self.context["actor"]
        return [
            {"action": act.value, "as_kind": kind.value, "label": str(act.label)}
            for act, kind in viewer_actions(actor, obj)
        ]


class DeskActionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=DossierAction.choices)
    as_kind = serializers.ChoiceField(
        choices=[(k.value, k.label) for k in (ActorKind.DESK, ActorKind.HANDLER, ActorKind.LEADER)],
        help_text="Tư cách thực hiện: desk (Bộ phận Một cửa), handler (người xử lý), leader (lãnh đạo phê duyệt)",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Nội dung, lý do")
    to_user_id = serializers.IntegerField(required=False, allow_null=True, help_text="Người nhận hồ sơ (giao, chuyển)")
    new_due_at = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Ngày hẹn mới (ISO 8601) khi xin lỗi, gia hạn"
    )
    expected_version = serializers.IntegerField(
        required=False, allow_null=True, help_text="Phiên bản hồ sơ đã xem; khác phiên bản hiện tại → 409"
    )


class RegisterRowSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    id = serializers.IntegerField(source="dossier.pk")
    code = serializers.CharField(source="dossier.code")
    submitted_at = serializers.DateTimeField(source="dossier.submitted_at")
    received_at = serializers.DateTimeField(source="dossier.received_at", allow_null=True)
    applicant_name = serializers.CharField(source="dossier.applicant_name")
    procedure_name = serializers.CharField(source="dossier.procedure.name")
    due_at = serializers.DateTimeField(source="dossier.due_at", allow_null=True)
    handler_name = serializers.SerializerMethodField()
    processed_at = serializers.DateTimeField(source="dossier.processed_at", allow_null=True)
    result_issued_at = serializers.DateTimeField(source="dossier.result_issued_at", allow_null=True)
    state = serializers.CharField(source="dossier.state")
    punctuality = serializers.SerializerMethodField()
    outcome = serializers.CharField()

    def get_handler_name(self, row: selectors.RegisterRow) -> str:
        return row.dossier.handler.get_full_name() if row.dossier.handler else ""

    def get_punctuality(self, row: selectors.RegisterRow) -> str | None:
        return str(row.assessment.punctuality) if row.assessment is not None else None


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("queue", str, enum=["desk", "handler", "approval"], description="Hàng chờ"),
            OpenApiParameter("state", str, description="Trạng thái hồ sơ"),
            OpenApiParameter("procedure", str, description="Mã nội bộ của thủ tục"),
            OpenApiParameter("channel", str, description="Kênh nộp"),
            OpenApiParameter("q", str, description="Mã hồ sơ hoặc tên người nộp"),
        ]
    )
)
class DeskDossierViewSet(PolicyScopedViewSet):
    """Dossiers of the caller's units for the desk, handlers and leaders; ``act`` applies one step."""

    queryset = Dossier.objects.all()
    serializer_class = DeskDossierSerializer

    def base_queryset(self) -> QuerySet[Dossier]:
        rows = Dossier.objects.filter(paths_q("org_unit__path", self.actor.subtree_paths("dossier.view")))
        return rows.select_related("procedure", "org_unit", "handler").order_by("due_at", "submitted_at", "id")

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.action != "list":
            return queryset
        params = self.request.query_params
        queue = params.get("queue", "")
        if queue in selectors.QUEUES:
            queryset = queryset.filter(pk__in=selectors.QUEUES[queue](self.actor).values("pk"))
        filters = selectors.QueueFilters(
            state=params.get("state", ""),
            procedure=params.get("procedure", ""),
            channel=params.get("channel", ""),
            search=params.get("q", ""),
        )
        return selectors._filtered(queryset, filters)

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return DeskDossierDetailSerializer if self.action == "retrieve" else DeskDossierSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "actor": self.actor}

    @extend_schema(request=DeskActionSerializer, responses={200: DeskDossierDetailSerializer})
    @action(detail=True, methods=["post"])
    def act(self, request: Request, pk: Any = None) -> Response:
        """Apply one step (receive, request completion, refuse, assign, start, hand over, request supplement,
        submit for approval, return for rework, approve, apologise and extend, stop)."""
        dossier = self.get_object()
        body = DeskActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        step = services.step_from_input(**body.validated_data)
        services.act(actor=self.actor, dossier_id=dossier.pk, step=step)
        fresh = self.get_queryset().get(pk=dossier.pk)
        return Response(DeskDossierDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="Nộp từ ngày"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Nộp đến ngày"),
            OpenApiParameter("procedure", str, description="Mã nội bộ của thủ tục"),
            OpenApiParameter("state", str, description="Trạng thái"),
            OpenApiParameter("export", str, enum=["xlsx", "csv"], description="Tải tệp thay vì JSON"),
        ],
        responses={200: RegisterRowSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def register(self, request: Request) -> HttpResponseBase:
        """The register of dossiers (Mẫu 07) with the on-time outcome of each."""
        from ..views.desk import register_columns, register_filters

        rows = selectors.register_rows(self.actor, register_filters(request.query_params))
        fmt = request.query_params.get("export")
        if fmt == "xlsx":
            return xlsx_response(rows, register_columns(), "so-theo-doi-ho-so")
        if fmt == "csv":
            return csv_response(rows, register_columns(), "so-theo-doi-ho-so")
        return Response(RegisterRowSerializer(rows, many=True).data, status=status.HTTP_200_OK)


ROUTES: list[tuple[str, Any, str]] = [("desk/dossiers", DeskDossierViewSet, "desk-dossier")]
urlpatterns: list[URLPattern] = []
