"""Pages about people, walked as each kind of actor: own data 200, others' data 404, no change refused."""

import datetime as dt

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from edudx.core.crypto import encrypt, lookup_hash
from edudx.core.models import AuditEvent, SensitiveRead
from edudx.registry.models import ClassMembership, SchoolClass, SchoolYear, StaffMember, Student, StudentSchoolStint
from edudx.testing import login_verified

FULL_ID = "079215000321"


@pytest.fixture
def pupil(world):
    """A pupil of 6A1 in school 1 with a known personal ID number."""
    student = world.school1.students_a[0]
    person = student.person
    person.date_of_birth, person.sex = dt.date(2015, 1, 1), "M"
    person.personal_id_encrypted = encrypt(FULL_ID)
    person.personal_id_hash = lookup_hash(FULL_ID)
    person.personal_id_last3 = FULL_ID[-3:]
    person.save()
    return student


def names_in(response, students):
    body = response.content.decode()
    return {s.pk for s in students if s.person.full_name in body}


# --- the permission matrix through the pages ------------------------------------------------


def test_student_list_matrix(world, client):
    s1, s2 = world.school1, world.school2
    everyone1 = s1.students_a + s1.students_b
    everyone2 = s2.students_a + s2.students_b
    url = reverse("registry:student_list")
    expected = {
        s1.users["principal"]: {s.pk for s in everyone1},
        s1.users["homeroom_teacher"]: {s.pk for s in s1.students_a},
        s1.users["subject_teacher"]: {s.pk for s in s1.students_b},
        s1.users["guardian"]: {s1.students_a[0].pk},
        s1.users["student"]: {s1.students_a[1].pk},
        world.nobody: set(),
    }
    for user, visible in expected.items():
        login_verified(client, user)
        response = client.get(url)
        assert response.status_code == 200, user
        assert names_in(response, everyone1 + everyone2) == visible, user.username


def test_student_detail_matrix(world, client, pupil):
    s1, s2 = world.school1, world.school2
    own = reverse("registry:student_detail", args=[pupil.pk])
    other_school = reverse("registry:student_detail", args=[s2.students_a[0].pk])
    other_class = reverse("registry:student_detail", args=[s1.students_b[0].pk])
    sibling = reverse("registry:student_detail", args=[s1.students_a[2].pk])
    missing = reverse("registry:student_detail", args=[999999])
    cases = [
        (s1.users["principal"], {own: 200, other_class: 200, other_school: 404, missing: 404}),
        (s1.users["homeroom_teacher"], {own: 200, other_class: 404, other_school: 404}),
        (s1.users["subject_teacher"], {own: 404, other_class: 200, other_school: 404}),
        (s1.users["guardian"], {own: 200, sibling: 404, other_school: 404}),
        (s1.users["student"], {own: 404, other_school: 404}),
        (s2.users["principal"], {own: 404, other_school: 200}),
        (world.nobody, {own: 404}),
    ]
    for user, urls in cases:
        login_verified(client, user)
        for url, status in urls.items():
            assert client.get(url).status_code == status, (user.username, url)


def test_student_sees_only_self(world, client):
    me = world.school1.students_a[1]
    login_verified(client, world.school1.users["student"])
    assert client.get(reverse("registry:student_detail", args=[me.pk])).status_code == 200
    assert client.get(reverse("registry:student_detail", args=[world.school1.students_a[0].pk])).status_code == 404


def test_anonymous_is_sent_to_log_in(client, world):
    for name in ("student_list", "class_list", "staff_list", "guardian_list", "year_list"):
        response = client.get(reverse(f"registry:{name}"))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_class_pages_matrix(world, client):
    s1, s2 = world.school1, world.school2
    a, b, other = (reverse("registry:class_detail", args=[k.pk]) for k in (s1.class_a, s1.class_b, s2.class_a))
    cases = [
        (s1.users["principal"], {a: 200, b: 200, other: 404}),
        (s1.users["homeroom_teacher"], {a: 200, b: 404, other: 404}),
        (s1.users["subject_teacher"], {a: 404, b: 200, other: 404}),
        (s1.users["guardian"], {a: 200, b: 404, other: 404}),
        (world.authority_users["authority_leader"], {a: 200, b: 200, other: 200}),
    ]
    for user, urls in cases:
        login_verified(client, user)
        for url, status in urls.items():
            assert client.get(url).status_code == status, (user.username, url)
    login_verified(client, s1.users["homeroom_teacher"])
    body = client.get(reverse("registry:class_list")).content.decode()
    assert ">6A1<" in body and ">6A2<" not in body


def test_class_detail_shows_members_homeroom_and_teaching(world, client):
    s1 = world.school1
    login_verified(client, s1.users["principal"])
    body = client.get(reverse("registry:class_detail", args=[s1.class_b.pk])).content.decode()
    assert all(s.person.full_name in body for s in s1.students_b)
    assert "Toán" in body and s1.subject_teacher.person.full_name in body
    login_verified(client, s1.users["principal"])
    body = client.get(reverse("registry:class_detail", args=[s1.class_a.pk])).content.decode()
    assert s1.homeroom_a.person.full_name in body


def test_guardian_list_matrix(world, client):
    s1 = world.school1
    url = reverse("registry:guardian_list")
    login_verified(client, s1.users["principal"])
    assert "Phụ huynh a" in client.get(url).content.decode()
    login_verified(client, s1.users["principal"])
    assert "Phụ huynh b" not in client.get(url).content.decode()
    login_verified(client, s1.users["homeroom_teacher"])
    assert "Phụ huynh a" in client.get(url).content.decode()
    login_verified(client, s1.users["subject_teacher"])
    assert "Phụ huynh a" not in client.get(url).content.decode()


def test_guardian_gets_child_cards(world, client):
    login_verified(client, world.school1.users["guardian"])
    response = client.get(reverse("registry:student_list"))
    body = response.content.decode()
    assert "Con em của tôi" in body
    assert 'data-testid="student-cards"' in body
    assert world.school1.students_a[0].person.full_name in body
    assert 'name="viewport"' in body
    assert "export=xlsx" not in body
    assert "/org/units/" not in body  # a guardian cannot open unit pages: plain names in the breadcrumb


def test_staff_pages(world, client):
    s1, s2 = world.school1, world.school2
    own = reverse("registry:staff_detail", args=[s1.homeroom_a.pk])
    other = reverse("registry:staff_detail", args=[s2.homeroom_a.pk])
    login_verified(client, s1.users["subject_teacher"])  # staff.view on the school
    assert client.get(own).status_code == 200
    assert client.get(other).status_code == 404
    assert client.get(reverse("registry:staff_edit", args=[s1.homeroom_a.pk])).status_code == 403
    login_verified(client, s1.users["guardian"])
    assert client.get(own).status_code == 404
    login_verified(client, s2.users["clerk"])
    assert client.get(reverse("registry:staff_edit", args=[s1.homeroom_a.pk])).status_code == 404


def test_staff_edit_saves_through_service(world, client):
    s1 = world.school1
    member = s1.homeroom_a
    url = reverse("registry:staff_edit", args=[member.pk])
    login_verified(client, s1.users["clerk"])
    assert client.get(url).status_code == 200
    toan = 0
    from edudx.registry.models import Subject

    toan = Subject.objects.get(code="TOAN").pk
    response = client.post(
        url,
        {
            "full_name": member.person.full_name,
            "position": "teacher",
            "subjects": [toan],
            "qualification": "master",
            "digital_skills_trained_on": "2025-08-20",
            "digital_skills_course": "Khung năng lực số giáo viên",
            "signing_certificate_ref": "Viettel-CA 1234",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    member = StaffMember.objects.get(pk=member.pk)
    assert member.qualification == "master" and member.digital_skills_trained_on == dt.date(2025, 8, 20)
    assert list(member.subjects.values_list("pk", flat=True)) == [toan]
    assert AuditEvent.objects.filter(action="staff.update", object_id=str(member.pk)).exists()
    # A bad value shows the service's message and changes nothing.
    response = client.post(
        url, {"full_name": member.person.full_name, "position": "teacher", "personal_id": "123", "is_active": "on"}
    )
    assert response.status_code == 200 and "12 chữ số" in response.content.decode()


# --- personal ID: masked everywhere, revealed once with a reason ---------------------------


def test_personal_id_is_masked_in_list_detail_and_exports(world, client, pupil):
    login_verified(client, world.school1.users["principal"])
    for url in (
        reverse("registry:student_list"),
        reverse("registry:student_detail", args=[pupil.pk]),
        reverse("registry:class_detail", args=[world.school1.class_a.pk]),
    ):
        body = client.get(url).content.decode()
        assert FULL_ID not in body and "•••321" in body
    csv = b"".join(client.get(reverse("registry:student_list") + "?export=csv").streaming_content).decode("utf-8")
    assert csv.startswith("\ufeff") and FULL_ID not in csv and "321" in csv


def test_reveal_flow(world, client, pupil):
    url = reverse("registry:student_reveal_id", args=[pupil.pk])
    login_verified(client, world.school1.users["clerk"])
    assert client.get(url).status_code == 403
    login_verified(client, world.school2.users["principal"])
    assert client.get(url).status_code == 404
    login_verified(client, world.school1.users["principal"])
    page = client.get(url)
    assert page.status_code == 200 and FULL_ID not in page.content.decode()
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and FULL_ID not in refused.content.decode()
    assert SensitiveRead.objects.count() == 0
    shown = client.post(url, {"reason": "Đối chiếu với giấy khai sinh"})
    assert FULL_ID in shown.content.decode()
    assert "no-store" in shown["Cache-Control"]
    read = SensitiveRead.objects.get()
    assert read.reason == "Đối chiếu với giấy khai sinh" and read.actor == world.school1.users["principal"]
    # The detail page afterwards is masked again.
    assert FULL_ID not in client.get(reverse("registry:student_detail", args=[pupil.pk])).content.decode()


# --- exports --------------------------------------------------------------------------------


def test_exports_stay_within_permissions(world, client):
    login_verified(client, world.school1.users["homeroom_teacher"])
    response = client.get(reverse("registry:student_list") + "?export=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    import io

    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Mã học sinh"
    assert {r[1] for r in rows[1:]} == {s.person.full_name for s in world.school1.students_a}
    for name in ("class_list", "staff_list", "guardian_list", "year_list"):
        response = client.get(reverse(f"registry:{name}") + "?export=csv")
        assert response.status_code == 200
        text = b"".join(response.streaming_content).decode("utf-8")
        assert text.startswith("\ufeff")
        assert "Trường THCS Hai" not in text and "Học sinh 6A1 b" not in text


# --- transfer, class creation, years and the roll-over through the pages --------------------


def test_transfer_page(world, client):
    student = world.school1.students_a[2]
    url = reverse("registry:student_transfer", args=[student.pk])
    login_verified(client, world.school1.users["homeroom_teacher"])
    assert client.get(url).status_code == 403
    login_verified(client, world.school2.users["clerk"])
    assert client.get(url).status_code == 404
    login_verified(client, world.school1.users["clerk"])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"to_school": world.school2.school.pk, "on": "2026-02-02", "reason": "Chuyển nơi cư trú"}
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.school == world.school2.school
    assert StudentSchoolStint.objects.filter(student=student).count() == 2
    # Now it belongs to school 2: school 1 gets 404, school 2 sees the history.
    assert client.get(reverse("registry:student_detail", args=[student.pk])).status_code == 404
    login_verified(client, world.school2.users["principal"])
    body = client.get(reverse("registry:student_detail", args=[student.pk]))
    text = body.content.decode()
    assert "Trường THCS Một" in text and "Chuyển nơi cư trú" in text


def test_class_create_page(world, client):
    url = reverse("registry:class_create")
    login_verified(client, world.school1.users["homeroom_teacher"])
    assert client.get(url).status_code == 403
    login_verified(client, world.school1.users["clerk"])
    from edudx.registry.models import Grade

    data = {
        "school": world.school1.school.pk,
        "year": world.year.pk,
        "grade": Grade.objects.get(code="7").pk,
        "name": "7A5",
        "homeroom_teacher": world.school1.subject_teacher.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    klass = SchoolClass.objects.get(name="7A5")
    assert klass.homeroom_teacher == world.school1.subject_teacher
    # Another school's teacher is not even a choice; a school outside the actor's reach neither.
    response = client.post(url, {**data, "name": "7A6", "homeroom_teacher": world.school2.subject_teacher.pk})
    assert response.status_code == 200 and not SchoolClass.objects.filter(name="7A6").exists()
    response = client.post(url, {**data, "name": "7A7", "school": world.school2.school.pk, "homeroom_teacher": ""})
    assert response.status_code == 200 and not SchoolClass.objects.filter(name="7A7").exists()


def test_breadcrumb_shows_organisation_path(world, client, pupil):
    login_verified(client, world.school1.users["principal"])
    body = client.get(reverse("registry:student_detail", args=[pupil.pk]))
    text = body.content.decode()
    crumbs = text[text.index('class="breadcrumb') : text.index("</ol>")]
    order = [
        crumbs.index(x) for x in ("Bộ Giáo dục", "Sở GDĐT", "Phòng GDĐT", "Trường THCS Một", pupil.person.full_name)
    ]
    assert order == sorted(order)
    assert f"/org/units/{world.school1.school.pk}/" in crumbs


def test_year_list_and_create(world, client):
    url = reverse("registry:year_list")
    login_verified(client, world.school1.users["guardian"])
    assert "2025-2026" in client.get(url).content.decode()
    login_verified(client, world.school1.users["principal"])
    assert client.post(url, {"code": "2026-2027"}).status_code == 403
    login_verified(client, world.authority_users["authority_leader"])
    response = client.post(
        url,
        {
            "code": "2026-2027",
            "starts_on": "2026-09-05",
            "semester1_ends_on": "2027-01-16",
            "semester2_starts_on": "2027-01-18",
            "ends_on": "2027-05-31",
        },
    )
    assert response.status_code == 302 and SchoolYear.objects.filter(code="2026-2027").exists()


def test_year_rollover_page_previews_then_executes(world, client):
    s1 = world.school1
    to_year = SchoolYear.objects.create(
        code="2026-2027",
        starts_on=dt.date(2026, 9, 5),
        ends_on=dt.date(2027, 5, 31),
        semester1_ends_on=dt.date(2027, 1, 15),
        semester2_starts_on=dt.date(2027, 1, 18),
    )
    url = reverse("registry:year_rollover")
    login_verified(client, s1.users["homeroom_teacher"])
    assert client.get(url).status_code == 403
    params = {"school": s1.school.pk, "from_year": world.year.pk, "to_year": to_year.pk}
    # Another school's principal cannot pick school 1: the form refuses it, nothing changes.
    login_verified(client, world.school2.users["principal"])
    other = client.post(url, {**params, "confirm": "1"})
    assert other.status_code == 200 and not SchoolClass.objects.filter(year=to_year).exists()
    login_verified(client, s1.users["principal"])
    preview = client.get(url, params)
    body = preview.content.decode()
    assert preview.status_code == 200 and "7A1" in body and "Xác nhận chuyển năm học" in body
    assert not SchoolClass.objects.filter(year=to_year).exists()
    done = client.post(url, {**params, "confirm": "1"})
    assert done.status_code == 302
    assert set(SchoolClass.objects.filter(school=s1.school, year=to_year).values_list("name", flat=True)) == {
        "7A1",
        "7A2",
    }
    assert ClassMembership.objects.filter(school_class__year=to_year).count() == 6
    # Doing it again is a conflict shown on the page, not an error.
    again = client.post(url, {**params, "confirm": "1"})
    assert again.status_code == 200 and "đã có lớp 7A1" in again.content.decode()
    assert SchoolClass.objects.filter(year=to_year).count() == 2


def test_student_list_query_count_is_fixed(world, client, django_assert_max_num_queries):
    """The whole page (session, user, grants, filters, rows) stays bounded as rows grow."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login_verified(client, world.school1.users["principal"])
    url = reverse("registry:student_list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    from edudx.testing import make_person

    for i in range(30):
        student = Student.objects.create(
            person=make_person(f"Thêm {i}"), moet_code=f"QV{i:05d}", school=world.school1.school
        )
        ClassMembership.objects.create(
            student=student, school_class=world.school1.class_a, joined_on=world.year.starts_on
        )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many.captured_queries) == len(few.captured_queries)
