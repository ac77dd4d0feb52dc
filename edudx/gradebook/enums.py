"""Codes of the assessment rules: TT22/2021 (THCS) and TT27/2020 (TH).

Codes are stable ASCII strings stored in the database and in rule-set data; labels are Vietnamese.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Circular(models.TextChoices):
    """The circular whose rules apply to a school level."""

    TT22_2021 = "TT22/2021", _("Thông tư 22/2021/TT-BGDĐT (THCS, THPT)")
    TT27_2020 = "TT27/2020", _("Thông tư 27/2020/TT-BGDĐT (tiểu học)")


class Tt22Level(models.TextChoices):
    """Levels of kết quả học tập and kết quả rèn luyện (TT22 Điều 8, 9), best first."""

    GOOD = "tot", _("Tốt")
    FAIR = "kha", _("Khá")
    PASSED = "dat", _("Đạt")
    NOT_PASSED = "chua_dat", _("Chưa đạt")


class CommentResult(models.TextChoices):
    """Result of a subject assessed by comments only (TT22 Điều 5, 9 khoản 1)."""

    PASSED = "dat", _("Đạt")
    NOT_PASSED = "chua_dat", _("Chưa đạt")


class AdjustmentMode(models.TextChoices):
    """How TT22 Điều 9 khoản 3 raises a level lowered by one single subject (wording unconfirmed)."""

    NONE = "none", _("Không điều chỉnh")
    RAISE_ONE = "raise_one", _("Nâng lên một mức so với mức đã tính")
    ADJACENT_TO_UNLOWERED = "adjacent_to_unlowered", _("Nâng lên mức liền kề dưới mức lẽ ra đạt được")


class PromotionOutcome(models.TextChoices):
    """Where a THCS student stands at the end of the year (TT22 Điều 12–14)."""

    PROMOTED = "promoted", _("Lên lớp")
    SUMMER_TRAINING = "summer_training", _("Rèn luyện trong kì nghỉ hè")
    RETEST = "retest", _("Kiểm tra, đánh giá lại")
    RETAINED = "retained", _("Ở lại lớp")


class Tt22Title(models.TextChoices):
    """Danh hiệu at the end of the year (TT22 Điều 15)."""

    EXCELLENT = "xuat_sac", _("Học sinh Xuất sắc")
    GOOD = "gioi", _("Học sinh Giỏi")


class Tt27SubjectLevel(models.TextChoices):
    """Level of a primary subject or educational activity (TT27 Điều 7)."""

    WELL_COMPLETED = "T", _("Hoàn thành tốt")
    COMPLETED = "H", _("Hoàn thành")
    NOT_COMPLETED = "C", _("Chưa hoàn thành")


class Tt27QualityLevel(models.TextChoices):
    """Level of a phẩm chất or năng lực of a primary pupil (TT27 Điều 7)."""

    GOOD = "T", _("Tốt")
    PASSED = "D", _("Đạt")
    NEEDS_EFFORT = "C", _("Cần cố gắng")


class Tt27Checkpoint(models.TextChoices):
    """The four periodic assessment points of the primary school year (TT27 Điều 7)."""

    MID_SEMESTER_1 = "mid_semester_1", _("Giữa học kì I")
    END_SEMESTER_1 = "end_semester_1", _("Cuối học kì I")
    MID_SEMESTER_2 = "mid_semester_2", _("Giữa học kì II")
    END_YEAR = "end_year", _("Cuối năm học")


class Tt27Classification(models.TextChoices):
    """Year-end result of education of a primary pupil (TT27 Điều 9 khoản 2), best first."""

    EXCELLENT = "htxs", _("Hoàn thành xuất sắc")
    WELL_COMPLETED = "htt", _("Hoàn thành tốt")
    COMPLETED = "ht", _("Hoàn thành")
    NOT_COMPLETED = "cht", _("Chưa hoàn thành")


class Tt27Title(models.TextChoices):
    """Giấy khen of the principal at the end of the year (TT27 Điều 13)."""

    EXCELLENT = "xuat_sac", _("Học sinh Xuất sắc")
    EXEMPLARY = "tieu_bieu", _("Học sinh Tiêu biểu hoàn thành tốt trong học tập và rèn luyện")
