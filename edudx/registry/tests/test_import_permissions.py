"""Who may upload, see and commit imports; large files go to the background with a progress bar."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from edudx.core import services as core_services
from edudx.core.errors import NotPermitted
from edudx.core.models import RoleAssignment
from edudx.core.permissions import Actor
from edudx.registry.enums import ImportStatus
from edudx.registry.imports import services
from edudx.registry.models import ImportJob, Student

from .test_import_students import STUDENT_HEADERS, post_upload, student_rows, upload_file, xlsx

DATA_ROWS = 3


@pytest.fixture
def data():
    return xlsx(STUDENT_HEADERS, student_rows(DATA_ROWS))


def imported():
    return Student.objects.filter(moet_code__startswith="79").count()


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("registry:import_list"))
    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.parametrize("who", ["homeroom_teacher", "accountant", "guardian", "school_it"])
def test_school_roles_without_import_capability(client, world, data, who):
    client.force_login(world.school1.users[who])
    assert client.get(reverse("registry:import_list")).status_code == 403
    assert client.get(reverse("registry:import_template", kwargs={"kind": "students"})).status_code == 403
    post_upload(client, world.school1.school, "students", data)
    assert ImportJob.objects.count() == 0 and imported() == 0


def test_user_without_role(client, world, data):
    client.force_login(world.nobody)
    assert client.get(reverse("registry:import_list")).status_code == 403


def test_other_school_cannot_upload_see_or_commit(client, world, data):
    client.force_login(world.school1.users["clerk"])
    post_upload(client, world.school1.school, "students", data)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEW

    client.force_login(world.school2.users["clerk"])
    # The other school's clerk cannot choose school 1 in the form…
    response = post_upload(client, world.school1.school, "students", data)
    assert response.status_code == 400 and ImportJob.objects.count() == 1
    # …nor see the job, its errors or its progress, nor commit it.
    for name in ("registry:import_detail", "registry:import_progress", "registry:import_error_file"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("registry:import_commit", args=[job.pk])).status_code == 404
    assert "hoc" not in client.get(reverse("registry:import_list")).content.decode().split("<tbody>")[1][:200]
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEW and imported() == 0
    # The service refuses too, whatever the interface.
    actor = Actor(user=world.school2.users["clerk"])
    with pytest.raises(NotPermitted):
        services.import_upload(actor=actor, school=world.school1.school, kind="students", uploaded=upload_file(data))
    with pytest.raises(NotPermitted):
        services.import_commit(actor=actor, job=job)
    assert imported() == 0


def test_commit_rechecks_permission(client, world, data):
    clerk = world.school1.users["clerk"]
    client.force_login(clerk)
    post_upload(client, world.school1.school, "students", data)
    job = ImportJob.objects.get()
    actor = Actor(user=clerk)
    assert actor.can_in("student.import", job.school)
    assignment = RoleAssignment.objects.get(user=clerk, role="clerk")
    core_services.role_revoke(actor=None, assignment=assignment, on=assignment.valid_from)
    # Between preview and commit the clerk lost the role: the commit is refused, nothing written.
    with pytest.raises(NotPermitted):
        services.import_commit_run(actor=Actor(user=clerk), job_id=job.pk)
    assert imported() == 0
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEW


def test_authority_sees_imports_only_through_policy(client, world, data):
    client.force_login(world.school1.users["vice_principal"])
    post_upload(client, world.school1.school, "students", data)
    job = ImportJob.objects.get()
    from edudx.core.permissions import policy_for

    assert list(policy_for(ImportJob).visible(Actor(user=world.school1.users["principal"]))) == [job]
    assert list(policy_for(ImportJob).visible(Actor(user=world.school2.users["principal"]))) == []
    assert list(policy_for(ImportJob).visible(Actor(user=world.school1.users["homeroom_teacher"]))) == []


@override_settings(IMPORT_BACKGROUND_ROWS=2)
def test_large_file_runs_in_background_with_progress(client, world, data, django_capture_on_commit_callbacks):
    client.force_login(world.school1.users["clerk"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_upload(client, world.school1.school, "students", data)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING and job.total_rows == DATA_ROWS and len(callbacks) == 1
    page = client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and reverse("registry:import_progress", args=[job.pk]) in page
    fragment = client.get(reverse("registry:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 1s"' in fragment.content.decode() and "HX-Refresh" not in fragment

    callbacks[0]()  # the worker picks the task up (immediate backend)
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEW and job.processed_rows == DATA_ROWS
    fragment = client.get(reverse("registry:import_progress", args=[job.pk]), HTTP_HX_REQUEST="true")
    assert fragment["HX-Refresh"] == "true" and "every 1s" not in fragment.content.decode()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("registry:import_commit", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.COMMITTING and imported() == 0
    assert 'hx-trigger="every 1s"' in client.get(reverse("registry:import_detail", args=[job.pk])).content.decode()
    callbacks[0]()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE and imported() == DATA_ROWS and job.processed_rows == DATA_ROWS


def test_validation_reports_progress(world, monkeypatch):
    """The background validation writes processed_rows as it goes, not only at the end."""
    monkeypatch.setattr(services, "PROGRESS_EVERY", 2)
    seen = []
    real_update = ImportJob.objects.filter

    def spy(*args, **kwargs):
        qs = real_update(*args, **kwargs)
        original = qs.update

        def update(**values):
            if "processed_rows" in values and len(values) == 1:
                seen.append(values["processed_rows"])
            return original(**values)

        qs.update = update
        return qs

    clerk = world.school1.users["clerk"]
    with override_settings(IMPORT_BACKGROUND_ROWS=1):
        job = services.import_upload(
            actor=Actor(user=clerk),
            school=world.school1.school,
            kind="students",
            uploaded=upload_file(xlsx(STUDENT_HEADERS, student_rows(7))),
        )
    monkeypatch.setattr(ImportJob.objects, "filter", spy)
    services.import_validate(job_id=job.pk, report_progress=True)
    assert seen == [1, 3, 5, 7]
    job.refresh_from_db()
    assert job.status == ImportStatus.PREVIEW and job.processed_rows == 7


def test_failed_background_task_marks_job(world, monkeypatch):
    from edudx.registry.imports.tasks import validate_import_task

    clerk = world.school1.users["clerk"]
    with override_settings(IMPORT_BACKGROUND_ROWS=1):
        job = services.import_upload(
            actor=Actor(user=clerk),
            school=world.school1.school,
            kind="students",
            uploaded=upload_file(xlsx(STUDENT_HEADERS, student_rows(3))),
        )
    monkeypatch.setattr(services, "reference_data", lambda: 1 / 0)
    result = validate_import_task.enqueue(job.pk)
    assert result.status == "FAILED"
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.errors[0]["message"]
