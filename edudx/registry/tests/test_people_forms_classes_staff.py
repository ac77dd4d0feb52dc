"""The pages that write about classes (edit, teaching assignments) and staff (create).

Each form: the happy path shows the change on the detail page; a refused value shows the service's
message and writes nothing; people without the right get 403, another school 404.
"""

import pytest
from django.urls import reverse

from edudx.core.models import AuditEvent
from edudx.registry.models import Person, SchoolClass, StaffMember, Subject, TeachingAssignment
from edudx.testing import login_verified


def section(body, testid):
    start = body.index(f'data-testid="{testid}"')
    return body[start : body.index("</ul>", start)]


def counts():
    return (
        Person.objects.count(),
        StaffMember.objects.count(),
        TeachingAssignment.objects.count(),
        AuditEvent.objects.count(),
        list(SchoolClass.objects.order_by("pk").values_list("name", "homeroom_teacher_id")),
    )


# --- class edit --------------------------------------------------------------------------------


def test_class_edit_happy_path(world, client):
    s1 = world.school1
    klass = s1.class_b
    login_verified(client, s1.users["vice_principal"])
    detail = reverse("registry:class_detail", args=[klass.pk])
    url = reverse("registry:class_edit", args=[klass.pk])
    assert url in client.get(detail).content.decode()
    page = client.get(url)
    staff_choices = set(page.context["form"].fields["homeroom_teacher"].queryset)
    assert staff_choices == {s1.homeroom_a, s1.subject_teacher}  # the school's active staff only
    response = client.post(url, {"name": "6A2 Chất lượng cao", "homeroom_teacher": s1.subject_teacher.pk})
    assert response.status_code == 302 and response["Location"] == detail
    body = client.get(detail).content.decode()
    assert "6A2 Chất lượng cao" in body
    assert s1.subject_teacher.person.full_name in body.split('data-testid="homeroom"')[1][:200]
    assert AuditEvent.objects.filter(action="class.update", object_id=str(klass.pk)).exists()


def test_class_edit_refusals_write_nothing(world, client):
    s1, s2 = world.school1, world.school2
    login_verified(client, s1.users["principal"])
    url = reverse("registry:class_edit", args=[s1.class_b.pk])
    before = counts()
    # The homeroom teacher of 6A1 cannot also lead 6A2 in the same year.
    response = client.post(url, {"name": "6A2", "homeroom_teacher": s1.homeroom_a.pk})
    assert response.status_code == 200
    assert "đã chủ nhiệm lớp 6A1" in " ".join(response.context["form"].errors["homeroom_teacher"])
    # A name already used in the school this year.
    response = client.post(url, {"name": "6a1"})
    assert "đã có trong năm học" in " ".join(response.context["form"].errors["name"])
    # A teacher of another school is not a choice.
    response = client.post(url, {"name": "6A2", "homeroom_teacher": s2.subject_teacher.pk})
    assert "homeroom_teacher" in response.context["form"].errors
    assert counts() == before


def test_class_forms_permissions(world, client):
    s1, s2 = world.school1, world.school2
    a = s1.class_a
    assignment = TeachingAssignment.objects.get(school_class=s1.class_b)
    urls = {
        "edit": reverse("registry:class_edit", args=[a.pk]),
        "teaching": reverse("registry:class_teaching_set", args=[a.pk]),
    }
    remove = reverse("registry:class_teaching_remove", args=[s1.class_b.pk, assignment.pk])
    before = counts()
    login_verified(client, s1.users["homeroom_teacher"])  # sees 6A1, may not change it
    for url in urls.values():
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "X"}).status_code == 403
    assert client.post(remove).status_code == 404  # 6A2 is not theirs to see
    assert urls["edit"] not in client.get(reverse("registry:class_detail", args=[a.pk])).content.decode()
    login_verified(client, s1.users["librarian"])
    for url in [*urls.values(), remove]:
        assert client.get(url).status_code == 403
    assert client.post(remove).status_code == 403
    login_verified(client, s2.users["principal"])
    for url in [*urls.values(), remove]:
        assert client.get(url).status_code == 404
        assert client.post(url, {"name": "X"}).status_code == 404
    assert counts() == before


# --- teaching assignments ----------------------------------------------------------------------


def test_teaching_set_replace_and_remove(world, client):
    s1 = world.school1
    klass = s1.class_b
    toan = Subject.objects.get(code="TOAN")
    van = Subject.objects.filter(levels__contains="THCS").exclude(pk=toan.pk).order_by("name").first()
    login_verified(client, s1.users["clerk"])
    detail = reverse("registry:class_detail", args=[klass.pk])
    url = reverse("registry:class_teaching_set", args=[klass.pk])
    assert url in client.get(detail).content.decode()
    response = client.post(url, {"subject": van.pk, "staff": s1.homeroom_a.pk})
    assert response.status_code == 302
    teaching = section(client.get(detail).content.decode(), "teaching")
    assert van.name in teaching and s1.homeroom_a.person.full_name in teaching
    # The same subject again replaces its teacher.
    assert client.post(url, {"subject": toan.pk, "staff": s1.homeroom_a.pk}).status_code == 302
    assert TeachingAssignment.objects.get(school_class=klass, subject=toan).staff == s1.homeroom_a
    assert TeachingAssignment.objects.filter(school_class=klass).count() == 2
    # Removal asks first, then removes.
    assignment = TeachingAssignment.objects.get(school_class=klass, subject=van)
    remove = reverse("registry:class_teaching_remove", args=[klass.pk, assignment.pk])
    assert remove in client.get(detail).content.decode()
    confirm = client.get(remove)
    assert confirm.status_code == 200 and "Xác nhận gỡ" in confirm.content.decode()
    assert TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    assert client.post(remove).status_code == 302
    assert not TeachingAssignment.objects.filter(pk=assignment.pk).exists()
    assert van.name not in section(client.get(detail).content.decode(), "teaching")
    assert AuditEvent.objects.filter(action="class.teaching_assignment_remove", object_id=str(assignment.pk)).exists()


def test_teaching_set_refusals_write_nothing(world, client):
    s1, s2 = world.school1, world.school2
    login_verified(client, s1.users["principal"])
    url = reverse("registry:class_teaching_set", args=[s1.class_a.pk])
    toan = Subject.objects.get(code="TOAN")
    before = counts()
    # A teacher of another school is not a choice.
    response = client.post(url, {"subject": toan.pk, "staff": s2.subject_teacher.pk})
    assert response.status_code == 200 and "staff" in response.context["form"].errors
    # A subject not taught at the school's level (THCS) is not a choice either.
    primary_only = Subject.objects.get(code="TV")  # Tiếng Việt: primary school only
    response = client.post(url, {"subject": primary_only.pk, "staff": s1.subject_teacher.pk})
    assert "subject" in response.context["form"].errors
    # A teacher who left the school is refused.
    StaffMember.objects.filter(pk=s1.subject_teacher.pk).update(is_active=False)
    response = client.post(url, {"subject": toan.pk, "staff": s1.subject_teacher.pk})
    assert response.status_code == 200 and "staff" in response.context["form"].errors
    after = counts()
    assert after[:4] == before[:4]


# --- staff create ------------------------------------------------------------------------------


def staff_data(world, **overrides):
    toan = Subject.objects.get(code="TOAN")
    data = {
        "unit": world.school1.school.pk,
        "full_name": "Phạm Văn Đức",
        "date_of_birth": "1990-05-17",
        "sex": "M",
        "phone": "0912345678",
        "email": "duc@example.vn",
        "personal_id": "079090111222",
        "staff_code": "GV-042",
        "position": "teacher",
        "subjects": [toan.pk],
        "qualification": "bachelor",
        "digital_skills_trained_on": "2025-08-20",
        "digital_skills_course": "Bồi dưỡng năng lực số cho giáo viên",
        "signing_certificate_ref": "VNPT-CA 5400112233",
    }
    data.update(overrides)
    return data


def test_staff_create_happy_path(world, client):
    login_verified(client, world.school1.users["principal"])
    url = reverse("registry:staff_create")
    assert url in client.get(reverse("registry:staff_list")).content.decode()
    page = client.get(url)
    assert page.status_code == 200
    assert list(page.context["form"].fields["unit"].queryset) == [world.school1.school]
    response = client.post(url, staff_data(world))
    member = StaffMember.objects.get(staff_code="GV-042")
    assert response.status_code == 302 and response["Location"] == reverse("registry:staff_detail", args=[member.pk])
    assert member.org_unit == world.school1.school and member.person.personal_id_last3 == "222"
    assert list(member.subjects.values_list("code", flat=True)) == ["TOAN"]
    assert AuditEvent.objects.filter(action="staff.create", object_id=str(member.pk)).exists()
    body = client.get(response["Location"]).content.decode()
    assert "Phạm Văn Đức" in body and "GV-042" in body and "VNPT-CA 5400112233" in body
    assert "079090111222" not in body
    # The new teacher can now be made homeroom teacher of a class.
    edit = client.get(reverse("registry:class_edit", args=[world.school1.class_b.pk]))
    assert member in edit.context["form"].fields["homeroom_teacher"].queryset


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"personal_id": "0790901112"}, "personal_id", "12 chữ số"),
        # Born 1990, male: digit 4 must be 0.
        ({"personal_id": "079190111222"}, "personal_id", "Chữ số thứ 4"),
        ({"digital_skills_course": ""}, "digital_skills_course", "Cần ghi tên khoá"),
        ({"digital_skills_trained_on": "2099-01-01"}, "digital_skills_trained_on", "sau ngày hôm nay"),
    ],
)
def test_staff_create_refused_writes_nothing(world, client, overrides, field, message):
    login_verified(client, world.school1.users["clerk"])
    before = counts()
    response = client.post(reverse("registry:staff_create"), staff_data(world, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, [])), response.context["form"].errors
    assert counts() == before


def test_staff_create_permissions(world, client):
    s1, s2 = world.school1, world.school2
    url = reverse("registry:staff_create")
    before = counts()
    for role in ("homeroom_teacher", "librarian", "vice_principal"):  # none holds staff.change
        login_verified(client, s1.users[role])
        assert client.get(url).status_code == 403, role
        assert client.post(url, staff_data(world)).status_code == 403, role
    # Another school's principal cannot name this school as the unit.
    login_verified(client, s2.users["principal"])
    response = client.post(url, staff_data(world))
    assert response.status_code == 200 and "unit" in response.context["form"].errors
    assert counts() == before
