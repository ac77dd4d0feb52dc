"""The rule sets of TT22/2021 and TT27/2020 as version 1, and the curriculum (CT GDPT 2018) per grade.

Periods per year follow Thông tư 32/2018/TT-BGDĐT; the authority edits both in the interface afterwards.
"""

from django.db import migrations

TH = "primary"
SCORED = "scored"
COMMENT = "comment"

# (grade, [(subject code, kind, periods a year), ...]) in the order of the học bạ.
CURRICULUM = {
    "1": [("TV", TH, 420), ("TOAN", TH, 105), ("DD", TH, 35), ("TNXH", TH, 70), ("GDTC", TH, 70), ("AN", TH, 35),
          ("MT", TH, 35), ("HDTN", TH, 105)],
    "2": [("TV", TH, 350), ("TOAN", TH, 175), ("DD", TH, 35), ("TNXH", TH, 70), ("GDTC", TH, 70), ("AN", TH, 35),
          ("MT", TH, 35), ("HDTN", TH, 105)],
    "3": [("TV", TH, 245), ("TOAN", TH, 175), ("NN1", TH, 140), ("DD", TH, 35), ("TNXH", TH, 70), ("TIN", TH, 35),
          ("CN", TH, 35), ("GDTC", TH, 70), ("AN", TH, 35), ("MT", TH, 35), ("HDTN", TH, 105)],
    **{
        grade: [("TV", TH, 245), ("TOAN", TH, 175), ("NN1", TH, 140), ("DD", TH, 35), ("LSDL", TH, 70),
                ("KH", TH, 70), ("TIN", TH, 35), ("CN", TH, 35), ("GDTC", TH, 70), ("AN", TH, 35), ("MT", TH, 35),
                ("HDTN", TH, 105)]
        for grade in ("4", "5")
    },
    **{
        grade: [("NV", SCORED, 140), ("TOAN", SCORED, 140), ("NN1", SCORED, 105), ("GDCD", SCORED, 35),
                ("LSDL", SCORED, 105), ("KHTN", SCORED, 140), ("CN", SCORED, 35 if grade in ("6", "7") else 52),
                ("TIN", SCORED, 35), ("GDTC", COMMENT, 70), ("AN", COMMENT, 35), ("MT", COMMENT, 35),
                ("HDTN", COMMENT, 105), ("GDDP", COMMENT, 35)]
        for grade in ("6", "7", "8", "9")
    },
}  # fmt: skip


def load(apps, schema_editor):
    from edudx.gradebook import rulesets

    RuleSetVersion = apps.get_model("gradebook", "RuleSetVersion")
    for circular, rule_set in ((rulesets.Circular.TT22_2021, rulesets.TT22_2021),
                               (rulesets.Circular.TT27_2020, rulesets.TT27_2020)):  # fmt: skip
        RuleSetVersion.objects.get_or_create(
            code=rule_set.code,
            version=1,
            defaults={
                "circular": circular.value,
                "valid_from": rule_set.valid_from,
                "valid_to": rule_set.valid_to,
                "data": rulesets.to_data(rule_set),
                "reason": "Nạp từ văn bản gốc khi cài đặt",
            },
        )
    Grade = apps.get_model("registry", "Grade")
    Subject = apps.get_model("registry", "Subject")
    GradeSubject = apps.get_model("gradebook", "GradeSubject")
    subjects = {s.code: s for s in Subject.objects.all()}
    for grade_code, rows in CURRICULUM.items():
        grade = Grade.objects.get(code=grade_code)
        for order, (code, kind, periods) in enumerate(rows, start=1):
            GradeSubject.objects.update_or_create(
                grade=grade, subject=subjects[code], defaults={"kind": kind, "periods_per_year": periods, "order": order}
            )


def unload(apps, schema_editor):
    apps.get_model("gradebook", "GradeSubject").objects.all().delete()
    apps.get_model("gradebook", "RuleSetVersion").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("gradebook", "0001_initial"), ("registry", "0003_teaching_semester")]

    operations = [migrations.RunPython(load, unload)]
