"""``manage.py verify_audit``: OK on an intact chain, names the first broken link otherwise."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from edudx.core.models import AuditEvent


def test_intact_chain_reports_count(world):
    out = StringIO()
    call_command("verify_audit", stdout=out)
    total = AuditEvent.objects.count()
    assert total > 0
    assert out.getvalue().strip() == f"Đã kiểm tra {total} sự kiện: OK."


def test_tampered_after_is_detected_at_its_seq(world):
    AuditEvent.objects.filter(seq=3).update(after={"name": "Giả mạo"})
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert caught.value.returncode == 1
    assert "sự kiện số 3:" in str(caught.value)
    assert "nội dung đã bị sửa" in str(caught.value)


def test_deleted_last_event_is_detected(world):
    last = AuditEvent.objects.order_by("-seq").first()
    AuditEvent.objects.filter(pk=last.pk).delete()
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit")
    assert f"sự kiện số {last.seq}:" in str(caught.value)
    assert "bị xoá" in str(caught.value)


def test_exit_code_is_one_from_the_command_line(world, tmp_path):
    """The command-line entry point turns the CommandError into exit status 1."""
    from django.core.management import ManagementUtility

    AuditEvent.objects.filter(seq=2).update(reason="sửa lén")
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "verify_audit"]).execute()
    assert exited.value.code == 1


@pytest.mark.django_db
def test_record_many_extends_the_chain_one_event_or_many():
    from edudx.core import audit
    from edudx.core.models import AuditChainHead

    assert audit.record_many([]) == 0
    assert audit.record_many([{"actor": None, "action": "test.one", "object_id": "1", "after": {"n": 1}}]) == 1
    events = [{"actor": None, "action": "test.many", "object_id": str(i), "before": {"n": i}} for i in range(3)]
    assert audit.record_many(events) == 3
    audit.record(actor=None, action="test.single", object_id="9")
    head = AuditChainHead.objects.get(id=1)
    last = AuditEvent.objects.order_by("-seq").first()
    assert (head.seq, head.digest) == (last.seq, last.digest) and head.seq == AuditEvent.objects.count() == 5
    assert [e.action for e in AuditEvent.objects.order_by("seq")] == ["test.one", *["test.many"] * 3, "test.single"]
    assert audit.verify_chain().ok
