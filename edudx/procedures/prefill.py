"""The once-only principle (Nghị định 45/2020/NĐ-CP): fill an application form from what the platform holds.

A form field names a *prefill source* (``forms_schema.PREFILL_SOURCES``: ``guardian.full_name``,
``student.current_school``…). ``resolve`` answers those keys for the signed-in applicant and, when the form is about
a pupil, for one of *their own* children (``children_of``: the registry's guardian links, read through the
registry's policies). ``Prefill.values`` hold what the form stores (the full personal ID number, because
``forms_schema`` checks 12 digits); ``Prefill.display`` what a page may show (the number masked).

A component the platform can supply itself (the pupil's results summary from the school's records) is *reused*
(TT 01/2023: a dossier reusing digitised data): ``reusable_components`` names them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.utils.translation import gettext as _

from edudx.core.api import Actor, NotPermitted, policy_for
from edudx.core.crypto import decrypt
from edudx.core.rules import mask_personal_id
from edudx.registry.api import ClassMembership, GuardianLink, Person, Student
from edudx.registry.enums import GuardianRelation, Sex

from .catalogue import Procedure
from .forms_schema import FieldType, FormDefinition

# Components the platform holds for a pupil of one of its schools (name in the catalogue → what is reused).
REUSABLE_FOR_STUDENT = {"Bản tổng hợp kết quả học tập": "registry.student.results"}
PERSONAL_ID_SOURCES = frozenset({"guardian.personal_id_number", "student.personal_id_number"})


@dataclass
class Prefill:
    """What the platform knows for a form: ``values`` to store, ``display`` to show, by prefill source."""

    values: dict[str, Any] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)

    def for_form(self, definition: FormDefinition) -> dict[str, Any]:
        """``{field key: value}`` for the fields of ``definition`` whose source is known."""
        return {f.key: self.values[f.prefill] for f in definition.fields if f.prefill and f.prefill in self.values}

    def display_for_form(self, definition: FormDefinition) -> dict[str, str]:
        return {f.key: self.display[f.prefill] for f in definition.fields if f.prefill and f.prefill in self.display}


def own_person(actor: Actor) -> Person | None:
    """The registry's person of the signed-in user (a person always sees themself)."""
    if not actor.is_authenticated:
        return None
    if actor.person_id is not None:
        # The person policy always shows a user their own person (``Q(user=actor.user)``), and the actor has
        # already loaded that row to resolve its relationships: the same row, without a second query.
        person: Person = actor.user.person
        return person
    return policy_for(Person).visible(actor).filter(user=actor.user).first()


def not_their_child() -> NotPermitted:
    return NotPermitted(_("Học sinh này không phải con (người được giám hộ) của tài khoản đang đăng nhập."))


def guardian_links(actor: Actor) -> list[GuardianLink]:
    """The actor's guardian links, one per pupil, with the pupil's person and school loaded: one query, read
    through the registry's policy. A caller that needs the children several times (a submission) reads them once
    and passes them on (``links=`` / ``children=``), instead of asking the database again."""
    if not actor.is_authenticated:
        return []
    links = (
        policy_for(GuardianLink)
        .visible(actor)
        .filter(guardian__user=actor.user)
        .select_related("student__person", "student__school")
        .order_by("student__person__search_name", "student_id")
    )
    seen: dict[int, GuardianLink] = {}
    for link in links:
        seen.setdefault(link.student_id, link)
    return list(seen.values())


def children_of(actor: Actor, *, links: Sequence[GuardianLink] | None = None) -> list[Student]:
    """The pupils the actor is a guardian of, as the registry links them (read through its policy)."""
    return [link.student for link in (guardian_links(actor) if links is None else links)]


def child_of(
    actor: Actor,
    *,
    student_id: int | None = None,
    moet_code: str | None = None,
    children: Sequence[Student] | None = None,
) -> Student:
    """One of the actor's children by id or mã học sinh; ``NotPermitted`` for anyone else's child.
    ``children``: the actor's children when the caller already read them (``children_of``)."""
    for student in children_of(actor) if children is None else children:
        if (student_id is not None and student.pk == student_id) or (moet_code and student.moet_code == moet_code):
            return student
    raise not_their_child()


def _current_membership(actor: Actor, student: Student) -> ClassMembership | None:
    return (
        policy_for(ClassMembership)
        .visible(actor, queryset=ClassMembership.objects.filter(student=student, left_on__isnull=True))
        .select_related("school_class__grade")
        .order_by("-joined_on", "-id")  # as applicant_records orders them
        .first()
    )


def _date_text(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _personal_id(person: Person | PersonRecord) -> str:
    return decrypt(person.personal_id_encrypted) if person.personal_id_encrypted else ""


def _put(prefill: Prefill, key: str, value: Any, shown: str | None = None) -> None:
    if value in (None, ""):
        return
    prefill.values[key] = value
    prefill.display[key] = shown if shown is not None else str(value)


@dataclass(frozen=True)
class ChildRecord:
    """One of the applicant's children as a submission needs them: the pupil, their school and current class, and
    how the applicant is related to them — read for all children in one query (``applicant_records``)."""

    student_id: int
    moet_code: str
    school_id: int
    school_name: str
    school_path: str
    full_name: str
    date_of_birth: dt.date | None
    sex: str
    personal_id_encrypted: str
    relation: str
    grade_code: str = ""
    grade_name: str = ""
    class_name: str = ""


@dataclass(frozen=True)
class PersonRecord:
    """The applicant's own person as the prefill reads it (the fields ``resolve`` takes from a ``Person``)."""

    full_name: str
    phone: str
    email: str
    address: str
    date_of_birth: dt.date | None
    personal_id_encrypted: str


@dataclass(frozen=True)
class ApplicantRecords:
    """The applicant's person (``None`` when they are nobody's guardian: read it with ``own_person``) and children."""

    person: PersonRecord | None
    children: list[ChildRecord]


# The columns of ``ChildRecord`` and ``PersonRecord`` for the guardian links chosen by ``{links}`` (a subquery of
# link ids). An open membership is normally the only one; if a move left two open, the one joined last comes first.
APPLICANT_RECORDS_SQL = """
SELECT gl.student_id, s.moet_code, s.school_id, o.name, o.path, p.full_name, p.date_of_birth, p.sex,
       p.personal_id_encrypted, gl.relation, c.school_id, g.code, g.name, c.name,
       gp.full_name, gp.phone, gp.email, gp.address, gp.date_of_birth, gp.personal_id_encrypted
  FROM registry_guardianlink gl
  JOIN registry_person gp ON gp.id = gl.guardian_id
  JOIN registry_student s ON s.id = gl.student_id
  JOIN core_orgunit o ON o.id = s.school_id
  JOIN registry_person p ON p.id = s.person_id
  LEFT JOIN registry_classmembership m ON m.student_id = s.id AND m.left_on IS NULL
  LEFT JOIN registry_schoolclass c ON c.id = m.school_class_id
  LEFT JOIN registry_grade g ON g.id = c.grade_id
 WHERE gl.id IN ({links})
 ORDER BY p.search_name, gl.student_id, m.joined_on DESC, m.id DESC
"""


def applicant_records(actor: Actor) -> ApplicantRecords:
    """The actor's own person and their children with their current class, in one query.

    Which links: the guardian-link policy decides (its query, as a subquery of ids; it finds the actor's links by
    their user, so the actor's person need not be read first). What is read for them: one fixed statement joining
    the guardian's person, the pupil, their person, school and open class membership — the columns a submission
    needs, without compiling a seven-table ORM query on every submission (that compile cost more than the read).
    The current class comes from the pupil's open membership *in a class of the pupil's own school*: exactly the
    memberships the class-membership policy shows a guardian (their child's, under the unit of their grant, which
    the link's policy already checks for that school). A membership elsewhere is not read here.
    """
    if not actor.is_authenticated:
        return ApplicantRecords(None, [])
    links = policy_for(GuardianLink).visible(actor, distinct=False).filter(guardian__user_id=actor.user.pk)
    try:
        links_sql, params = links.values("pk").query.sql_with_params()
    except EmptyResultSet:  # no grant to read links under: nobody's guardian here
        return ApplicantRecords(None, [])
    with connection.cursor() as cursor:
        cursor.execute(APPLICANT_RECORDS_SQL.format(links=links_sql), params)
        rows = cursor.fetchall()
    to_date = Person._meta.get_field("date_of_birth").to_python  # SQLite answers a date as text
    person: PersonRecord | None = None
    records: dict[int, ChildRecord] = {}
    for (student_id, moet_code, school_id, school_name, school_path, full_name, born, sex, encrypted, relation,
         class_school_id, grade_code, grade_name, class_name, *own) in rows:  # fmt: skip
        if person is None:
            name, phone, email, address, own_born, own_encrypted = own
            person = PersonRecord(name, phone or "", email or "", address or "", to_date(own_born), own_encrypted or "")
        if student_id in records:
            continue  # the class joined last came first
        in_own_school = class_school_id == school_id
        records[student_id] = ChildRecord(
            student_id=student_id,
            moet_code=moet_code,
            school_id=school_id,
            school_name=school_name,
            school_path=school_path,
            full_name=full_name,
            date_of_birth=to_date(born),
            sex=sex or "",
            personal_id_encrypted=encrypted or "",
            relation=relation,
            grade_code=(grade_code or "") if in_own_school else "",
            grade_name=(grade_name or "") if in_own_school else "",
            class_name=(class_name or "") if in_own_school else "",
        )
    return ApplicantRecords(person, list(records.values()))


def record_of_student(student: Student) -> ChildRecord:
    """A pupil as a record: who and which school, no relation and no class (the pupil the desk found at the
    counter; a page adds what its guardian link and membership say)."""
    return ChildRecord(
        student_id=student.pk,
        moet_code=student.moet_code,
        school_id=student.school_id,
        school_name=student.school.name,
        school_path=student.school.path,
        full_name=student.person.full_name,
        date_of_birth=student.person.date_of_birth,
        sex=student.person.sex or "",
        personal_id_encrypted=student.person.personal_id_encrypted or "",
        relation="",
    )


def _record_of_link(actor: Actor, link: GuardianLink) -> ChildRecord:
    """What ``applicant_records`` gives for one child, from a link the pages already read (and its current class)."""
    membership = _current_membership(actor, link.student)
    klass = membership.school_class if membership is not None else None
    return replace(
        record_of_student(link.student),
        relation=link.relation,
        grade_code=klass.grade.code if klass else "",
        grade_name=klass.grade.name if klass else "",
        class_name=klass.name if klass else "",
    )


def _choice_label(choices: type[Sex] | type[GuardianRelation], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def resolve(
    actor: Actor,
    *,
    student: Student | None = None,
    links: Sequence[GuardianLink] | None = None,
    child: ChildRecord | None = None,
    person: PersonRecord | None = None,
) -> Prefill:
    """Every prefill source known for ``actor`` and one of their children: ``child`` as ``applicant_records`` read it,
    or ``student`` (which must be one of their children; ``links``: the actor's ``guardian_links`` when the caller
    already read them). ``person``: the actor's own person as ``applicant_records`` read it (else it is read)."""
    prefill = Prefill()
    if not actor.is_authenticated:
        return prefill
    user = actor.user
    own: Person | PersonRecord | None = person if person is not None else own_person(actor)
    _put(prefill, "guardian.full_name", (own.full_name if own else "") or user.get_full_name())
    _put(prefill, "guardian.phone", (own.phone if own else "") or getattr(user, "phone", ""))
    _put(prefill, "guardian.email", (own.email if own else "") or user.email)
    if own is not None:
        _put(prefill, "guardian.address", own.address)
        _put(prefill, "guardian.date_of_birth", own.date_of_birth, _date_text(own.date_of_birth))
        own_id = _personal_id(own)
        _put(prefill, "guardian.personal_id_number", own_id, mask_personal_id(own_id))
    if child is None and student is not None:
        links = guardian_links(actor) if links is None else links
        link = next((candidate for candidate in links if candidate.student_id == student.pk), None)
        if link is None:
            raise not_their_child()
        child = _record_of_link(actor, link)
    if child is None:
        return prefill
    _put(prefill, "student.moet_code", child.moet_code, f"{child.full_name} ({child.moet_code})")
    _put(prefill, "student.full_name", child.full_name)
    _put(prefill, "student.date_of_birth", child.date_of_birth, _date_text(child.date_of_birth))
    _put(prefill, "student.sex", _choice_label(Sex, child.sex) if child.sex else "")
    pupil_id = decrypt(child.personal_id_encrypted) if child.personal_id_encrypted else ""
    _put(prefill, "student.personal_id_number", pupil_id, mask_personal_id(pupil_id))
    _put(prefill, "student.current_school", child.school_name)
    if child.class_name:
        _put(prefill, "student.current_grade", child.grade_code, child.grade_name)
        _put(prefill, "student.current_class", child.class_name)
    _put(prefill, "guardian.relation", _choice_label(GuardianRelation, child.relation))
    return prefill


def student_field(definition: FormDefinition | None) -> str | None:
    """The key of the form's pupil field, if the form is about a pupil."""
    if definition is None:
        return None
    return next((f.key for f in definition.fields if f.type == FieldType.STUDENT), None)


def reusable_components(procedure: Procedure, student: Student | ChildRecord | None) -> list[str]:
    """Components of ``procedure`` the platform can supply from its own data for this dossier."""
    if student is None:
        return []
    return [c.name for c in procedure.components if c.name in REUSABLE_FOR_STUDENT]


def merge(definition: FormDefinition, posted: dict[str, Any], prefill: Prefill) -> tuple[dict[str, Any], list[str]]:
    """The answers to validate and the keys taken from platform data.

    What the platform knows is not asked again: a field left empty gets the platform's value, and a personal ID
    number (never shown in full) that comes back masked gets the stored number. A field counts as prefilled when
    its value is the platform's; one the applicant changed is their own answer.
    """
    data = dict(posted)
    prefilled: list[str] = []
    for f in definition.fields:
        if not f.prefill or f.prefill not in prefill.values:
            continue
        known = prefill.values[f.prefill]
        sent = data.get(f.key)
        sent_text = "" if sent is None else str(sent).strip()
        if sent_text == "" or (f.prefill in PERSONAL_ID_SOURCES and sent_text == prefill.display.get(f.prefill)):
            data[f.key] = known
            prefilled.append(f.key)
        elif sent_text in _comparable(known):
            prefilled.append(f.key)
    return data, prefilled


def _comparable(value: Any) -> set[str]:
    """The ways a known value may come back from a page (a date as typed or from a date picker)."""
    if isinstance(value, dt.date):
        return {value.strftime("%d/%m/%Y"), value.isoformat()}
    return {str(value).strip()}
