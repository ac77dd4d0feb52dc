from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .enums import AuthorityKind, OrgEventKind, OrgUnitKind, Ownership, Role, SchoolLevel


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("tạo lúc"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật lúc"), auto_now=True)

    class Meta:
        abstract = True


class OrgUnitQuerySet(models.QuerySet["OrgUnit"]):
    def schools(self) -> OrgUnitQuerySet:
        return self.filter(kind=OrgUnitKind.SCHOOL)

    def open_on(self, day: dt.date) -> OrgUnitQuerySet:
        return self.filter(Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day)))

    def under(self, unit: OrgUnit) -> OrgUnitQuerySet:
        return self.filter(path__startswith=unit.path)


class OrgUnit(BaseModel):
    """A unit of the organisation tree as it stands today.

    ``path`` is the materialised path of the current tree (ids of ancestors); it makes "everything
    under this unit" one indexed prefix filter. History lives in OrgUnitVersion and OrgUnitEvent:
    a rename or a move closes one version and opens another, so the past can always be asked.
    """

    kind = models.CharField(_("loại đơn vị"), max_length=20, choices=OrgUnitKind.choices)
    name = models.CharField(_("tên"), max_length=255)
    moet_code = models.CharField(_("mã đơn vị (CSDL ngành)"), max_length=32, unique=True, null=True, blank=True)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    authority_kind = models.CharField(_("loại cơ quan"), max_length=20, choices=AuthorityKind.choices, blank=True)
    school_level = models.CharField(_("cấp học"), max_length=4, choices=SchoolLevel.choices, blank=True)
    ownership = models.CharField(_("loại hình"), max_length=10, choices=Ownership.choices, blank=True)
    province_code = models.CharField(_("mã tỉnh/thành"), max_length=8, blank=True)
    ward_code = models.CharField(_("mã phường/xã"), max_length=8, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=32, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    valid_from = models.DateField(_("hiệu lực từ"))
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_units"
    )

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["path"]
        indexes = [models.Index(fields=["kind", "school_level"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.valid_to is None

    @property
    def is_school(self) -> bool:
        return self.kind == OrgUnitKind.SCHOOL

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def ancestors(self) -> list[OrgUnit]:
        ids = self.ancestor_ids()
        by_id = {u.id: u for u in OrgUnit.objects.filter(id__in=ids)}
        return [by_id[i] for i in ids if i in by_id]


class OrgUnitVersion(models.Model):
    """One period in which a unit had a given name, parent and status. valid_to is exclusive."""

    unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="versions")
    name = models.CharField(max_length=255)
    parent = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    event = models.ForeignKey("OrgUnitEvent", on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["unit_id", "valid_from"]
        indexes = [models.Index(fields=["valid_from", "valid_to"])]


class OrgUnitEvent(models.Model):
    """A dated change to the tree (thành lập, đổi tên, chuyển, sáp nhập, giải thể). Never edited."""

    kind = models.CharField(_("loại sự kiện"), max_length=10, choices=OrgEventKind.choices)
    unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="events")
    effective_on = models.DateField(_("ngày hiệu lực"))
    old_name = models.CharField(max_length=255, blank=True)
    new_name = models.CharField(max_length=255, blank=True)
    old_parent = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    new_parent = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    merged_into = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    legal_basis = models.CharField(_("căn cứ"), max_length=255, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["effective_on", "id"]


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active_on(self, day: dt.date) -> RoleAssignmentQuerySet:
        return self.filter(Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day)))


class RoleAssignment(BaseModel):
    """A user holds a role on an org unit for a period; the role covers the unit's subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="role_assignments")
    valid_from = models.DateField(_("từ ngày"))
    valid_to = models.DateField(_("đến ngày (không tính)"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")
        indexes = [models.Index(fields=["user", "valid_from"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.org_unit}"


class AuditEvent(models.Model):
    """An append-only, hash-chained record of a change. ``digest`` covers ``prev_digest`` and content."""

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, db_index=True)
    object_id = models.CharField(max_length=64, db_index=True)
    object_label = models.CharField(max_length=255, blank=True)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    org_path = models.CharField(max_length=255, db_index=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("nhật ký thay đổi")
        verbose_name_plural = _("nhật ký thay đổi")


class AuditChainHead(models.Model):
    """A single row locked while appending, so concurrent writers extend the chain one at a time."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, default="0" * 64)


class SensitiveRead(models.Model):
    """Who saw a full sensitive value (personal ID number), when and why."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    field = models.CharField(max_length=64)
    reason = models.CharField(_("lý do"), max_length=500)

    class Meta:
        ordering = ["-at"]


class SigningCredential(models.Model):
    """A signing certificate the server may use for a person (personal signature) or a unit (organisation seal).

    ``stem`` names the certificate and key files in ``settings.SIGNING_CA_DIR`` (see ``signing.py``). Production
    points ``provider`` at a PKCS#11 token agent or a remote-signing account instead; callers only ever get a
    ``Signer`` through ``signing.signer_for``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="signing_credential"
    )
    org_unit = models.OneToOneField(
        OrgUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="seal_credential"
    )
    provider = models.CharField(max_length=20, default="local_ca")
    stem = models.CharField(max_length=80, unique=True)
    subject = models.CharField(max_length=500)
    serial = models.CharField(max_length=80)
    valid_to = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("chứng thư số")
        verbose_name_plural = _("chứng thư số")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False, org_unit__isnull=True)
                | models.Q(user__isnull=True, org_unit__isnull=False),
                name="credential_user_xor_unit",
            )
        ]

    def __str__(self) -> str:
        return self.subject
