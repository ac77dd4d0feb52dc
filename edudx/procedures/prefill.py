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
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from edudx.core.api import Actor, NotPermitted, policy_for
from edudx.core.crypto import decrypt
from edudx.core.rules import mask_personal_id
from edudx.registry.api import ClassMembership, GuardianLink, Person, Student

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


def _not_their_child() -> NotPermitted:
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
    raise _not_their_child()


def _current_membership(actor: Actor, student: Student) -> ClassMembership | None:
    return (
        policy_for(ClassMembership)
        .visible(actor, queryset=ClassMembership.objects.filter(student=student, left_on__isnull=True))
        .select_related("school_class__grade", "school_class__year")
        .order_by("-school_class__year__starts_on")
        .first()
    )


def _date_text(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _personal_id(person: Person) -> str:
    return decrypt(person.personal_id_encrypted) if person.personal_id_encrypted else ""


def _put(prefill: Prefill, key: str, value: Any, shown: str | None = None) -> None:
    if value in (None, ""):
        return
    prefill.values[key] = value
    prefill.display[key] = shown if shown is not None else str(value)


def resolve(actor: Actor, *, student: Student | None = None, links: Sequence[GuardianLink] | None = None) -> Prefill:
    """Every prefill source known for ``actor`` (and ``student``, who must be one of their children).
    ``links``: the actor's ``guardian_links`` when the caller already read them."""
    prefill = Prefill()
    if not actor.is_authenticated:
        return prefill
    user = actor.user
    person = own_person(actor)
    _put(prefill, "guardian.full_name", (person.full_name if person else "") or user.get_full_name())
    _put(prefill, "guardian.phone", (person.phone if person else "") or getattr(user, "phone", ""))
    _put(prefill, "guardian.email", (person.email if person else "") or user.email)
    if person is not None:
        _put(prefill, "guardian.address", person.address)
        _put(prefill, "guardian.date_of_birth", person.date_of_birth, _date_text(person.date_of_birth))
        own_id = _personal_id(person)
        _put(prefill, "guardian.personal_id_number", own_id, mask_personal_id(own_id))
    if student is None:
        return prefill
    links = guardian_links(actor) if links is None else links
    link = next((candidate for candidate in links if candidate.student_id == student.pk), None)
    if link is None:
        raise _not_their_child()
    student = link.student
    pupil = student.person
    _put(prefill, "student.moet_code", student.moet_code, f"{pupil.full_name} ({student.moet_code})")
    _put(prefill, "student.full_name", pupil.full_name)
    _put(prefill, "student.date_of_birth", pupil.date_of_birth, _date_text(pupil.date_of_birth))
    _put(prefill, "student.sex", pupil.get_sex_display() if pupil.sex else "")
    pupil_id = _personal_id(pupil)
    _put(prefill, "student.personal_id_number", pupil_id, mask_personal_id(pupil_id))
    _put(prefill, "student.current_school", student.school.name)
    membership = _current_membership(actor, student)
    if membership is not None:
        klass = membership.school_class
        _put(prefill, "student.current_grade", klass.grade.code, klass.grade.name)
        _put(prefill, "student.current_class", klass.name)
    _put(prefill, "guardian.relation", link.get_relation_display())
    return prefill


def student_field(definition: FormDefinition | None) -> str | None:
    """The key of the form's pupil field, if the form is about a pupil."""
    if definition is None:
        return None
    return next((f.key for f in definition.fields if f.type == FieldType.STUDENT), None)


def reusable_components(procedure: Procedure, student: Student | None) -> list[str]:
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
