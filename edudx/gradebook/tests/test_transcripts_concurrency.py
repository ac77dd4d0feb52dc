"""Two clicks on "Ký" at the same moment sign a học bạ once (row lock on the transcript, PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from edudx.core.api import Conflict
from edudx.core.permissions import Actor
from edudx.gradebook.models import Transcript, TranscriptSignature, TranscriptStatus
from edudx.gradebook.services import transcripts as services
from edudx.testing import build_world

from .test_transcripts_pages import _small_pdf
from .test_transcripts_services import issue_credentials, prepare_class


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_signatures_sign_once(settings, tmp_path, monkeypatch):
    assert connection.vendor == "postgresql"
    settings.SIGNING_CA_DIR = tmp_path / "ca"
    monkeypatch.setattr(services, "render_transcript_pdf", _small_pdf)
    world = build_world()
    sw = world.school1
    klass = prepare_class(sw)
    issue_credentials(sw)
    teacher = sw.users["homeroom_teacher"]
    draft = services.generate_transcript(actor=Actor(teacher), student=sw.students_a[0], school_class=klass)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def sign() -> None:
        try:
            barrier.wait()
            outcomes.append(services.sign_as_homeroom(actor=Actor(teacher), transcript=Transcript(pk=draft.pk)))
        except BaseException as exc:  # collected and asserted below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    signed = [o for o in outcomes if isinstance(o, Transcript)]
    assert len(signed) == 1 and len(conflicts) == 1, outcomes
    assert TranscriptSignature.objects.filter(transcript_id=draft.pk).count() == 1
    assert Transcript.objects.get(pk=draft.pk).status == TranscriptStatus.TEACHER_SIGNED
