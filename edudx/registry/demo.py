"""Demo and synthetic data: the schools of Thủ Dầu Một, Vietnamese names, and one fast population builder.

``load_demo`` builds the real-looking city of Thủ Dầu Một (Bình Dương until 30/6/2025, wards of Hồ Chí Minh
City since the 1/7/2025 reform); ``generate_data`` builds larger synthetic trees for benchmarks. Both fill
schools through :class:`PopulationBuilder`, which writes with ``bulk_create`` so that tens of thousands of
pupils load in seconds. Personal ID numbers follow the structure of Thông tư 59/2021/TT-BCA (province of
birth registration, century and sex digit, year of birth) and are checked with the same rule the registry
uses before they are encrypted.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from edudx.core.enums import OrgUnitKind, Ownership, SchoolLevel
from edudx.core.models import OrgUnit
from edudx.core.rules import fold_vietnamese, personal_id_errors
from edudx.core.services import orgunit_create

from .enums import GuardianRelation, InternetType, Qualification, Sex, StaffPosition, StudentStatus
from .models import (
    ClassMembership,
    Grade,
    GuardianLink,
    Person,
    SchoolClass,
    SchoolInfrastructure,
    SchoolYear,
    StaffMember,
    Student,
    StudentSchoolStint,
    Subject,
    TeachingAssignment,
)

# ---------------------------------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------------------------------

# Personal ID numbers keep the province code of birth registration after the 2025 mergers: 074 is Bình Dương.
BINH_DUONG_ID_CODE = "074"
# Codes of the pre-2025 administrative map (Bình Dương = 74, city of Thủ Dầu Một = 718), used by the old units.
BINH_DUONG_PROVINCE_CODE = "74"
THU_DAU_MOT_DISTRICT_CODE = "718"
HCMC_PROVINCE_CODE = str(int(ProvinceCode.P_79))
HCMC_NAME = Province.from_code(ProvinceCode.P_79).name

# The five wards that replaced the city of Thủ Dầu Một on 1/7/2025 (Nghị quyết 1685/NQ-UBTVQH15).
WARD_CODES = {
    "thu_dau_mot": WardCode.W_25747,
    "phu_loi": WardCode.W_25750,
    "binh_duong": WardCode.W_25760,
    "phu_an": WardCode.W_25768,
    "chanh_hiep": WardCode.W_25771,
}
WARD_ORDER = ("thu_dau_mot", "phu_loi", "chanh_hiep", "binh_duong", "phu_an")


def ward(key: str) -> Ward:
    """A ward by its short key (the five wards of Thủ Dầu Một) or by its official code."""
    return Ward.from_code(WARD_CODES[key] if key in WARD_CODES else WardCode(int(key)))


# Birth registrations of parents who moved to Bình Dương for work (Thanh Hoá, Nghệ An, Thái Bình, Quảng Ngãi,
# Bình Định, Long An, Đồng Tháp, An Giang, Sóc Trăng, Hồ Chí Minh City): most parents are still local.
PARENT_ID_CODES = ["074"] * 12 + ["038", "040", "034", "051", "052", "080", "087", "089", "094", "079"]

STREETS = {
    "thu_dau_mot": ["Bạch Đằng", "Đinh Bộ Lĩnh", "Ngô Quyền", "Cách Mạng Tháng Tám", "Văn Công Khai", "Hai Bà Trưng"],
    "phu_loi": ["Phú Lợi", "Huỳnh Văn Lũy", "Lê Hồng Phong", "Nguyễn Văn Lên", "Đoàn Trần Nghiệp", "Trần Văn Ơn"],
    "chanh_hiep": ["Đại lộ Bình Dương", "Huỳnh Thị Hiếu", "Nguyễn Chí Thanh", "Lê Chí Dân", "Bùi Quốc Khánh"],
    "binh_duong": ["Lê Lợi", "Hùng Vương", "Võ Văn Kiệt", "Huỳnh Văn Nghệ", "Nguyễn Đức Thuận", "Lý Thái Tổ"],
    "phu_an": ["ĐT 744", "Nguyễn Văn Thành", "Lê Thị Trung", "Huỳnh Thị Chấu", "Phan Đăng Lưu"],
}

ALL_STREETS = [street for streets in STREETS.values() for street in streets]


def address(rng: random.Random, ward_key: str) -> str:
    """A house address in one of the new wards, written as addresses are written since 1/7/2025."""
    street = rng.choice(STREETS.get(ward_key) or ALL_STREETS)
    return f"Số {rng.randint(1, 450)} đường {street}, {ward(ward_key).name}, {HCMC_NAME}"


@dataclass(frozen=True)
class DemoSchool:
    name: str
    level: str
    ward_key: str
    ownership: str = Ownership.PUBLIC
    founded: dt.date = dt.date(2005, 8, 15)


P, T = Ownership.PUBLIC, Ownership.PRIVATE
MN, TH, THCS = SchoolLevel.MN, SchoolLevel.TH, SchoolLevel.THCS

# Schools of Thủ Dầu Một, each placed in the new ward that took over its old one.
THU_DAU_MOT_SCHOOLS: tuple[DemoSchool, ...] = (
    # Mầm non
    DemoSchool("Trường Mầm non Hoa Mai", MN, "thu_dau_mot", P, dt.date(1996, 9, 1)),
    DemoSchool("Trường Mầm non Hoa Sen", MN, "thu_dau_mot", P, dt.date(2001, 9, 1)),
    DemoSchool("Trường Mầm non Sao Mai", MN, "thu_dau_mot", P, dt.date(2004, 8, 20)),
    DemoSchool("Trường Mầm non Rạng Đông", MN, "phu_loi", P, dt.date(2008, 8, 15)),
    DemoSchool("Trường Mầm non Họa Mi", MN, "phu_loi", P, dt.date(2010, 8, 15)),
    DemoSchool("Trường Mầm non Hướng Dương", MN, "chanh_hiep", P, dt.date(2012, 8, 15)),
    DemoSchool("Trường Mầm non Tuổi Thơ", MN, "chanh_hiep", P, dt.date(2006, 8, 15)),
    DemoSchool("Trường Mầm non Sơn Ca", MN, "binh_duong", P, dt.date(2014, 8, 15)),
    DemoSchool("Trường Mầm non Bông Sen", MN, "binh_duong", P, dt.date(2016, 8, 15)),
    DemoSchool("Trường Mầm non Hoa Hồng", MN, "phu_an", P, dt.date(2009, 8, 15)),
    DemoSchool("Trường Mầm non Tân An", MN, "phu_an", P, dt.date(2011, 8, 15)),
    DemoSchool("Trường Mầm non Tư thục Ánh Dương", MN, "phu_loi", T, dt.date(2015, 8, 1)),
    DemoSchool("Trường Mầm non Tư thục Mặt Trời Nhỏ", MN, "binh_duong", T, dt.date(2018, 8, 1)),
    DemoSchool("Trường Mầm non Tư thục Thiên Thần", MN, "chanh_hiep", T, dt.date(2019, 8, 1)),
    # Tiểu học
    DemoSchool("Trường Tiểu học Phú Hòa 1", TH, "phu_loi", P, dt.date(1998, 8, 15)),
    DemoSchool("Trường Tiểu học Phú Hòa 2", TH, "phu_loi", P, dt.date(2005, 8, 15)),
    DemoSchool("Trường Tiểu học Nguyễn Trãi", TH, "thu_dau_mot", P, dt.date(1977, 9, 5)),
    DemoSchool("Trường Tiểu học Kim Đồng", TH, "thu_dau_mot", P, dt.date(1985, 9, 5)),
    DemoSchool("Trường Tiểu học Phú Thọ", TH, "thu_dau_mot", P, dt.date(1990, 9, 5)),
    DemoSchool("Trường Tiểu học Chánh Nghĩa", TH, "thu_dau_mot", P, dt.date(1992, 9, 5)),
    DemoSchool("Trường Tiểu học Lê Hồng Phong", TH, "phu_loi", P, dt.date(2002, 8, 15)),
    DemoSchool("Trường Tiểu học Hiệp Thành", TH, "phu_loi", P, dt.date(1995, 9, 5)),
    DemoSchool("Trường Tiểu học Định Hòa", TH, "chanh_hiep", P, dt.date(2003, 8, 15)),
    DemoSchool("Trường Tiểu học Chánh Mỹ", TH, "chanh_hiep", P, dt.date(1999, 8, 15)),
    DemoSchool("Trường Tiểu học Tương Bình Hiệp", TH, "chanh_hiep", P, dt.date(2000, 8, 15)),
    DemoSchool("Trường Tiểu học Phú Mỹ", TH, "binh_duong", P, dt.date(2007, 8, 15)),
    DemoSchool("Trường Tiểu học Hòa Phú", TH, "binh_duong", P, dt.date(2013, 8, 15)),
    DemoSchool("Trường Tiểu học Phú Tân", TH, "binh_duong", P, dt.date(2017, 8, 15)),
    DemoSchool("Trường Tiểu học Tân An", TH, "phu_an", P, dt.date(2004, 8, 15)),
    DemoSchool("Trường Tiểu học Phú An", TH, "phu_an", P, dt.date(2006, 8, 15)),
    DemoSchool("Trường Tiểu học Tư thục Ngô Thời Nhiệm", TH, "phu_loi", T, dt.date(2012, 8, 1)),
    DemoSchool("Trường Tiểu học Tư thục Việt Anh", TH, "binh_duong", T, dt.date(2016, 8, 1)),
    # Trung học cơ sở
    DemoSchool("Trường THCS Chu Văn An", THCS, "thu_dau_mot", P, dt.date(1976, 9, 5)),
    DemoSchool("Trường THCS Nguyễn Văn Cừ", THCS, "thu_dau_mot", P, dt.date(1997, 8, 15)),
    DemoSchool("Trường THCS Trần Bình Trọng", THCS, "thu_dau_mot", P, dt.date(1994, 8, 15)),
    DemoSchool("Trường THCS Phú Hòa", THCS, "phu_loi", P, dt.date(1998, 8, 15)),
    DemoSchool("Trường THCS Nguyễn Thị Minh Khai", THCS, "phu_loi", P, dt.date(2001, 8, 15)),
    DemoSchool("Trường THCS Hiệp Thành", THCS, "phu_loi", P, dt.date(2003, 8, 15)),
    DemoSchool("Trường THCS Định Hòa", THCS, "chanh_hiep", P, dt.date(2005, 8, 15)),
    DemoSchool("Trường THCS Tương Bình Hiệp", THCS, "chanh_hiep", P, dt.date(2002, 8, 15)),
    DemoSchool("Trường THCS Chánh Mỹ", THCS, "chanh_hiep", P, dt.date(2008, 8, 15)),
    DemoSchool("Trường THCS Phú Mỹ", THCS, "binh_duong", P, dt.date(2010, 8, 15)),
    DemoSchool("Trường THCS Hòa Phú", THCS, "binh_duong", P, dt.date(2015, 8, 15)),
    DemoSchool("Trường THCS Tân An", THCS, "phu_an", P, dt.date(2006, 8, 15)),
    DemoSchool("Trường THCS Phú An", THCS, "phu_an", P, dt.date(2009, 8, 15)),
)

# ---------------------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------------------

SURNAMES = (
    ("Nguyễn", 38),
    ("Trần", 11),
    ("Lê", 9),
    ("Phạm", 7),
    ("Huỳnh", 5),
    ("Hoàng", 3),
    ("Phan", 4),
    ("Võ", 4),
    ("Vũ", 2),
    ("Đặng", 2),
    ("Bùi", 2),
    ("Đỗ", 2),
    ("Hồ", 1),
    ("Ngô", 1),
    ("Dương", 1),
    ("Lý", 1),
    ("Trương", 1),
    ("Đinh", 1),
    ("Lâm", 1),
    ("Mai", 1),
    ("Tô", 1),
    ("Châu", 1),
)
_SURNAME_VALUES = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]

MIDDLE_NAMES: dict[str, tuple[str, ...]] = {
    Sex.MALE: ("Văn", "Minh", "Hoàng", "Quốc", "Gia", "Đức", "Thành", "Anh", "Hữu", "Công", "Nhật", "Bảo", "Trọng"),
    Sex.FEMALE: ("Thị", "Ngọc", "Thanh", "Thu", "Bảo", "Minh", "Khánh", "Phương", "Mai", "Gia", "Hoài", "Kim"),
}
GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    Sex.MALE: (
        "An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đức", "Hải", "Hiếu", "Hoàng", "Huy", "Hùng", "Khang",
        "Khoa", "Khôi", "Kiên", "Lâm", "Long", "Lộc", "Minh", "Nam", "Nghĩa", "Nhân", "Phát", "Phong", "Phúc",
        "Quân", "Quang", "Sơn", "Tài", "Thắng", "Thịnh", "Tín", "Toàn", "Trí", "Trung", "Tuấn", "Việt", "Vinh",
    ),
    Sex.FEMALE: (
        "An", "Anh", "Châu", "Chi", "Diệp", "Dung", "Giang", "Hà", "Hân", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương",
        "Huyền", "Lan", "Linh", "Loan", "Mai", "My", "Ngân", "Ngọc", "Nhi", "Nhung", "Oanh", "Phương", "Quỳnh",
        "Tâm", "Thảo", "Thư", "Trâm", "Trang", "Trinh", "Uyên", "Vân", "Vy", "Yến",
    ),
}  # fmt: skip
# Most pupils are Kinh; Bình Dương also has Hoa, Khmer and Tày families among others.
ETHNICITIES = ["Kinh"] * 46 + ["Hoa", "Hoa", "Khmer", "Tày"]


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_VALUES, _SURNAME_WEIGHTS)[0]


def full_name(rng: random.Random, sex: str, family: str | None = None) -> str:
    return f"{family or surname(rng)} {rng.choice(MIDDLE_NAMES[sex])} {rng.choice(GIVEN_NAMES[sex])}"


def phone_number(rng: random.Random) -> str:
    return rng.choice(("090", "091", "093", "096", "097", "098", "086", "070", "077", "083", "085")) + "".join(
        str(rng.randint(0, 9)) for _ in range(7)
    )


def random_date(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


class PersonalIdAllocator:
    """Issues unique, structurally valid personal ID numbers (số định danh cá nhân)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.issued: set[str] = set()

    def issue(self, province: str, born: dt.date, sex: str) -> str:
        century_digit = 2 * (born.year // 100 - 19) + (1 if sex == Sex.FEMALE else 0)
        prefix = f"{province}{century_digit}{born.year % 100:02d}"
        while True:
            value = f"{prefix}{self.rng.randrange(1_000_000):06d}"
            if value not in self.issued:
                break
        errors = personal_id_errors(value, birth_date=born, sex=sex)
        if errors:  # a bug in this generator, never bad luck
            raise ValueError(f"Generated an invalid personal ID {value}: {errors}")
        self.issued.add(value)
        return value


def make_person(
    *,
    name: str,
    born: dt.date | None,
    sex: str,
    personal_id: str = "",
    rng: random.Random,
    phone: str = "",
    email: str = "",
    home: str = "",
) -> Person:
    """An unsaved Person ready for bulk_create (which skips save(), so search_name is set here)."""
    return Person(
        full_name=name,
        search_name=fold_vietnamese(name),
        date_of_birth=born,
        sex=sex,
        ethnicity=rng.choice(ETHNICITIES),
        nationality="Việt Nam",
        **Person.personal_id_columns(personal_id),
        phone=phone,
        email=email,
        address=home,
    )


# ---------------------------------------------------------------------------------------------------------------
# Years, grades and subjects
# ---------------------------------------------------------------------------------------------------------------

YEAR_2024 = {
    "code": "2024-2025",
    "starts_on": dt.date(2024, 9, 5),
    "ends_on": dt.date(2025, 5, 31),
    "semester1_ends_on": dt.date(2025, 1, 11),
    "semester2_starts_on": dt.date(2025, 1, 13),
}
YEAR_2025 = {
    "code": "2025-2026",
    "starts_on": dt.date(2025, 9, 5),
    "ends_on": dt.date(2026, 5, 31),
    "semester1_ends_on": dt.date(2026, 1, 10),
    "semester2_starts_on": dt.date(2026, 1, 12),
}


def ensure_years(*, with_previous: bool = True) -> tuple[SchoolYear, SchoolYear | None]:
    """The 2025-2026 year (current) and, if asked, 2024-2025. Existing rows are reused, never duplicated."""
    current, _ = SchoolYear.objects.get_or_create(code=YEAR_2025["code"], defaults={**YEAR_2025, "is_current": True})
    if not current.is_current:
        SchoolYear.objects.exclude(pk=current.pk).update(is_current=False)
        current.is_current = True
        current.save(update_fields=["is_current", "updated_at"])
    previous = None
    if with_previous:
        previous, _ = SchoolYear.objects.get_or_create(
            code=YEAR_2024["code"], defaults={**YEAR_2024, "is_current": False}
        )
    return current, previous


LEVEL_GRADES: dict[str, tuple[str, ...]] = {
    MN: ("NT", "MG3", "MG4", "MG5"),
    TH: ("1", "2", "3", "4", "5"),
    THCS: ("6", "7", "8", "9"),
}
# Age on the first day of the school year: NT 2, MG3 3, …, grade 1 at 6, grade 9 at 14.
GRADE_AGE = {"NT": 2, "MG3": 3, "MG4": 4, "MG5": 5, **{str(g): 5 + g for g in range(1, 10)}}
MN_CLASS_PREFIX = {"NT": "Nhà trẻ", "MG3": "Mầm", "MG4": "Chồi", "MG5": "Lá"}

# Subjects of the 2018 curriculum per grade (Tin học and Công nghệ start in grade 3; TNXH in 1–3; Khoa học and
# Lịch sử – Địa lí in 4–5). In primary school the homeroom teacher teaches the core subjects.
TH_HOMEROOM_SUBJECTS = ("TV", "TOAN", "DD", "HDTN")
TH_SPECIALIST_SUBJECTS = {"NN1": 8, "TIN": 10, "CN": 10, "GDTC": 10, "AN": 12, "MT": 12}
THCS_SUBJECTS = {
    "TOAN": 4,
    "NV": 4,
    "NN1": 5,
    "KHTN": 4,
    "LSDL": 6,
    "GDCD": 10,
    "CN": 8,
    "TIN": 8,
    "GDTC": 8,
    "AN": 12,
    "MT": 12,
    "HDTN": 10,
    "GDDP": 12,
}


def th_subjects_for(grade: str) -> tuple[str, ...]:
    g = int(grade)
    extra: tuple[str, ...] = ("TNXH",) if g <= 3 else ("KH", "LSDL")
    return TH_HOMEROOM_SUBJECTS + extra


def th_specialist_subjects_for(grade: str) -> tuple[str, ...]:
    g = int(grade)
    return tuple(s for s in TH_SPECIALIST_SUBJECTS if g >= 3 or s not in ("TIN", "CN"))


# ---------------------------------------------------------------------------------------------------------------
# The builder
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Sizing:
    """How big a school is: classes per grade and pupils per class, as inclusive ranges."""

    classes_per_grade: dict[str, tuple[int, int]] = field(
        default_factory=lambda: {MN: (2, 3), TH: (2, 4), THCS: (2, 4)}
    )
    class_size: dict[str, tuple[int, int]] = field(default_factory=lambda: {MN: (20, 30), TH: (25, 35), THCS: (28, 35)})


@dataclass
class SchoolResult:
    school: OrgUnit
    classes: list[SchoolClass]
    staff: list[StaffMember]
    students: int


@dataclass
class Totals:
    schools: int = 0
    classes: int = 0
    students: int = 0
    guardians: int = 0
    staff: int = 0
    teaching_assignments: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class PopulationBuilder:
    """Fills schools with staff, classes, pupils and guardians through bulk_create.

    The random generator is the only source of variety, so one seed always gives the same people.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        current_year: SchoolYear,
        previous_year: SchoolYear | None = None,
        student_code_prefix: str = "74",
        sizing: Sizing | None = None,
        batch_size: int = 2000,
    ):
        self.rng = rng
        self.current_year = current_year
        self.previous_year = previous_year
        self.code_prefix = student_code_prefix
        self.sizing = sizing or Sizing()
        self.batch_size = batch_size
        self.ids = PersonalIdAllocator(rng)
        self.grades = {g.code: g for g in Grade.objects.all()}
        self.subjects = {s.code: s for s in Subject.objects.all()}
        self.totals = Totals()
        self._student_seq = 0
        self._subject_through = StaffMember.subjects.through

    # -- people ----------------------------------------------------------------------------------------------

    def _next_student_code(self) -> str:
        self._student_seq += 1
        return f"{self.code_prefix}{self._student_seq:08d}"

    def _pupil(self, grade: str, year_start: int, ward_key: str, family: str) -> Person:
        rng = self.rng
        sex = rng.choice((Sex.MALE, Sex.FEMALE))
        # About one pupil in forty started school a year late.
        age = GRADE_AGE[grade] + (1 if rng.random() < 0.025 else 0)
        born = random_date(rng, year_start - age)
        pid = self.ids.issue(BINH_DUONG_ID_CODE, born, sex)
        return make_person(
            name=full_name(rng, sex, family), born=born, sex=sex, personal_id=pid, rng=rng, home=address(rng, ward_key)
        )

    def _adult(self, sex: str, born_from: int, born_to: int, ward_key: str, family: str | None = None) -> Person:
        rng = self.rng
        born = random_date(rng, rng.randint(born_from, born_to))
        pid = self.ids.issue(rng.choice(PARENT_ID_CODES), born, sex)
        return make_person(
            name=full_name(rng, sex, family),
            born=born,
            sex=sex,
            personal_id=pid,
            rng=rng,
            phone=phone_number(rng),
            home=address(rng, ward_key),
        )

    # -- one school ------------------------------------------------------------------------------------------

    def populate(self, school: OrgUnit, *, ward_key: str) -> SchoolResult:
        level = school.school_level
        grades = LEVEL_GRADES[level]
        lo, hi = self.sizing.classes_per_grade[level]
        counts = {g: self.rng.randint(lo, hi) for g in grades}
        n_classes = sum(counts.values())
        staff = self._staff(school, level, counts, ward_key)
        teachers = [s for s in staff if s.position == StaffPosition.TEACHER]
        classes = self._classes(school, level, counts, teachers, self.current_year)
        previous: dict[str, list[SchoolClass]] = {}
        if self.previous_year is not None:
            previous = self._previous_classes(school, level, counts, teachers, classes)
        self._teaching(level, staff, teachers, [c for cs in classes.values() for c in cs])
        if previous:
            self._teaching(level, staff, teachers, [c for cs in previous.values() for c in cs])
        students = self._pupils(school, level, classes, previous, ward_key)
        SchoolInfrastructure.objects.create(school=school, **self._infrastructure(level, n_classes))
        self.totals.schools += 1
        all_classes = [c for cs in classes.values() for c in cs] + [c for cs in previous.values() for c in cs]
        self.totals.classes += len(all_classes)
        return SchoolResult(school, all_classes, staff, students)

    def _staff(self, school: OrgUnit, level: str, counts: dict[str, int], ward_key: str) -> list[StaffMember]:
        rng = self.rng
        n_classes = sum(counts.values())
        plan: list[tuple[str, tuple[str, ...]]] = [(StaffPosition.PRINCIPAL, ())]
        plan += [(StaffPosition.VICE_PRINCIPAL, ())] * (2 if n_classes >= 12 else 1)
        if level == MN:
            plan += [(StaffPosition.TEACHER, ())] * (2 * n_classes)
            plan += [(StaffPosition.STAFF, ())] * 3  # kế toán, văn thư, y tế
        elif level == TH:
            plan += [(StaffPosition.TEACHER, (*TH_HOMEROOM_SUBJECTS, "TNXH", "KH", "LSDL"))] * n_classes
            for subject, per_teacher in TH_SPECIALIST_SUBJECTS.items():
                plan += [(StaffPosition.TEACHER, (subject,))] * max(1, math.ceil(n_classes / per_teacher))
            plan += [(StaffPosition.STAFF, ())] * 4  # kế toán, văn thư, thư viện, thiết bị – CNTT
        else:
            for subject, per_teacher in THCS_SUBJECTS.items():
                plan += [(StaffPosition.TEACHER, (subject,))] * max(1, math.ceil(n_classes / per_teacher))
            plan += [(StaffPosition.STAFF, ())] * 4
        people = []
        for position, _subjects in plan:
            # Preschool teaching staff are nearly all women; elsewhere about three in four.
            female_share = 0.97 if level == MN and position == StaffPosition.TEACHER else 0.75
            sex = Sex.FEMALE if rng.random() < female_share else Sex.MALE
            person = self._adult(sex, 1968, 2001, ward_key)
            person.email = ""
            people.append(person)
        Person.objects.bulk_create(people, batch_size=self.batch_size)
        members = []
        for i, ((position, _subjects), person) in enumerate(zip(plan, people, strict=True), start=1):
            trained = rng.random() < 0.7
            members.append(
                StaffMember(
                    person=person,
                    org_unit=school,
                    staff_code=f"{school.moet_code or school.pk}-{i:03d}",
                    position=position,
                    qualification=(
                        Qualification.COLLEGE
                        if level == MN and rng.random() < 0.3
                        else (Qualification.MASTER if rng.random() < 0.12 else Qualification.BACHELOR)
                    ),
                    digital_skills_trained_on=(dt.date(2024, 6, 1) + dt.timedelta(days=rng.randrange(420)))
                    if trained
                    else None,
                    digital_skills_course="Bồi dưỡng năng lực số cho giáo viên (Sở GDĐT)" if trained else "",
                    signing_certificate_ref=(
                        f"VNPT-CA {rng.randrange(16**12):012X}"
                        if position in (StaffPosition.PRINCIPAL, StaffPosition.VICE_PRINCIPAL)
                        else ""
                    ),
                )
            )
        StaffMember.objects.bulk_create(members, batch_size=self.batch_size)
        links = [
            self._subject_through(staffmember_id=m.pk, subject_id=self.subjects[code].pk)
            for (_position, subjects), m in zip(plan, members, strict=True)
            for code in subjects
        ]
        self._subject_through.objects.bulk_create(links, batch_size=self.batch_size)
        self.totals.staff += len(members)
        return members

    def _class_name(self, level: str, grade: str, i: int) -> str:
        if level == MN:
            return f"{MN_CLASS_PREFIX[grade]} {i}"
        return f"{grade}A{i}"

    def _classes(
        self,
        school: OrgUnit,
        level: str,
        counts: dict[str, int],
        teachers: Sequence[StaffMember],
        year: SchoolYear,
    ) -> dict[str, list[SchoolClass]]:
        out: dict[str, list[SchoolClass]] = {}
        k = 0
        rows = []
        for grade, n in counts.items():
            for i in range(1, n + 1):
                # MN: every class has two teachers, the first is the homeroom one; TH: the class teachers
                # come first in the staff list; THCS: subject teachers take turns as homeroom teachers.
                homeroom = teachers[(2 * k if level == MN else k) % len(teachers)]
                klass = SchoolClass(
                    school=school,
                    year=year,
                    grade=self.grades[grade],
                    name=self._class_name(level, grade, i),
                    homeroom_teacher=homeroom,
                )
                out.setdefault(grade, []).append(klass)
                rows.append(klass)
                k += 1
        SchoolClass.objects.bulk_create(rows, batch_size=self.batch_size)
        return out

    def _previous_classes(
        self,
        school: OrgUnit,
        level: str,
        counts: dict[str, int],
        teachers: Sequence[StaffMember],
        current: dict[str, list[SchoolClass]],
    ) -> dict[str, list[SchoolClass]]:
        """Last year's classes: each non-entry class of this year was last year's class one grade down, and
        last year's top grade has since left (its pupils are recorded as having completed the level)."""
        assert self.previous_year is not None
        grades = LEVEL_GRADES[level]
        prev_counts = {grades[i - 1]: counts[g] for i, g in enumerate(grades) if i > 0}
        prev_counts[grades[-1]] = self.rng.randint(*self.sizing.classes_per_grade[level])
        previous = self._classes(school, level, prev_counts, teachers, self.previous_year)
        updates = []
        for i, grade in enumerate(grades[1:], start=1):
            for now, before in zip(current[grade], previous[grades[i - 1]], strict=True):
                now.promoted_from = before
                updates.append(now)
        SchoolClass.objects.bulk_update(updates, ["promoted_from"], batch_size=self.batch_size)
        return previous

    def _teaching(
        self, level: str, staff: list[StaffMember], teachers: list[StaffMember], classes: list[SchoolClass]
    ) -> None:
        if level == MN:
            return
        rows = []
        by_subject: dict[str, list[StaffMember]] = {}
        subject_of: dict[int, tuple[str, ...]] = {}
        through = self._subject_through.objects.filter(staffmember__in=teachers).values_list(
            "staffmember_id", "subject__code"
        )
        for staff_id, code in through:
            subject_of.setdefault(staff_id, ())
            subject_of[staff_id] += (code,)
        for t in teachers:
            own = subject_of.get(t.pk, ())
            if len(own) == 1:
                by_subject.setdefault(own[0], []).append(t)
        turn: dict[str, int] = {}
        for klass in classes:
            grade = klass.grade.code
            if level == TH:
                assert klass.homeroom_teacher is not None
                for code in th_subjects_for(grade):
                    rows.append(
                        TeachingAssignment(
                            staff=klass.homeroom_teacher, school_class=klass, subject=self.subjects[code]
                        )
                    )
                codes: tuple[str, ...] = th_specialist_subjects_for(grade)
            else:
                codes = tuple(THCS_SUBJECTS)
            for code in codes:
                pool = by_subject[code]
                i = turn.get(code, 0)
                turn[code] = i + 1
                rows.append(
                    TeachingAssignment(staff=pool[i % len(pool)], school_class=klass, subject=self.subjects[code])
                )
        TeachingAssignment.objects.bulk_create(rows, batch_size=self.batch_size)
        self.totals.teaching_assignments += len(rows)

    def _pupils(
        self,
        school: OrgUnit,
        level: str,
        classes: dict[str, list[SchoolClass]],
        previous: dict[str, list[SchoolClass]],
        ward_key: str,
    ) -> int:
        rng = self.rng
        grades = LEVEL_GRADES[level]
        lo, hi = self.sizing.class_size[level]
        y_now = self.current_year.starts_on
        y_before = self.previous_year.starts_on if self.previous_year else None
        # (class now, class last year, status): graduates of last year's top grade have no class now.
        seats: list[tuple[SchoolClass | None, SchoolClass | None, str]] = []
        for i, grade in enumerate(grades):
            for j, klass in enumerate(classes[grade]):
                before = previous[grades[i - 1]][j] if previous and i > 0 else None
                seats += [(klass, before, StudentStatus.STUDYING)] * rng.randint(lo, hi)
        if previous:
            for klass in previous[grades[-1]]:
                seats += [(None, klass, StudentStatus.GRADUATED)] * rng.randint(lo, hi)
        families = [surname(rng) for _ in seats]
        persons = []
        for (now, before, _status), family in zip(seats, families, strict=True):
            seat = now or before
            assert seat is not None
            year_start = (y_now if now is not None else y_before or y_now).year
            persons.append(self._pupil(seat.grade.code, year_start, ward_key, family))
        Person.objects.bulk_create(persons, batch_size=self.batch_size)
        students = []
        for (now, before, status), person in zip(seats, persons, strict=True):
            first = before or now
            assert first is not None
            # Pupils joined in the level's entry grade (or age group), years before the first class on record.
            steps = grades.index(first.grade.code)
            entry = first.year.starts_on.replace(year=first.year.starts_on.year - steps)
            students.append(
                Student(
                    person=person,
                    moet_code=self._next_student_code(),
                    school=school,
                    status=status,
                    enrolled_on=entry,
                )
            )
        Student.objects.bulk_create(students, batch_size=self.batch_size)
        memberships = []
        stints = []
        for (now, before, status), student in zip(seats, students, strict=True):
            if before is not None:
                assert self.previous_year is not None
                memberships.append(
                    ClassMembership(
                        student=student,
                        school_class=before,
                        joined_on=before.year.starts_on,
                        left_on=self.previous_year.ends_on,
                    )
                )
            if now is not None:
                memberships.append(ClassMembership(student=student, school_class=now, joined_on=y_now))
            stints.append(
                StudentSchoolStint(
                    student=student,
                    school=school,
                    started_on=student.enrolled_on or y_now,
                    ended_on=self.previous_year.ends_on
                    if status == StudentStatus.GRADUATED and self.previous_year
                    else None,
                    reason="Hoàn thành chương trình cấp học" if status == StudentStatus.GRADUATED else "",
                )
            )
        ClassMembership.objects.bulk_create(memberships, batch_size=self.batch_size)
        StudentSchoolStint.objects.bulk_create(stints, batch_size=self.batch_size)
        # Guardians: a father who shares the pupil's family name and a mother; one in six records only one.
        guardian_rows: list[tuple[Student, str, Person]] = []
        for student, family in zip(students, families, strict=True):
            parents_born = student.person.date_of_birth.year if student.person.date_of_birth else 2015
            # One pupil in twelve has only the mother recorded, one in twelve only the father.
            r = rng.random()
            if r >= 1 / 12:
                guardian_rows.append(
                    (
                        student,
                        GuardianRelation.FATHER,
                        self._adult(Sex.MALE, parents_born - 40, parents_born - 24, ward_key, family),
                    )
                )
            if r < 1 / 12 or r >= 2 / 12:
                guardian_rows.append(
                    (
                        student,
                        GuardianRelation.MOTHER,
                        self._adult(Sex.FEMALE, parents_born - 38, parents_born - 21, ward_key),
                    )
                )
        Person.objects.bulk_create([p for _s, _r, p in guardian_rows], batch_size=self.batch_size)
        links = []
        primary_done: set[int] = set()
        for student, relation, person in guardian_rows:
            links.append(
                GuardianLink(
                    guardian=person, student=student, relation=relation, is_primary=student.pk not in primary_done
                )
            )
            primary_done.add(student.pk)
        GuardianLink.objects.bulk_create(links, batch_size=self.batch_size)
        self.totals.students += len(students)
        self.totals.guardians += len(guardian_rows)
        return len(students)

    def _infrastructure(self, level: str, n_classes: int) -> dict[str, Any]:
        rng = self.rng
        classrooms = n_classes + rng.randint(0, 4)
        rooms = 0 if level == MN else rng.choice((1, 1, 2))
        internet = rng.choices(
            (InternetType.FIBER, InternetType.ADSL, InternetType.MOBILE, InternetType.NONE), (85, 5, 8, 2)
        )[0]
        return {
            "internet_type": internet,
            "bandwidth_mbps": 0 if internet == InternetType.NONE else rng.choice((50, 100, 150, 200, 300)),
            "has_wifi_for_teaching": internet != InternetType.NONE and rng.random() < 0.8,
            "computer_rooms": rooms,
            "student_computers": rooms * rng.randint(25, 40),
            "teacher_computers": rng.randint(3, 12),
            "classrooms": classrooms,
            "classrooms_with_projector": rng.randint(0, classrooms),
            "classrooms_with_display": rng.randint(0, classrooms // 2),
            "other_devices": "Máy in, máy quét" if rng.random() < 0.6 else "",
        }


def create_school(
    *, parent: OrgUnit, spec: DemoSchool, moet_code: str, province_code: str, ward_code: str, rng: random.Random
) -> OrgUnit:
    """Create one school through the tree service, so that its creation is a dated, audited event."""
    return orgunit_create(
        actor=None,
        kind=OrgUnitKind.SCHOOL,
        name=spec.name,
        parent=parent,
        valid_from=spec.founded,
        school_level=spec.level,
        ownership=spec.ownership,
        moet_code=moet_code,
        province_code=province_code,
        ward_code=ward_code,
        address=address(rng, spec.ward_key),
        phone="0274" + "".join(str(rng.randint(0, 9)) for _ in range(7)),
        email=f"{fold_vietnamese(spec.name).replace(' ', '')[6:30]}@thudaumot.edu.vn",
    )
