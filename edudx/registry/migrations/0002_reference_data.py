"""Grades (khối / nhóm tuổi) and subjects of the 2018 general-education curriculum."""

from django.db import migrations

GRADES = [
    ("NT", "Nhà trẻ", "MN", 1),
    ("MG3", "Mẫu giáo 3–4 tuổi", "MN", 2),
    ("MG4", "Mẫu giáo 4–5 tuổi", "MN", 3),
    ("MG5", "Mẫu giáo 5–6 tuổi", "MN", 4),
    *[(str(n), f"Khối {n}", "TH", 4 + n) for n in range(1, 6)],
    *[(str(n), f"Khối {n}", "THCS", 4 + n) for n in range(6, 10)],
]

SUBJECTS = [
    ("TV", "Tiếng Việt", "TH"),
    ("TOAN", "Toán", "TH,THCS"),
    ("NV", "Ngữ văn", "THCS"),
    ("NN1", "Ngoại ngữ 1 (Tiếng Anh)", "TH,THCS"),
    ("DD", "Đạo đức", "TH"),
    ("TNXH", "Tự nhiên và Xã hội", "TH"),
    ("KH", "Khoa học", "TH"),
    ("LSDL", "Lịch sử và Địa lí", "TH,THCS"),
    ("GDCD", "Giáo dục công dân", "THCS"),
    ("KHTN", "Khoa học tự nhiên", "THCS"),
    ("CN", "Công nghệ", "TH,THCS"),
    ("TIN", "Tin học", "TH,THCS"),
    ("GDTC", "Giáo dục thể chất", "TH,THCS"),
    ("AN", "Âm nhạc", "TH,THCS"),
    ("MT", "Mĩ thuật", "TH,THCS"),
    ("HDTN", "Hoạt động trải nghiệm", "TH,THCS"),
    ("GDDP", "Nội dung giáo dục của địa phương", "THCS"),
]


def load(apps, schema_editor):
    Grade = apps.get_model("registry", "Grade")
    Subject = apps.get_model("registry", "Subject")
    for code, name, level, order in GRADES:
        Grade.objects.update_or_create(code=code, defaults={"name": name, "level": level, "order": order})
    for code, name, levels in SUBJECTS:
        Subject.objects.update_or_create(code=code, defaults={"name": name, "levels": levels})


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
