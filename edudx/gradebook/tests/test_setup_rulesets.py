"""Rule-set administration: new versions never edit old ones, invalid changes write nothing, only
``ruleset.manage`` holders write, and the pages show versions, tables and a confirmed diff."""

import datetime as dt

import pytest
from django.urls import reverse

from edudx.core.api import NotPermitted, Role, ValidationFailed, actor_for
from edudx.core.models import AuditEvent
from edudx.gradebook.curriculum import rule_set_version_for, rules_of
from edudx.gradebook.enums import Circular
from edudx.gradebook.models import RuleSetVersion
from edudx.gradebook.services.rulesets import new_version
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db

NEXT_YEAR = dt.date(2026, 9, 5)


def tt22_v1():
    return RuleSetVersion.objects.get(code="TT22-2021", version=1)


def specialist(world):
    return world.authority_users[Role.AUTHORITY_SPECIALIST]


def counts():
    return RuleSetVersion.objects.count(), AuditEvent.objects.count()


def test_new_version_writes_v2_and_keeps_v1(world):
    v1 = tt22_v1()
    v1_data = dict(v1.data)
    v2 = new_version(
        actor=actor_for(specialist(world)),
        base=v1,
        changes={"absence_limit_sessions": 40, "retest_below_score": "4.5"},
        valid_from=NEXT_YEAR,
        reason="Sở hướng dẫn áp dụng từ năm học 2026-2027",
    )
    assert (v2.code, v2.version, v2.valid_from, v2.created_by) == ("TT22-2021", 2, NEXT_YEAR, specialist(world))
    v1.refresh_from_db()
    assert v1.data == v1_data and v1.version == 1
    rules = rules_of(v2)
    assert rules.absence_limit_sessions == 40 and str(rules.retest_below_score) == "4.5"
    assert rules.valid_from == NEXT_YEAR
    # The version in force depends on the school year's start.
    assert rule_set_version_for(Circular.TT22_2021, dt.date(2025, 9, 5)) == v1
    assert rule_set_version_for(Circular.TT22_2021, NEXT_YEAR) == v2
    event = AuditEvent.objects.get(action="ruleset.new_version")
    assert event.before["absence_limit_sessions"] == 45 and event.after["absence_limit_sessions"] == 40
    # Editing from v1 again is refused: v2 is newer.
    with pytest.raises(Exception, match="mới hơn"):
        new_version(actor=actor_for(specialist(world)), base=v1, changes={"absence_limit_sessions": 30},
                    valid_from=NEXT_YEAR, reason="x")  # fmt: skip


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"absence_limit_sessions": 0}, "Số buổi nghỉ tối đa"),
        ({"retest_below_score": "11"}, "thang điểm"),
        (
            {"regular_count_bands": [{"periods_up_to": 35, "count": 0}, {"periods_up_to": None, "count": 4}]},
            "ĐGTX|thường xuyên",
        ),
        ({"adjustment_mode": "sometimes"}, "không hợp lệ"),
        ({"no_such_field": 1}, "không có trường"),
        ({"code": "TT22-X"}, "Không sửa trực tiếp"),
        ({"conduct_year_table": []}, "rèn luyện cả năm"),
        ({}, "Không có thay đổi"),
    ],
)
def test_invalid_changes_are_refused_and_write_nothing(world, changes, message):
    before = counts()
    with pytest.raises(ValidationFailed, match=message):
        new_version(
            actor=actor_for(specialist(world)), base=tt22_v1(), changes=changes, valid_from=NEXT_YEAR, reason="r"
        )
    assert counts() == before


def test_reason_and_date_are_required(world):
    before = counts()
    with pytest.raises(ValidationFailed, match="lý do"):
        new_version(actor=actor_for(specialist(world)), base=tt22_v1(), changes={"absence_limit_sessions": 40},
                    valid_from=NEXT_YEAR, reason="  ")  # fmt: skip
    with pytest.raises(ValidationFailed, match="Ngày áp dụng"):
        new_version(actor=actor_for(specialist(world)), base=tt22_v1(), changes={"absence_limit_sessions": 40},
                    valid_from=dt.date(2020, 1, 1), reason="r")  # fmt: skip
    assert counts() == before


@pytest.mark.parametrize("who", ["principal", "subject_teacher", "nobody", "security"])
def test_only_ruleset_managers_write(world, who):
    user = {
        "principal": world.school1.users[Role.PRINCIPAL],
        "subject_teacher": world.school1.users[Role.SUBJECT_TEACHER],
        "nobody": world.nobody,
        "security": world.authority_users[Role.SECURITY_OFFICER],
    }[who]
    before = counts()
    with pytest.raises(NotPermitted):
        new_version(actor=actor_for(user), base=tt22_v1(), changes={"absence_limit_sessions": 40},
                    valid_from=NEXT_YEAR, reason="r")  # fmt: skip
    assert counts() == before


def test_tt27_pass_mark_change(world):
    v1 = RuleSetVersion.objects.get(code="TT27-2020", version=1)
    rows = [dict(row) for row in v1.data["classification_rules"]]
    rows[2]["min_test_score"] = 6
    v2 = new_version(actor=actor_for(specialist(world)), base=v1, changes={"classification_rules": rows},
                     valid_from=NEXT_YEAR, reason="Điểm đạt 6")  # fmt: skip
    assert rules_of(v2).classification_rules[2].min_test_score == 6
    rows[2]["min_test_score"] = 10  # above the Hoàn thành tốt row: refused
    with pytest.raises(ValidationFailed, match="giảm dần"):
        new_version(actor=actor_for(specialist(world)), base=v2, changes={"classification_rules": rows},
                    valid_from=NEXT_YEAR, reason="r")  # fmt: skip


# --- pages ------------------------------------------------------------------------------------------------


def test_list_and_detail_pages_for_any_role(world, client):
    login_verified(client, world.school1.users[Role.SUBJECT_TEACHER])
    page = client.get(reverse("gradebook:ruleset_list")).content.decode()
    assert "TT22-2021 v1" in page and "TT27-2020 v1" in page
    assert page.count('data-testid="current"') == 2 and "chờ Sở xác nhận" in page
    assert reverse("gradebook:ruleset_edit", args=[tt22_v1().pk]) not in page
    detail = client.get(reverse("gradebook:ruleset_detail", args=[tt22_v1().pk])).content.decode()
    assert 'data-testid="learning"' in detail and 'data-testid="conduct"' in detail and "Từ 36 đến 70 tiết" in detail
    assert reverse("gradebook:ruleset_edit", args=[tt22_v1().pk]) not in detail
    tt27 = RuleSetVersion.objects.get(code="TT27-2020")
    detail = client.get(reverse("gradebook:ruleset_detail", args=[tt27.pk])).content.decode()
    assert 'data-testid="classification"' in detail and "Hoàn thành xuất sắc" in detail and "GK I" in detail
    assert client.get(reverse("gradebook:ruleset_edit", args=[tt22_v1().pk])).status_code == 403
    client.logout()
    login_verified(client, world.nobody)
    assert client.get(reverse("gradebook:ruleset_list")).status_code == 403
    assert client.get(reverse("gradebook:ruleset_detail", args=[tt22_v1().pk])).status_code == 404


def edit_post(client, version, **overrides):
    form = client.get(reverse("gradebook:ruleset_edit", args=[version.pk])).context["form"]
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    data.update(overrides)
    return client.post(reverse("gradebook:ruleset_edit", args=[version.pk]), data)


def test_edit_shows_diff_then_saves_on_confirmation(world, client):
    login_verified(client, specialist(world))
    v1 = tt22_v1()
    response = edit_post(client, v1, absence_limit_sessions="40", llr_0_at_least="8.5", reason="Hướng dẫn của Sở",
                         valid_from="2026-09-05")  # fmt: skip
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="diff"' in body
    assert "Số buổi nghỉ tối đa trong năm" in body and "45" in body and "40" in body and "8,5" in body
    assert RuleSetVersion.objects.filter(code="TT22-2021").count() == 1  # nothing saved before confirming
    data = {k: v for k, v in response.context["form"].data.lists()}
    data["confirm"] = "1"
    response = client.post(reverse("gradebook:ruleset_edit", args=[v1.pk]), data)
    v2 = RuleSetVersion.objects.get(code="TT22-2021", version=2)
    assert response.status_code == 302 and response["Location"] == reverse("gradebook:ruleset_detail", args=[v2.pk])
    rules = rules_of(v2)
    assert rules.absence_limit_sessions == 40 and str(rules.learning_level_rules[0].scored_count_at_least) == "8.5"
    assert v2.data["learning_level_rules"][1] == v1.data["learning_level_rules"][1]
    detail = client.get(response["Location"]).content.decode()
    assert 'data-testid="diff"' in detail and "Hướng dẫn của Sở" in detail


def test_edit_refusal_shows_message_and_saves_nothing(world, client):
    login_verified(client, specialist(world))
    before = counts()
    response = edit_post(client, tt22_v1(), absence_limit_sessions="0", reason="r", confirm="1")
    assert response.status_code == 200 and "Số buổi nghỉ tối đa" in response.content.decode()
    response = edit_post(client, tt22_v1(), reason="r", confirm="1")
    assert "Không có thay đổi" in response.content.decode()
    assert counts() == before


def test_tt27_edit_form_changes_the_pass_mark(world, client):
    login_verified(client, specialist(world))
    v1 = RuleSetVersion.objects.get(code="TT27-2020", version=1)
    page = client.get(reverse("gradebook:ruleset_edit", args=[v1.pk])).content.decode()
    assert "điểm đạt" in page and 'name="cr_2_min"' in page
    response = edit_post(client, v1, cr_2_min="6", reason="Điểm đạt 6 theo hướng dẫn", valid_from="2026-09-05")
    data = {k: v for k, v in response.context["form"].data.lists()}
    data["confirm"] = "1"
    client.post(reverse("gradebook:ruleset_edit", args=[v1.pk]), data)
    v2 = RuleSetVersion.objects.get(code="TT27-2020", version=2)
    assert [row["min_test_score"] for row in v2.data["classification_rules"]] == [9, 7, 6]
    assert v2.data["scheduled_tests"] == v1.data["scheduled_tests"]
