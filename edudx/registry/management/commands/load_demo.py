"""Load the demo: the schools of Thủ Dầu Một before and after the 1/7/2025 reform, with people and accounts.

The tree is built the way it happened: Sở GDĐT Bình Dương → Phòng GDĐT Thủ Dầu Một → schools, then the
reform as dated events through the tree services (new Sở of Hồ Chí Minh City, five ward authorities, every
school moved to its ward, the Phòng closed into the Thủ Dầu Một ward, the Bình Dương Sở merged). Reports
asked "as of" 30/6/2025 therefore still show the old tree.

Running it again on a loaded database does nothing but print the accounts.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from edudx.core import audit
from edudx.core import services as core_services
from edudx.core.enums import AuthorityKind, OrgUnitKind, Role
from edudx.core.models import OrgUnit
from edudx.registry import demo
from edudx.registry.enums import Sex, StaffPosition
from edudx.registry.models import GuardianLink, Person, SchoolClass, StaffMember, TeachingAssignment

DEMO_PASSWORD = "Edudx@2025"
REFORM_DAY = dt.date(2025, 7, 1)
MARKER_CODE = "SGD-74"  # the Bình Dương department: present once the demo is loaded
SEED = 2025

PROVINCE_REFORM = "Nghị quyết 202/2025/QH15 về sắp xếp đơn vị hành chính cấp tỉnh"
WARD_REFORM = "Nghị quyết 1685/NQ-UBTVQH15 về sắp xếp đơn vị hành chính cấp xã của Thành phố Hồ Chí Minh"
DISTRICT_END = "Luật Tổ chức chính quyền địa phương số 72/2025/QH15 (không tổ chức cấp huyện từ 01/7/2025)"

TWO_FACTOR_ROLES = {Role.AUTHORITY_LEADER, Role.AUTHORITY_SPECIALIST, Role.SECURITY_OFFICER, Role.PRINCIPAL}


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    place: str
    full_name: str

    @property
    def needs_two_factor(self) -> bool:
        return self.role in TWO_FACTOR_ROLES


def accounts_table(accounts: list[Account]) -> str:
    rows = [("Tài khoản", "Vai trò", "Đơn vị", "Họ tên", "2FA")]
    rows += [
        (a.username, str(Role(a.role).label), a.place, a.full_name, "TOTP" if a.needs_two_factor else "")
        for a in accounts
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"Mật khẩu chung của mọi tài khoản demo: {DEMO_PASSWORD}")
    lines.append(
        "Lãnh đạo, chuyên viên, cán bộ ATTT và hiệu trưởng phải đăng ký xác thực hai lớp (TOTP) ở lần đăng nhập "
        "đầu tiên: quét mã QR bằng ứng dụng xác thực (Google Authenticator, Microsoft Authenticator…)."
    )
    return "\n".join(lines)


def loaded_accounts() -> list[Account]:
    """The demo accounts as they stand in the database (for a second run, or for the run script)."""
    from edudx.core.models import RoleAssignment

    usernames = [u for u, _r in DEMO_USERNAMES]
    rows = (
        RoleAssignment.objects.filter(user__username__in=usernames, valid_to__isnull=True)
        .select_related("user", "org_unit")
        .order_by("id")
    )
    order = {u: i for i, (u, _r) in enumerate(DEMO_USERNAMES)}
    accounts = [Account(r.user.username, r.role, r.org_unit.name, r.user.full_name) for r in rows]
    return sorted(accounts, key=lambda a: order[a.username])


DEMO_USERNAMES = [
    ("lanhdao", Role.AUTHORITY_LEADER),
    ("chuyenvien", Role.AUTHORITY_SPECIALIST),
    ("attt", Role.SECURITY_OFFICER),
    ("hieutruong", Role.PRINCIPAL),
    ("phohieutruong", Role.VICE_PRINCIPAL),
    ("gvcn", Role.HOMEROOM_TEACHER),
    ("gvbm", Role.SUBJECT_TEACHER),
    ("ketoan", Role.ACCOUNTANT),
    ("vanthu", Role.CLERK),
    ("thuthu", Role.LIBRARIAN),
    ("cntt", Role.SCHOOL_IT),
    ("phuhuynh", Role.GUARDIAN),
    ("hocsinh", Role.STUDENT),
    ("nguoidan", Role.CITIZEN),
]


class Command(BaseCommand):
    help = "Nạp dữ liệu demo: 45 trường của Thủ Dầu Một, cải cách 01/7/2025 và tài khoản demo cho mọi vai trò."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quiet-accounts", action="store_true", help="Không in bảng tài khoản.")

    def handle(self, *args: Any, **options: Any) -> None:
        if OrgUnit.objects.filter(moet_code=MARKER_CODE).exists():
            self.stdout.write("Dữ liệu demo đã có sẵn; không nạp lại. (Xoá thư mục var/ để nạp lại từ đầu.)")
            if not options["quiet_accounts"]:
                self.stdout.write(accounts_table(loaded_accounts()))
            return
        started = time.monotonic()
        # Query logging (on when DEBUG is) would keep every INSERT of the load in memory.
        debug, settings.DEBUG = settings.DEBUG, False
        try:
            with transaction.atomic():
                accounts, totals = DemoLoader(self.stdout).load()
        finally:
            settings.DEBUG = debug
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nạp demo trong {elapsed:.1f} giây: {totals['schools']} trường, {totals['classes']} lớp, "
                f"{totals['students']} học sinh, {totals['guardians']} phụ huynh, {totals['staff']} cán bộ."
            )
        )
        if not options["quiet_accounts"]:
            self.stdout.write(accounts_table(accounts))


class DemoLoader:
    def __init__(self, out: Any):
        self.out = out
        self.rng = random.Random(SEED)
        self.password_hash = make_password(DEMO_PASSWORD)
        self.accounts: list[Account] = []
        self.ids = demo.PersonalIdAllocator(self.rng)

    def say(self, text: str) -> None:
        self.out.write(text)

    # -- the tree --------------------------------------------------------------------------------------------

    def load(self) -> tuple[list[Account], dict[str, int]]:
        ministry = OrgUnit.objects.filter(kind=OrgUnitKind.MINISTRY, valid_to__isnull=True).order_by(
            "id"
        ).first() or core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.MINISTRY,
            name="Bộ Giáo dục và Đào tạo",
            parent=None,
            valid_from=dt.date(1990, 3, 31),
            moet_code="BGDDT",
        )
        binh_duong = core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.DEPARTMENT,
            name="Sở Giáo dục và Đào tạo tỉnh Bình Dương",
            parent=ministry,
            valid_from=dt.date(1997, 1, 1),
            moet_code=MARKER_CODE,
            province_code=demo.BINH_DUONG_PROVINCE_CODE,
            address="Tầng 9, Tháp A, Trung tâm Hành chính tỉnh, phường Hòa Phú, thành phố Thủ Dầu Một, Bình Dương",
            legal_basis="Nghị quyết tách tỉnh Sông Bé (Kỳ họp thứ 10, Quốc hội khoá IX)",
        )
        office = core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.AUTHORITY,
            authority_kind=AuthorityKind.EDUCATION_OFFICE,
            name="Phòng Giáo dục và Đào tạo thị xã Thủ Dầu Một",
            parent=binh_duong,
            valid_from=dt.date(1997, 1, 1),
            moet_code=f"PGD-{demo.BINH_DUONG_PROVINCE_CODE}{demo.THU_DAU_MOT_DISTRICT_CODE}",
            province_code=demo.BINH_DUONG_PROVINCE_CODE,
            address="Số 1 đường Quang Trung, phường Phú Cường, thành phố Thủ Dầu Một, Bình Dương",
        )
        core_services.orgunit_rename(
            actor=None,
            unit=office,
            new_name="Phòng Giáo dục và Đào tạo thành phố Thủ Dầu Một",
            effective_on=dt.date(2012, 2, 2),
            legal_basis="Nghị quyết 11/NQ-CP thành lập thành phố Thủ Dầu Một",
        )
        schools: list[tuple[OrgUnit, demo.DemoSchool]] = []
        for i, spec in enumerate(demo.THU_DAU_MOT_SCHOOLS, start=1):
            school = demo.create_school(
                parent=office,
                spec=spec,
                moet_code=f"{demo.BINH_DUONG_PROVINCE_CODE}{demo.THU_DAU_MOT_DISTRICT_CODE}{i:03d}",
                province_code=demo.HCMC_PROVINCE_CODE,
                ward_code=str(int(demo.WARD_CODES[spec.ward_key])),
                rng=self.rng,
            )
            schools.append((school, spec))
        self.say(f"Cây tổ chức trước 01/7/2025: 1 Sở, 1 Phòng, {len(schools)} trường.")

        # People first, while the schools are still under the Phòng: the data does not depend on the parent.
        current, previous = demo.ensure_years(with_previous=True)
        builder = demo.PopulationBuilder(rng=self.rng, current_year=current, previous_year=previous)
        self.ids = builder.ids
        for school, spec in schools:
            builder.populate(school, ward_key=spec.ward_key)
        self.say(
            f"Đã tạo {builder.totals.students} học sinh, {builder.totals.guardians} phụ huynh, "
            f"{builder.totals.staff} cán bộ, {builder.totals.classes} lớp (hai năm học)."
        )

        wards = self.apply_reform(ministry, binh_duong, office, schools)
        self.make_accounts(wards["thu_dau_mot"], schools, current)
        audit.record(
            actor=None,
            action="demo.load",
            object_type="demo",
            object_id="thu-dau-mot",
            object_label="Dữ liệu demo Thủ Dầu Một",
            after=builder.totals.as_dict(),
        )
        return self.accounts, builder.totals.as_dict()

    def apply_reform(
        self,
        ministry: OrgUnit,
        binh_duong: OrgUnit,
        office: OrgUnit,
        schools: list[tuple[OrgUnit, demo.DemoSchool]],
    ) -> dict[str, OrgUnit]:
        """The 1/7/2025 reform as events. Order matters: a unit closes only once its children have moved."""
        hcmc = core_services.orgunit_create(
            actor=None,
            kind=OrgUnitKind.DEPARTMENT,
            name="Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh",
            parent=ministry,
            valid_from=REFORM_DAY,
            moet_code="SGD-79",
            province_code=demo.HCMC_PROVINCE_CODE,
            address="Số 66-68 đường Lê Thánh Tôn, phường Sài Gòn, Thành phố Hồ Chí Minh",
            legal_basis=PROVINCE_REFORM,
        )
        wards: dict[str, OrgUnit] = {}
        for key in demo.WARD_ORDER:
            w = demo.ward(key)
            wards[key] = core_services.orgunit_create(
                actor=None,
                kind=OrgUnitKind.AUTHORITY,
                authority_kind=AuthorityKind.WARD_COMMITTEE,
                name=f"Ủy ban nhân dân {w.name.replace('Phường', 'phường')}",
                parent=hcmc,
                valid_from=REFORM_DAY,
                moet_code=f"UBND-{int(w.code)}",
                province_code=demo.HCMC_PROVINCE_CODE,
                ward_code=str(int(w.code)),
                address=demo.address(self.rng, key),
                legal_basis=WARD_REFORM,
            )
        for school, spec in schools:
            core_services.orgunit_move(
                actor=None,
                unit=school,
                new_parent=wards[spec.ward_key],
                effective_on=REFORM_DAY,
                legal_basis=WARD_REFORM,
            )
        core_services.orgunit_close(
            actor=None,
            unit=office,
            effective_on=REFORM_DAY,
            merged_into=wards["thu_dau_mot"],
            legal_basis=DISTRICT_END,
        )
        core_services.orgunit_merge(
            actor=None, unit=binh_duong, into=hcmc, effective_on=REFORM_DAY, legal_basis=PROVINCE_REFORM
        )
        self.say("Đã áp dụng sắp xếp 01/7/2025: 5 phường, các trường chuyển về phường, Phòng và Sở cũ sáp nhập.")
        return wards

    # -- accounts --------------------------------------------------------------------------------------------

    def user(self, username: str, person: Person) -> Any:
        User = get_user_model()
        user = User.objects.create(
            username=username,
            full_name=person.full_name,
            email=f"{username}@demo.edudx.vn",
            password=self.password_hash,
        )
        person.user = user
        person.save(update_fields=["user", "updated_at"])
        return user

    def grant(self, user: Any, role: str, unit: OrgUnit, since: dt.date) -> None:
        core_services.role_assign(actor=None, user=user, role=role, org_unit=unit, valid_from=since)
        self.accounts.append(Account(user.username, role, unit.name, user.full_name))

    def adult(self, sex: str, ward_key: str = "thu_dau_mot") -> Person:
        born = demo.random_date(self.rng, self.rng.randint(1975, 1992))
        person = demo.make_person(
            name=demo.full_name(self.rng, sex),
            born=born,
            sex=sex,
            personal_id=self.ids.issue(demo.BINH_DUONG_ID_CODE, born, sex),
            rng=self.rng,
            phone=demo.phone_number(self.rng),
            home=demo.address(self.rng, ward_key),
        )
        person.save()
        return person

    def make_accounts(self, authority: OrgUnit, schools: list[tuple[OrgUnit, demo.DemoSchool]], year: Any) -> None:
        by_name = {s.name: s for s, _spec in schools}
        thcs = by_name["Trường THCS Chu Văn An"]
        th = by_name["Trường Tiểu học Nguyễn Trãi"]
        school_since = dt.date(2024, 8, 1)

        for username, role, position in (
            ("lanhdao", Role.AUTHORITY_LEADER, StaffPosition.LEADER),
            ("chuyenvien", Role.AUTHORITY_SPECIALIST, StaffPosition.SPECIALIST),
            ("attt", Role.SECURITY_OFFICER, StaffPosition.SPECIALIST),
        ):
            person = self.adult(self.rng.choice((Sex.MALE, Sex.FEMALE)))
            StaffMember.objects.create(
                person=person, org_unit=authority, position=position, staff_code=f"UBND-{username}"
            )
            self.grant(self.user(username, person), role, authority, REFORM_DAY)

        staff = list(StaffMember.objects.filter(org_unit=thcs).select_related("person").order_by("id"))

        def first(position: str, school_staff: list[StaffMember]) -> StaffMember:
            return next(s for s in school_staff if s.position == position)

        principal = first(StaffPosition.PRINCIPAL, staff)
        self.grant(self.user("hieutruong", principal.person), Role.PRINCIPAL, thcs, school_since)
        vice = first(StaffPosition.VICE_PRINCIPAL, staff)
        self.grant(self.user("phohieutruong", vice.person), Role.VICE_PRINCIPAL, thcs, school_since)

        homeroom_class = (
            SchoolClass.objects.filter(school=thcs, year=year, name="8A1").select_related("homeroom_teacher").get()
        )
        homeroom = homeroom_class.homeroom_teacher
        assert homeroom is not None
        self.grant(
            self.user("gvcn", StaffMember.objects.select_related("person").get(pk=homeroom.pk).person),
            Role.HOMEROOM_TEACHER,
            thcs,
            school_since,
        )
        homeroom_ids = set(
            SchoolClass.objects.filter(school=thcs, year=year).values_list("homeroom_teacher_id", flat=True)
        )
        # The subject teacher teaches real classes and is nobody's homeroom teacher, so the demo shows the
        # difference between the two relationships.
        teacher = (
            StaffMember.objects.filter(org_unit=thcs, teaching_assignments__school_class__year=year)
            .exclude(pk__in=homeroom_ids)
            .select_related("person")
            .distinct()
            .order_by("id")
            .first()
        )
        assert teacher is not None, "the THCS demo school needs a subject teacher without a homeroom class"
        self.grant(self.user("gvbm", teacher.person), Role.SUBJECT_TEACHER, thcs, school_since)

        support = [s for s in staff if s.position == StaffPosition.STAFF]
        self.grant(self.user("ketoan", support[0].person), Role.ACCOUNTANT, thcs, school_since)
        self.grant(self.user("vanthu", support[1].person), Role.CLERK, thcs, school_since)
        th_support = [
            s
            for s in StaffMember.objects.filter(org_unit=th).select_related("person").order_by("id")
            if s.position == StaffPosition.STAFF
        ]
        self.grant(self.user("thuthu", th_support[2].person), Role.LIBRARIAN, th, school_since)
        self.grant(self.user("cntt", th_support[3].person), Role.SCHOOL_IT, th, school_since)

        # A guardian and a pupil of 8A1, the homeroom teacher's class.
        pupils = list(
            homeroom_class.memberships.filter(left_on__isnull=True)
            .select_related("student__person")
            .order_by("student__moet_code")
        )
        link = GuardianLink.objects.filter(student=pupils[0].student, is_primary=True).select_related("guardian").get()
        self.grant(self.user("phuhuynh", link.guardian), Role.GUARDIAN, thcs, school_since)
        self.grant(self.user("hocsinh", pupils[1].student.person), Role.STUDENT, thcs, school_since)

        citizen = self.adult(Sex.FEMALE, "phu_loi")
        self.grant(self.user("nguoidan", citizen), Role.CITIZEN, authority, REFORM_DAY)
        assert TeachingAssignment.objects.filter(staff=teacher, school_class__year=year).exists()
