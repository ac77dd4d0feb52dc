from edudx.core.permissions import Actor, policy_for
from edudx.registry.models import Student


def test_world_permissions_follow_relationships(world):
    s1 = world.school1

    def visible(user):
        return set(policy_for(Student).visible(Actor(user=user)).values_list("pk", flat=True))

    all1 = {s.pk for s in s1.students_a + s1.students_b}
    assert visible(s1.users["principal"]) == all1
    assert visible(s1.users["homeroom_teacher"]) == {s.pk for s in s1.students_a}
    assert visible(s1.users["subject_teacher"]) == {s.pk for s in s1.students_b}
    assert visible(s1.users["guardian"]) == {s1.students_a[0].pk}
    assert visible(s1.users["student"]) == {s1.students_a[1].pk}
    assert visible(world.nobody) == set()
    assert visible(world.authority_users["authority_leader"]) >= all1 | {s.pk for s in world.school2.students_a}
    assert visible(world.authority_users["security_officer"]) == set()
