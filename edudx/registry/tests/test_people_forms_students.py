"""The pages that write about students: create, edit, class move, guardians added and removed.

Each form: the happy path shows the record on the detail page; a refused value shows the service's
message on the field and writes nothing; people without the right get 403, another school 404.
"""

import datetime as dt

import pytest
from django.urls import reverse

from edudx.core.crypto import decrypt
from edudx.core.models import AuditEvent
from edudx.registry.models import ClassMembership, GuardianLink, Person, Student
from edudx.testing import login_verified


def section(body, testid):
    """The list marked ``data-testid=testid`` on a page (flash messages elsewhere also name people)."""
    start = body.index(f'data-testid="{testid}"')
    return body[start : body.index("</ul>", start)]


def counts():
    """What a refused form must leave untouched."""
    return (
        Person.objects.count(),
        Student.objects.count(),
        ClassMembership.objects.count(),
        GuardianLink.objects.count(),
        AuditEvent.objects.count(),
    )


def new_student(world, **overrides):
    data = {
        "full_name": "  Trần   Thị Bích  Ngọc ",
        "date_of_birth": "2015-01-01",
        "sex": "F",
        "ethnicity": "Tày",
        "personal_id": "079315000777",
        "address": "12 Lê Lợi, phường Bến Thành",
        "moet_code": "7900000042",
        "school": world.school1.school.pk,
        "school_class": world.school1.class_b.pk,
        "enrolled_on": "2025-09-05",
    }
    data.update(overrides)
    return data


# --- student_create ----------------------------------------------------------------------------


def test_student_create_happy_path(world, client):
    login_verified(client, world.school1.users["clerk"])
    list_body = client.get(reverse("registry:student_list")).content.decode()
    assert reverse("registry:student_create") in list_body
    form = client.get(reverse("registry:student_create"))
    assert form.status_code == 200
    body = form.content.decode()
    assert world.school2.class_a.school.name not in body  # only the clerk's own school and its classes
    response = client.post(reverse("registry:student_create"), new_student(world))
    student = Student.objects.get(moet_code="7900000042")
    assert response.status_code == 302 and response["Location"] == reverse("registry:student_detail", args=[student.pk])
    assert student.school == world.school1.school
    membership = ClassMembership.objects.get(student=student, school_class=world.school1.class_b)
    assert membership.joined_on == student.enrolled_on == dt.date(2025, 9, 5)
    assert AuditEvent.objects.filter(action="student.create", object_id=str(student.pk)).exists()
    detail = client.get(response["Location"]).content.decode()
    assert "Trần Thị Bích Ngọc" in detail and "7900000042" in detail and "Tày" in detail
    assert "6A2" in detail and "12 Lê Lợi" in detail
    assert "079315000777" not in detail and "777" in detail  # masked: only the last three digits


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"personal_id": "12345"}, "personal_id", "12 chữ số"),
        # Born 2015, female: digit 4 must be 3, not 2.
        ({"personal_id": "079215000777"}, "personal_id", "Chữ số thứ 4"),
        ({"moet_code": "DUP"}, "moet_code", "đã tồn tại"),
        ({"date_of_birth": "2099-01-01"}, "date_of_birth", "sau ngày hôm nay"),
    ],
)
def test_student_create_refused_writes_nothing(world, client, overrides, field, message):
    if overrides.get("moet_code") == "DUP":
        overrides = {"moet_code": world.school2.students_a[0].moet_code}
    login_verified(client, world.school1.users["principal"])
    before = counts()
    response = client.post(reverse("registry:student_create"), new_student(world, **overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, [])), response.context["form"].errors
    assert message in response.content.decode()
    assert counts() == before


def test_student_create_class_of_another_school_refused(world, client):
    login_verified(client, world.school1.users["principal"])
    before = counts()
    response = client.post(
        reverse("registry:student_create"), new_student(world, school_class=world.school2.class_a.pk)
    )
    assert response.status_code == 200 and "school_class" in response.context["form"].errors
    assert counts() == before
    # Nor can a school be named that the actor does not keep students in.
    response = client.post(reverse("registry:student_create"), new_student(world, school=world.school2.school.pk))
    assert response.status_code == 200 and "school" in response.context["form"].errors
    assert counts() == before


def test_student_create_class_of_other_school_same_actor(world, client):
    """An actor keeping students in both schools: the form pairs the class with the school chosen."""
    from edudx.testing import grant

    clerk = world.school1.users["clerk"]
    grant(clerk, "clerk", world.school2.school)
    login_verified(client, clerk)
    before = counts()
    response = client.post(
        reverse("registry:student_create"), new_student(world, school_class=world.school2.class_a.pk)
    )
    assert response.status_code == 200
    assert "Lớp được chọn không thuộc trường này." in response.context["form"].errors["school_class"]
    assert counts() == before


@pytest.mark.parametrize("role", ["homeroom_teacher", "librarian", "guardian"])
def test_student_create_forbidden_without_student_change(world, client, role):
    login_verified(client, world.school1.users[role])
    before = counts()
    assert client.get(reverse("registry:student_create")).status_code == 403
    assert client.post(reverse("registry:student_create"), new_student(world)).status_code == 403
    assert counts() == before
    assert reverse("registry:student_create") not in client.get(reverse("registry:student_list")).content.decode()


# --- student_edit ------------------------------------------------------------------------------


def edit_data(student, **overrides):
    person = student.person
    data = {
        "full_name": person.full_name,
        "date_of_birth": person.date_of_birth.isoformat(),
        "sex": person.sex,
        "ethnicity": "Kinh",
        "personal_id": "",
        "address": "",
    }
    data.update(overrides)
    return data


def test_student_edit_happy_path(world, client):
    student = world.school1.students_a[2]
    login_verified(client, world.school1.users["vice_principal"])
    url = reverse("registry:student_edit", args=[student.pk])
    page = client.get(url).content.decode()
    assert student.moet_code in page and 'name="moet_code"' not in page  # shown, not editable
    assert student.person.personal_id_masked in page
    new_id = "079314999888"  # born 2014, female
    response = client.post(url, edit_data(student, full_name="Học Sinh Đổi Tên", address="Ấp 3", personal_id=new_id))
    assert response.status_code == 302
    detail = client.get(reverse("registry:student_detail", args=[student.pk])).content.decode()
    assert "Học Sinh Đổi Tên" in detail and "Ấp 3" in detail
    assert new_id not in detail and "888" in detail
    student.person.refresh_from_db()
    assert student.person.personal_id_last3 == "888"
    assert AuditEvent.objects.filter(action="student.update", object_id=str(student.pk)).exists()
    # A MOET code posted anyway is ignored: the code never changes.
    client.post(url, {**edit_data(student), "moet_code": "HACKED"})
    assert Student.objects.get(pk=student.pk).moet_code == student.moet_code


def test_student_edit_bad_personal_id_writes_nothing(world, client):
    student = world.school1.students_a[2]
    login_verified(client, world.school1.users["principal"])
    before = (counts(), Person.objects.get(pk=student.person_id).full_name)
    for bad, message in (("0793149", "12 chữ số"), ("999314000001", "không tồn tại")):
        response = client.post(
            reverse("registry:student_edit", args=[student.pk]),
            edit_data(student, full_name="Không Được Lưu", personal_id=bad),
        )
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors["personal_id"])
    assert (counts(), Person.objects.get(pk=student.person_id).full_name) == before
    # Another person's number is refused too.
    taken = decrypt(world.school1.students_a[0].person.personal_id_encrypted)
    response = client.post(reverse("registry:student_edit", args=[student.pk]), edit_data(student, personal_id=taken))
    assert "đã được gán cho một người khác" in " ".join(response.context["form"].errors["personal_id"])
    assert counts()[:4] == before[0][:4]


def test_student_edit_permissions(world, client):
    s1, s2 = world.school1, world.school2
    url = reverse("registry:student_edit", args=[s1.students_a[0].pk])
    login_verified(client, s1.users["homeroom_teacher"])
    assert client.get(url).status_code == 403  # sees the pupil, may not change
    login_verified(client, s1.users["librarian"])
    assert client.get(url).status_code == 403
    before = counts()
    login_verified(client, s1.users["librarian"])
    assert client.post(url, edit_data(s1.students_a[0], full_name="X")).status_code == 403
    login_verified(client, s2.users["principal"])
    assert client.get(url).status_code == 404
    login_verified(client, s2.users["principal"])
    assert client.post(url, edit_data(s1.students_a[0], full_name="X")).status_code == 404
    assert counts() == before
    login_verified(client, s1.users["homeroom_teacher"])
    body = client.get(reverse("registry:student_detail", args=[s1.students_a[0].pk]))
    assert reverse("registry:student_edit", args=[s1.students_a[0].pk]) not in body.content.decode()


# --- class move --------------------------------------------------------------------------------


def test_student_move_happy_path_and_refusals(world, client):
    s1, s2 = world.school1, world.school2
    student = s1.students_a[2]
    url = reverse("registry:student_move", args=[student.pk])
    login_verified(client, s1.users["clerk"])
    page = client.get(url)
    assert page.status_code == 200
    choices = list(page.context["form"].fields["to_class"].queryset)
    assert choices == [s1.class_b]  # same school and year, not the current class
    # Another school's class, or the current one, is not a choice; nothing is written.
    before = counts()
    for klass in (s2.class_a, s1.class_a):
        response = client.post(url, {"to_class": klass.pk, "on": "2025-10-01"})
        assert response.status_code == 200 and "to_class" in response.context["form"].errors
    # A date before the pupil joined the class is refused by the service, shown on the date.
    response = client.post(url, {"to_class": s1.class_b.pk, "on": "2025-01-01"})
    assert "Ngày chuyển lớp phải từ" in " ".join(response.context["form"].errors["on"])
    assert counts() == before
    response = client.post(url, {"to_class": s1.class_b.pk, "on": "2025-10-01"})
    assert response.status_code == 302
    assert ClassMembership.objects.get(student=student, left_on__isnull=True).school_class == s1.class_b
    assert ClassMembership.objects.get(student=student, school_class=s1.class_a).left_on == dt.date(2025, 10, 1)
    detail = client.get(reverse("registry:student_detail", args=[student.pk])).content.decode()
    assert "Lớp 6A2 · 2025-2026" in detail


def test_student_move_places_a_pupil_without_class(world, client):
    s1 = world.school1
    student = s1.students_a[2]
    ClassMembership.objects.filter(student=student).delete()
    login_verified(client, s1.users["principal"])
    response = client.post(
        reverse("registry:student_move", args=[student.pk]), {"to_class": s1.class_a.pk, "on": "2025-10-01"}
    )
    assert response.status_code == 302
    assert ClassMembership.objects.get(student=student).school_class == s1.class_a


def test_student_move_permissions(world, client):
    s1, s2 = world.school1, world.school2
    url = reverse("registry:student_move", args=[s1.students_a[0].pk])
    before = counts()
    login_verified(client, s1.users["homeroom_teacher"])
    assert client.post(url, {"to_class": s1.class_b.pk, "on": "2025-10-01"}).status_code == 403
    login_verified(client, s1.users["librarian"])
    assert client.get(url).status_code == 403
    login_verified(client, s2.users["principal"])
    assert client.post(url, {"to_class": s1.class_b.pk, "on": "2025-10-01"}).status_code == 404
    assert counts() == before


# --- guardians ---------------------------------------------------------------------------------


def test_guardian_add_new_person_then_remove(world, client):
    s1 = world.school1
    student = s1.students_a[2]
    login_verified(client, s1.users["clerk"])
    detail_url = reverse("registry:student_detail", args=[student.pk])
    add_url = reverse("registry:guardian_link_add", args=[student.pk])
    assert add_url in client.get(detail_url).content.decode()
    response = client.post(
        add_url,
        {
            "relation": "mother",
            "is_primary": "on",
            "full_name": "Nguyễn  Thị Mai",
            "phone": "0903123456",
            "email": "mai@example.vn",
            "personal_id": "079185000123",
        },
    )
    assert response.status_code == 302 and response["Location"] == detail_url
    link = GuardianLink.objects.get(student=student)
    assert link.guardian.full_name == "Nguyễn Thị Mai" and link.is_primary and link.relation == "mother"
    assert link.guardian.personal_id_last3 == "123"
    body = client.get(detail_url).content.decode()
    assert "Nguyễn Thị Mai" in body and "0903123456" in body
    remove_url = reverse("registry:guardian_link_remove", args=[student.pk, link.pk])
    assert remove_url in body
    # GET asks for confirmation and changes nothing.
    confirm = client.get(remove_url)
    assert confirm.status_code == 200 and "Xác nhận gỡ" in confirm.content.decode()
    assert GuardianLink.objects.filter(pk=link.pk).exists()
    assert client.post(remove_url).status_code == 302
    assert not GuardianLink.objects.filter(pk=link.pk).exists()
    assert Person.objects.filter(pk=link.guardian_id).exists()  # the person stays
    assert AuditEvent.objects.filter(action="guardian.link_remove", object_id=str(link.pk)).exists()
    body = client.get(detail_url).content.decode()
    assert "Nguyễn Thị Mai" not in section(body, "guardians")


def test_guardian_add_existing_person_by_personal_id(world, client):
    """A teacher of the school who is also a parent: linked by the exact number, no new person."""
    s1 = world.school1
    teacher = s1.homeroom_a.person
    number = "079090000456"
    from edudx.core.crypto import encrypt, lookup_hash

    teacher.personal_id_encrypted, teacher.personal_id_hash = encrypt(number), lookup_hash(number)
    teacher.personal_id_last3 = "456"
    teacher.save()
    student = s1.students_b[0]
    login_verified(client, s1.users["principal"])
    persons = Person.objects.count()
    response = client.post(
        reverse("registry:guardian_link_add", args=[student.pk]),
        {"relation": "father", "existing_personal_id": number},
    )
    assert response.status_code == 302
    assert Person.objects.count() == persons
    assert GuardianLink.objects.get(student=student).guardian == teacher
    assert teacher.full_name in client.get(reverse("registry:student_detail", args=[student.pk])).content.decode()
    # Linking the same person again is refused on the number's field.
    response = client.post(
        reverse("registry:guardian_link_add", args=[student.pk]),
        {"relation": "father", "existing_personal_id": number},
    )
    assert "đã được liên kết" in " ".join(response.context["form"].errors["existing_personal_id"])


def test_guardian_add_refusals_write_nothing(world, client):
    s1, s2 = world.school1, world.school2
    student = s1.students_a[2]
    url = reverse("registry:guardian_link_add", args=[student.pk])
    login_verified(client, s1.users["principal"])
    before = counts()
    cases = [
        ({"relation": "mother", "full_name": "Lê Thị Hoa", "personal_id": "07918500012"}, "personal_id", "12 chữ số"),
        ({"relation": "mother"}, "full_name", "Nhập họ và tên"),
        # A number of a person in another school is not visible here: not found, nothing revealed.
        (
            {"relation": "mother", "existing_personal_id": decrypt(s2.students_a[0].person.personal_id_encrypted)},
            "existing_personal_id",
            "Không tìm thấy",
        ),
    ]
    for data, field, message in cases:
        response = client.post(url, data)
        assert response.status_code == 200
        assert message in " ".join(response.context["form"].errors[field]), response.context["form"].errors
    assert counts() == before
    # Permissions: the homeroom teacher sees the guardians but may not change them; other school 404.
    a_student = s1.students_a[0]
    link = GuardianLink.objects.get(student=a_student)
    add = reverse("registry:guardian_link_add", args=[a_student.pk])
    remove = reverse("registry:guardian_link_remove", args=[a_student.pk, link.pk])
    for role in ("homeroom_teacher", "librarian"):
        login_verified(client, s1.users[role])
        assert client.get(add).status_code == 403, role
        assert client.post(add, {"relation": "mother", "full_name": "X"}).status_code == 403, role
    login_verified(client, s1.users["homeroom_teacher"])
    assert client.post(remove).status_code == 403
    login_verified(client, s2.users["principal"])
    assert client.get(add).status_code == 404
    login_verified(client, s2.users["principal"])
    assert client.post(remove).status_code == 404
    # A link id of another pupil does not open under this pupil's address.
    login_verified(client, s1.users["principal"])
    assert client.get(reverse("registry:guardian_link_remove", args=[student.pk, link.pk])).status_code == 404
    assert counts() == before
    assert GuardianLink.objects.filter(pk=link.pk).exists()


def test_menu_lists_guardians_years_and_infrastructure(world, client):
    login_verified(client, world.school1.users["principal"])
    body = client.get(reverse("registry:student_list")).content.decode()
    assert reverse("registry:guardian_list") in body and reverse("registry:year_list") in body
    assert reverse("registry:infrastructure_overview") not in body
    login_verified(client, world.authority_users["authority_leader"])
    body = client.get(reverse("registry:student_list")).content.decode()
    assert reverse("registry:infrastructure_overview") in body
    login_verified(client, world.school1.users["subject_teacher"])
    body = client.get(reverse("registry:year_list")).content.decode()
    assert reverse("registry:guardian_list") not in body  # no guardian.view for a subject teacher
