"""The life of a dossier (hồ sơ thủ tục hành chính) as data: states, actions, who may act, the clock, the forms.

Stages of the one-stop mechanism (Nghị định 118/2025/NĐ-CP, guided by Thông tư 03/2025/TT-VPCP; administration
notes §3.2 — the form list comes from a secondary source, check the official appendix):

* the applicant submits (online, by post or at the counter) → the one-stop **desk** checks completeness and either
  **receives** it (Mẫu 01, giấy tiếp nhận và hẹn trả kết quả — the processing clock starts; the dossier enters the
  register, Mẫu 07), asks for it to be **completed** before receipt (Mẫu 02, no clock yet) or **refuses** it (Mẫu 03);
* the desk **assigns** it to the competent unit; every hand-over between desk, handlers and leaders is a line of
  the control sheet (Mẫu 06, phiếu kiểm soát quá trình giải quyết);
* a **handler** processes it; if something is missing the handler asks for a **supplement** (Mẫu 02): the clock
  is **paused** until the applicant supplies it, then **resumes** (the time waiting is excluded — notes §3.4);
* the handler submits it to a **leader**, who approves it (end of processing, "đã xử lý xong") or sends it back;
* the result is issued (at the counter, by post or electronically); the register line is completed (Mẫu 07);
* when the result will be late, the handler writes the apology and asks for an extension (Mẫu 04) — the state does
  not change; the competent body may **stop** processing (Mẫu 05); the applicant may **withdraw** before approval.

``transition(state, action)`` is the only way a dossier changes state; the services call it (with the actor's kind)
before they write, and store each ``Transition``'s forms and clock effect with the event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.errors import NotPermitted, ValidationFailed


class DossierState(models.TextChoices):
    SUBMITTED = "submitted", gettext_lazy("Đã nộp, chờ tiếp nhận")
    NEEDS_COMPLETION = "needs_completion", gettext_lazy("Chờ bổ sung để tiếp nhận")
    RECEIVED = "received", gettext_lazy("Đã tiếp nhận")
    ASSIGNED = "assigned", gettext_lazy("Đã chuyển xử lý")
    PROCESSING = "processing", gettext_lazy("Đang xử lý")
    SUPPLEMENT_REQUESTED = "supplement_requested", gettext_lazy("Tạm dừng, chờ bổ sung hồ sơ")
    AWAITING_APPROVAL = "awaiting_approval", gettext_lazy("Chờ lãnh đạo phê duyệt")
    APPROVED = "approved", gettext_lazy("Đã phê duyệt, chờ trả kết quả")
    RESULT_ISSUED = "result_issued", gettext_lazy("Đã trả kết quả")
    REFUSED = "refused", gettext_lazy("Từ chối tiếp nhận")
    STOPPED = "stopped", gettext_lazy("Dừng giải quyết")
    WITHDRAWN = "withdrawn", gettext_lazy("Đã rút hồ sơ")


class DossierAction(models.TextChoices):
    RECEIVE = "receive", gettext_lazy("Tiếp nhận hồ sơ")
    REQUEST_COMPLETION = "request_completion", gettext_lazy("Yêu cầu bổ sung, hoàn thiện để tiếp nhận")
    REFUSE = "refuse", gettext_lazy("Từ chối tiếp nhận")
    ASSIGN = "assign", gettext_lazy("Chuyển hồ sơ đến người xử lý")
    START_PROCESSING = "start_processing", gettext_lazy("Nhận xử lý")
    HAND_OVER = "hand_over", gettext_lazy("Chuyển tiếp cho người xử lý khác")
    REQUEST_SUPPLEMENT = "request_supplement", gettext_lazy("Yêu cầu bổ sung hồ sơ")
    SUBMIT_SUPPLEMENT = "submit_supplement", gettext_lazy("Nộp bổ sung hồ sơ")
    SUBMIT_FOR_APPROVAL = "submit_for_approval", gettext_lazy("Trình lãnh đạo phê duyệt")
    RETURN_FOR_REWORK = "return_for_rework", gettext_lazy("Trả lại để xử lý tiếp")
    APPROVE = "approve", gettext_lazy("Phê duyệt")
    ISSUE_RESULT = "issue_result", gettext_lazy("Trả kết quả")
    APOLOGISE_AND_EXTEND = "apologise_and_extend", gettext_lazy("Xin lỗi và đề nghị gia hạn")
    STOP = "stop", gettext_lazy("Dừng giải quyết")
    WITHDRAW = "withdraw", gettext_lazy("Rút hồ sơ")


class ActorKind(models.TextChoices):
    CITIZEN = "citizen", gettext_lazy("Người nộp hồ sơ")
    DESK = "desk", gettext_lazy("Bộ phận Một cửa")
    HANDLER = "handler", gettext_lazy("Người xử lý")
    LEADER = "leader", gettext_lazy("Lãnh đạo phê duyệt")
    SYSTEM = "system", gettext_lazy("Hệ thống")


class ClockEffect(models.TextChoices):
    """What a transition does to the processing clock (notes §3.4)."""

    NONE = "none", gettext_lazy("Không ảnh hưởng thời hạn")
    START = "start", gettext_lazy("Bắt đầu tính thời hạn")
    PAUSE = "pause", gettext_lazy("Tạm dừng tính thời hạn")
    RESUME = "resume", gettext_lazy("Tính tiếp thời hạn")
    STOP = "stop", gettext_lazy("Kết thúc tính thời hạn")


class FormNumber(models.TextChoices):
    """Phụ lục I of Thông tư 03/2025/TT-VPCP (secondary source; verify the official appendix)."""

    RECEIPT = "01", gettext_lazy("Mẫu 01 — Giấy tiếp nhận hồ sơ và hẹn trả kết quả")
    SUPPLEMENT_REQUEST = "02", gettext_lazy("Mẫu 02 — Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ")
    REFUSAL = "03", gettext_lazy("Mẫu 03 — Phiếu từ chối tiếp nhận giải quyết hồ sơ")
    APOLOGY_EXTENSION = "04", gettext_lazy("Mẫu 04 — Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết")
    STOP_NOTICE = "05", gettext_lazy("Mẫu 05 — Thông báo dừng giải quyết hồ sơ")
    CONTROL_SHEET = "06", gettext_lazy("Mẫu 06 — Phiếu kiểm soát quá trình giải quyết hồ sơ")
    REGISTER = "07", gettext_lazy("Mẫu 07 — Sổ theo dõi hồ sơ")


S = DossierState
A = DossierAction
K = ActorKind
F = FormNumber

INITIAL_STATE = S.SUBMITTED
TERMINAL_STATES = frozenset({S.RESULT_ISSUED, S.REFUSED, S.STOPPED, S.WITHDRAWN})
# States in which the processing clock runs (received and not yet finished, not paused).
CLOCK_RUNNING_STATES = frozenset({S.RECEIVED, S.ASSIGNED, S.PROCESSING, S.AWAITING_APPROVAL})
CLOCK_PAUSED_STATES = frozenset({S.SUPPLEMENT_REQUESTED})
# "Đã xử lý xong" — processing finished, the result is ready or issued (the preferred end time of §3.4).
PROCESSING_FINISHED_STATES = frozenset({S.APPROVED, S.RESULT_ISSUED})


@dataclass(frozen=True)
class Transition:
    """One allowed move: from ``source`` by ``action`` to ``target``, by one of ``actors``; what it does to the
    clock and which forms it produces (a line of the control sheet or the register counts as a form)."""

    source: DossierState
    action: DossierAction
    target: DossierState
    actors: frozenset[ActorKind]
    clock: ClockEffect = ClockEffect.NONE
    forms: tuple[FormNumber, ...] = ()


def _t(
    source: DossierState,
    action: DossierAction,
    target: DossierState,
    actors: Iterable[ActorKind],
    clock: ClockEffect = ClockEffect.NONE,
    forms: Iterable[FormNumber] = (),
) -> Transition:
    return Transition(source, action, target, frozenset(actors), clock, tuple(forms))


_WORKING_STATES = (S.RECEIVED, S.ASSIGNED, S.PROCESSING, S.AWAITING_APPROVAL)

TRANSITIONS: tuple[Transition, ...] = (
    # Receipt at the one-stop desk (the counter officer, or a portal officer for online dossiers).
    _t(S.SUBMITTED, A.RECEIVE, S.RECEIVED, {K.DESK}, ClockEffect.START, (F.RECEIPT, F.REGISTER)),
    _t(S.SUBMITTED, A.REQUEST_COMPLETION, S.NEEDS_COMPLETION, {K.DESK}, forms=(F.SUPPLEMENT_REQUEST,)),
    _t(S.SUBMITTED, A.REFUSE, S.REFUSED, {K.DESK}, forms=(F.REFUSAL,)),
    _t(S.SUBMITTED, A.WITHDRAW, S.WITHDRAWN, {K.CITIZEN}),
    # Completed by the applicant (the desk types it in for a counter dossier); back to the desk's check.
    _t(S.NEEDS_COMPLETION, A.SUBMIT_SUPPLEMENT, S.SUBMITTED, {K.CITIZEN, K.DESK}),
    _t(S.NEEDS_COMPLETION, A.REFUSE, S.REFUSED, {K.DESK}, forms=(F.REFUSAL,)),
    _t(S.NEEDS_COMPLETION, A.WITHDRAW, S.WITHDRAWN, {K.CITIZEN}),
    # Hand-over to the competent unit and between its people: each one is a line of the control sheet.
    _t(S.RECEIVED, A.ASSIGN, S.ASSIGNED, {K.DESK, K.LEADER}, forms=(F.CONTROL_SHEET,)),
    _t(S.ASSIGNED, A.START_PROCESSING, S.PROCESSING, {K.HANDLER}, forms=(F.CONTROL_SHEET,)),
    _t(S.ASSIGNED, A.HAND_OVER, S.ASSIGNED, {K.LEADER, K.HANDLER}, forms=(F.CONTROL_SHEET,)),
    _t(S.PROCESSING, A.HAND_OVER, S.ASSIGNED, {K.LEADER, K.HANDLER}, forms=(F.CONTROL_SHEET,)),
    # A supplement during processing pauses the clock; the desk relays the request and the answer.
    _t(
        S.PROCESSING,
        A.REQUEST_SUPPLEMENT,
        S.SUPPLEMENT_REQUESTED,
        {K.HANDLER},
        ClockEffect.PAUSE,
        (F.SUPPLEMENT_REQUEST, F.CONTROL_SHEET),
    ),
    _t(
        S.SUPPLEMENT_REQUESTED,
        A.SUBMIT_SUPPLEMENT,
        S.PROCESSING,
        {K.CITIZEN, K.DESK},
        ClockEffect.RESUME,
        (F.CONTROL_SHEET,),
    ),
    # Approval.
    _t(S.PROCESSING, A.SUBMIT_FOR_APPROVAL, S.AWAITING_APPROVAL, {K.HANDLER}, forms=(F.CONTROL_SHEET,)),
    _t(S.AWAITING_APPROVAL, A.RETURN_FOR_REWORK, S.PROCESSING, {K.LEADER}, forms=(F.CONTROL_SHEET,)),
    _t(S.AWAITING_APPROVAL, A.APPROVE, S.APPROVED, {K.LEADER}, ClockEffect.STOP, (F.CONTROL_SHEET,)),
    # The result: by the desk (counter, post) or the system (electronic result to the citizen's data store).
    _t(S.APPROVED, A.ISSUE_RESULT, S.RESULT_ISSUED, {K.DESK, K.SYSTEM}, forms=(F.CONTROL_SHEET, F.REGISTER)),
    # Late result: apology and extension request; the state does not change.
    *(
        _t(state, A.APOLOGISE_AND_EXTEND, state, {K.HANDLER, K.LEADER}, forms=(F.APOLOGY_EXTENSION,))
        for state in _WORKING_STATES
    ),
    # Stopping (by the competent body) and withdrawal (by the applicant) before approval end the clock.
    *(
        _t(state, A.STOP, S.STOPPED, {K.LEADER}, ClockEffect.STOP, (F.STOP_NOTICE, F.REGISTER))
        for state in (*_WORKING_STATES, S.SUPPLEMENT_REQUESTED)
    ),
    *(
        _t(state, A.WITHDRAW, S.WITHDRAWN, {K.CITIZEN}, ClockEffect.STOP, (F.REGISTER,))
        for state in (*_WORKING_STATES, S.SUPPLEMENT_REQUESTED)
    ),
)

TRANSITION_TABLE: dict[tuple[DossierState, DossierAction], Transition] = {
    (rule.source, rule.action): rule for rule in TRANSITIONS
}
assert len(TRANSITION_TABLE) == len(TRANSITIONS), "two rules for the same (state, action)"


def _state(value: str) -> DossierState:
    try:
        return DossierState(value)
    except ValueError:
        raise ValidationFailed(
            _("Trạng thái hồ sơ «%(value)s» không tồn tại.") % {"value": value}, code="unknown_state"
        ) from None


def _action(value: str) -> DossierAction:
    try:
        return DossierAction(value)
    except ValueError:
        raise ValidationFailed(
            _("Thao tác «%(value)s» không tồn tại.") % {"value": value}, code="unknown_action"
        ) from None


def rule_for(state: str, action: str) -> Transition:
    """The rule of ``action`` on a dossier in ``state``; ``ValidationFailed`` when the action is not allowed."""
    source, verb = _state(state), _action(action)
    rule = TRANSITION_TABLE.get((source, verb))
    if rule is None:
        raise ValidationFailed(
            _("Không thể thực hiện «%(action)s» khi hồ sơ đang ở trạng thái «%(state)s».")
            % {"action": verb.label, "state": source.label},
            code="forbidden_transition",
        )
    return rule


def transition(state: str, action: str, *, actor_kind: str | None = None) -> DossierState:
    """The state after ``action``; ``ValidationFailed`` for an action not allowed in ``state`` and, when
    ``actor_kind`` is given, ``NotPermitted`` if that kind of actor may not take it."""
    rule = rule_for(state, action)
    if actor_kind is not None:
        try:
            kind = ActorKind(actor_kind)
        except ValueError:
            kind = None
        if kind not in rule.actors:
            raise NotPermitted(
                _("%(actor)s không được thực hiện «%(action)s».")
                % {"actor": kind.label if kind else actor_kind, "action": rule.action.label},
                code="actor_not_allowed",
            )
    return rule.target


def allowed_actions(state: str, *, actor_kind: str | None = None) -> list[DossierAction]:
    """The actions allowed in ``state`` (for ``actor_kind`` when given), in the order of ``DossierAction``."""
    source = _state(state)
    return [
        action
        for action in DossierAction
        if (rule := TRANSITION_TABLE.get((source, action))) is not None
        and (actor_kind is None or actor_kind in rule.actors)
    ]


def is_terminal(state: str) -> bool:
    return _state(state) in TERMINAL_STATES
