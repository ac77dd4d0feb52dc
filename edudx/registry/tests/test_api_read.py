"""Read endpoints of /api/v1/: what each actor sees, filters, search, masking, "as of" history."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from edudx.core import services as core_services
from edudx.core.api import OrgUnitKind, Ownership, Role, SchoolLevel
from edudx.registry.enums import StudentStatus
from edudx.registry.models import Student
from edudx.testing import grant, make_person, make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def student_ids(*students) -> set[int]:
    return {s.pk for s in students}


def test_anonymous_is_refused_everywhere(world):
    client = APIClient()
    for url in ("/api/v1/org-units/", "/api/v1/students/", f"/api/v1/students/{world.school1.students_a[0].pk}/"):
        assert client.get(url).status_code == 401


def test_students_follow_the_policy_for_each_actor(world):
    s1, s2 = world.school1, world.school2
    school1 = student_ids(*s1.students_a, *s1.students_b)
    school2 = student_ids(*s2.students_a, *s2.students_b)
    assert ids(client_for(s1.users["principal"]).get("/api/v1/students/")) == school1
    assert ids(client_for(s1.users["librarian"]).get("/api/v1/students/")) == school1
    assert ids(client_for(s1.users["homeroom_teacher"]).get("/api/v1/students/")) == student_ids(*s1.students_a)
    assert ids(client_for(s1.users["guardian"]).get("/api/v1/students/")) == {s1.students_a[0].pk}
    assert ids(client_for(s2.users["principal"]).get("/api/v1/students/")) == school2
    assert ids(client_for(world.nobody).get("/api/v1/students/")) == set()
    leader = client_for(world.authority_users["authority_leader"])
    assert ids(leader.get("/api/v1/students/")) == school1 | school2
    assert ids(client_for(world.authority_users["security_officer"]).get("/api/v1/students/")) == set()


def test_retrieve_outside_scope_is_404_like_a_missing_row(world):
    pupil = world.school1.students_a[0]
    other = client_for(world.school2.users["principal"])
    assert other.get(f"/api/v1/students/{pupil.pk}/").status_code == 404
    assert other.get("/api/v1/students/999999/").status_code == 404
    assert other.get(f"/api/v1/classes/{world.school1.class_a.pk}/").status_code == 404
    assert other.get(f"/api/v1/staff/{world.school1.homeroom_a.pk}/").status_code == 404
    assert other.get(f"/api/v1/org-units/{world.school1.school.pk}/").status_code == 404
    assert other.get(f"/api/v1/schools/{world.school1.school.pk}/").status_code == 404
    own = client_for(world.school1.users["principal"]).get(f"/api/v1/students/{pupil.pk}/")
    assert own.status_code == 200
    assert own.json()["moet_code"] == pupil.moet_code


def test_personal_id_is_only_ever_masked(world):
    pupil = world.school1.students_a[0]
    full = "079314" + "123456"
    from edudx.core.crypto import encrypt, lookup_hash

    person = pupil.person
    person.personal_id_encrypted = encrypt(full)
    person.personal_id_hash = lookup_hash(full)
    person.personal_id_last3 = full[-3:]
    person.save()
    client = client_for(world.authority_users["authority_leader"])  # holds student.reveal, still masked here
    detail = client.get(f"/api/v1/students/{pupil.pk}/")
    listing = client.get("/api/v1/students/?page_size=500")
    for response in (detail, listing):
        assert response.status_code == 200
        assert full.encode() not in response.content
        assert person.personal_id_encrypted.encode() not in response.content
    assert detail.json()["personal_id_masked"] == "•••••••••456"
    assert set(detail.json()) >= {"full_name", "date_of_birth", "current_class", "school"}
    assert "personal_id" not in detail.json()


def test_student_filters_search_and_page_size(world):
    s1 = world.school1
    client = client_for(s1.users["principal"])
    assert ids(client.get(f"/api/v1/students/?class={s1.class_b.pk}")) == student_ids(*s1.students_b)
    assert ids(client.get("/api/v1/students/?grade=6")) == student_ids(*s1.students_a, *s1.students_b)
    assert ids(client.get("/api/v1/students/?grade=7")) == set()
    assert ids(client.get(f"/api/v1/students/?year={world.year.pk}")) == student_ids(*s1.students_a, *s1.students_b)
    Student.objects.filter(pk=s1.students_a[2].pk).update(status=StudentStatus.LEFT)
    assert ids(client.get("/api/v1/students/?status=left")) == {s1.students_a[2].pk}
    assert ids(client.get(f"/api/v1/students/?school={world.school2.school.pk}")) == set()
    assert ids(client.get("/api/v1/students/?level=THCS")) == student_ids(*s1.students_a, *s1.students_b)
    assert ids(client.get("/api/v1/students/?level=TH")) == set()
    # Search ignores diacritics and case, and finds MOET codes.
    found = ids(client.get("/api/v1/students/", {"search": "hoc sinh 6a2"}))
    assert found == student_ids(*s1.students_b)
    assert ids(client.get("/api/v1/students/", {"search": "HỌC SINH 6A2"})) == found
    assert ids(client.get("/api/v1/students/", {"search": s1.students_a[1].moet_code})) == {s1.students_a[1].pk}
    page = client.get("/api/v1/students/?page_size=2").json()
    assert page["count"] == 6
    assert len(page["results"]) == 2
    assert "page_size=2" in page["next"]
    ordered = client.get("/api/v1/students/?ordering=-moet_code").json()["results"]
    assert [row["moet_code"] for row in ordered] == sorted((row["moet_code"] for row in ordered), reverse=True)
    current = client.get(f"/api/v1/students/{s1.students_b[0].pk}/").json()["current_class"]
    assert current == {"id": s1.class_b.pk, "name": "6A2", "year": world.year.pk}


def test_classes_endpoint(world):
    s1 = world.school1
    principal = client_for(s1.users["principal"])
    assert ids(principal.get("/api/v1/classes/")) == {s1.class_a.pk, s1.class_b.pk}
    assert ids(client_for(s1.users["homeroom_teacher"]).get("/api/v1/classes/")) == {s1.class_a.pk}
    assert ids(client_for(s1.users["subject_teacher"]).get("/api/v1/classes/")) == {s1.class_b.pk}
    # The guardian sees the child's class and still gets the real number of pupils in it.
    rows = client_for(s1.users["guardian"]).get("/api/v1/classes/").json()["results"]
    assert [(row["id"], row["student_count"]) for row in rows] == [(s1.class_a.pk, 3)]
    detail = principal.get(f"/api/v1/classes/{s1.class_a.pk}/").json()
    assert detail["homeroom_teacher"] == {"id": s1.homeroom_a.pk, "full_name": s1.homeroom_a.person.full_name}
    assert detail["grade"] == "6"
    assert detail["level"] == "THCS"
    assert ids(principal.get("/api/v1/classes/?grade=7")) == set()
    assert ids(principal.get(f"/api/v1/classes/?year={world.year.pk}&school={s1.school.pk}")) == {
        s1.class_a.pk,
        s1.class_b.pk,
    }
    assert ids(principal.get("/api/v1/classes/", {"search": "6A2"})) == {s1.class_b.pk}


def test_guardians_endpoint(world):
    s1 = world.school1
    link = s1.students_a[0].guardian_links.get()
    clerk = client_for(s1.users["clerk"])
    rows = clerk.get("/api/v1/guardians/").json()["results"]
    assert [row["id"] for row in rows] == [link.pk]
    assert rows[0]["student"]["moet_code"] == s1.students_a[0].moet_code
    assert rows[0]["relation"] == "father"
    assert ids(clerk.get(f"/api/v1/guardians/?class={s1.class_b.pk}")) == set()
    assert ids(clerk.get(f"/api/v1/guardians/?class={s1.class_a.pk}")) == {link.pk}
    assert ids(clerk.get(f"/api/v1/guardians/?student={s1.students_a[0].pk}")) == {link.pk}
    assert ids(clerk.get("/api/v1/guardians/", {"search": "phu huynh"})) == {link.pk}
    assert ids(client_for(s1.users["homeroom_teacher"]).get("/api/v1/guardians/")) == {link.pk}
    assert ids(client_for(s1.users["subject_teacher"]).get("/api/v1/guardians/")) == set()
    assert ids(client_for(s1.users["librarian"]).get("/api/v1/guardians/")) == set()
    assert ids(client_for(world.school2.users["principal"]).get("/api/v1/guardians/")) == {
        world.school2.students_a[0].guardian_links.get().pk
    }


def test_staff_endpoint(world):
    s1 = world.school1
    expected = {s1.homeroom_a.pk, s1.subject_teacher.pk}
    principal = client_for(s1.users["principal"])
    assert ids(principal.get("/api/v1/staff/")) == expected
    assert ids(client_for(s1.users["librarian"]).get("/api/v1/staff/")) == set()
    assert ids(principal.get("/api/v1/staff/?position=teacher")) == expected
    assert ids(principal.get("/api/v1/staff/?position=principal")) == set()
    assert ids(principal.get("/api/v1/staff/", {"search": "giao vien bo mon"})) == {s1.subject_teacher.pk}
    s1.subject_teacher.subjects.add(*s1.subject_teacher.teaching_assignments.values_list("subject", flat=True))
    row = principal.get(f"/api/v1/staff/{s1.subject_teacher.pk}/").json()
    assert row["subjects"] == ["TOAN"]
    assert row["has_signing_certificate"] is False
    assert "signing_certificate_ref" not in row
    assert ids(principal.get("/api/v1/staff/?subject=TOAN")) == {s1.subject_teacher.pk}


def test_school_years_need_a_role(world):
    assert ids(client_for(world.school1.users["librarian"]).get("/api/v1/school-years/")) == {world.year.pk}
    assert ids(client_for(world.nobody).get("/api/v1/school-years/")) == set()
    current = client_for(world.school1.users["student"]).get("/api/v1/school-years/?is_current=true").json()
    assert current["results"][0]["code"] == "2025-2026"


def test_org_units_and_schools(world):
    s1 = world.school1
    principal = client_for(s1.users["principal"])
    # Own school plus the chain above it; never the other school.
    assert ids(principal.get("/api/v1/org-units/")) == {
        world.ministry.pk,
        world.department.pk,
        world.authority.pk,
        s1.school.pk,
    }
    assert ids(principal.get("/api/v1/schools/")) == {s1.school.pk}
    leader = client_for(world.authority_users["authority_leader"])
    both = {s1.school.pk, world.school2.school.pk}
    assert ids(leader.get("/api/v1/schools/")) == both
    assert ids(leader.get("/api/v1/org-units/?kind=school")) == both
    assert ids(leader.get("/api/v1/schools/?level=THCS&ownership=public")) == both
    assert ids(leader.get(f"/api/v1/schools/?level={SchoolLevel.MN}")) == set()
    assert ids(leader.get(f"/api/v1/schools/?ownership={Ownership.PRIVATE}")) == set()
    assert ids(leader.get(f"/api/v1/org-units/?parent={world.authority.pk}")) == both
    assert ids(leader.get("/api/v1/schools/", {"search": "Một"})) == {s1.school.pk}
    assert ids(client_for(world.nobody).get("/api/v1/org-units/")) == set()
    row = leader.get(f"/api/v1/schools/{s1.school.pk}/").json()
    assert row["name"] == "Trường THCS Một"
    assert row["parent"] == world.authority.pk
    assert row["kind"] == OrgUnitKind.SCHOOL


def test_org_units_as_of_a_day(world):
    s1 = world.school1
    ward = core_services.orgunit_create(
        actor=None,
        kind=OrgUnitKind.AUTHORITY,
        name="UBND phường Thử Nghiệm",
        parent=world.department,
        valid_from=dt.date(2025, 7, 1),
    )
    core_services.orgunit_rename(
        actor=None, unit=s1.school, new_name="Trường THCS Một Mới", effective_on=dt.date(2025, 1, 1)
    )
    core_services.orgunit_move(actor=None, unit=s1.school, new_parent=ward, effective_on=dt.date(2025, 7, 1))
    # The school left the Phòng's subtree, so ask as a leader of the department above both.
    department_leader = make_user("lanhdao_so", "Lãnh đạo Sở")
    grant(department_leader, Role.AUTHORITY_LEADER, world.department)
    leader = client_for(department_leader)
    url = f"/api/v1/org-units/{s1.school.pk}/"
    today = leader.get(url).json()
    assert (today["name"], today["parent"]) == ("Trường THCS Một Mới", ward.pk)
    before_rename = leader.get(url, {"as_of": "2024-12-31"}).json()
    assert (before_rename["name"], before_rename["parent"]) == ("Trường THCS Một", world.authority.pk)
    between = leader.get(url, {"as_of": "2025-03-01"}).json()
    assert (between["name"], between["parent"]) == ("Trường THCS Một Mới", world.authority.pk)
    # On 2025-03-01 the ward did not exist yet, and the school still sat under the old authority.
    listing = leader.get("/api/v1/org-units/", {"as_of": "2025-03-01"})
    assert ward.pk not in ids(listing)
    assert ids(leader.get("/api/v1/schools/", {"as_of": "2025-03-01", "parent": world.authority.pk})) == {
        s1.school.pk,
        world.school2.school.pk,
    }
    assert ids(leader.get("/api/v1/schools/", {"as_of": "2025-08-01", "parent": world.authority.pk})) == {
        world.school2.school.pk
    }
    assert leader.get(url, {"as_of": "1999-01-01"}).status_code == 404
    bad = leader.get(url, {"as_of": "31/12/2024"})
    assert bad.status_code == 400
    assert "as_of" in bad.json()


def test_read_only_endpoints_refuse_writes(world):
    client = client_for(world.authority_users["authority_leader"])
    pupil = world.school1.students_a[0]
    before = Student.objects.count()
    assert client.post("/api/v1/students/", {"moet_code": "7400000999"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/students/{pupil.pk}/").status_code == 405
    assert client.patch(f"/api/v1/students/{pupil.pk}/", {"status": "left"}, format="json").status_code == 405
    assert Student.objects.count() == before
    pupil.refresh_from_db()
    assert pupil.status == StudentStatus.STUDYING


def test_a_person_with_no_student_row_is_not_listed(world):
    make_person("Người ngoài danh sách")
    names = {
        row["full_name"]
        for row in client_for(world.authority_users["authority_leader"])
        .get("/api/v1/students/?page_size=500")
        .json()["results"]
    }
    assert "Người ngoài danh sách" not in names
