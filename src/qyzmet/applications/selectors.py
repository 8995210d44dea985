"""Queries about applications. Object rules live here too: a citizen sees only their own
applications and an officer only their agencies' cases; anything else is 'not found'."""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.db.models import Q, QuerySet
from django.utils import timezone

from qyzmet.audit.services import personal_data_read
from qyzmet.catalog.package import REFUND_FULL, ServicePackage
from qyzmet.catalog.selectors import service_pinned
from qyzmet.core.calendar import calendar_default
from qyzmet.core.pagination import Page, cursor_encode, cursor_key, cursor_read, page_limit
from qyzmet.core.problem import not_found
from qyzmet.identity.selectors import user_roles
from qyzmet.payments.selectors import payment_by_public_id
from qyzmet.signatures.selectors import signed_payload_for_request

from .models import Application, ApplicationEvent, Attachment

# What an inbox row shows; the form data and evidence stay on disk until the case is opened.
INBOX_COLUMNS = (
    "id", "service_version_id", "service_code", "agency_code", "state", "outcome", "is_open",
    "submitted_at", "due_date", "paused_at", "applicant_iin", "applicant__id",
    "applicant__full_name", "applicant__iin",
)

# States an officer never sees: a draft, a submission still waiting for registry evidence or
# for its fee (it reaches the agency's inbox when its workflow starts), and one that lapsed
# unpaid (it never did).
NOT_IN_WORKFLOW = (
    Application.DRAFT,
    Application.AWAITING_EVIDENCE,
    Application.AWAITING_PAYMENT,
    Application.LAPSED,
)


def application_list_for_citizen(*, user, cursor: str | None = None, limit: int = 20) -> Page:
    """The citizen's own applications, newest first, keyset-paginated on id."""
    limit = page_limit(limit)
    qs = Application.objects.filter(applicant=user).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=cursor_read(cursor, id=cursor_key)["id"])
    rows = list(qs[: limit + 1])
    next_cursor = cursor_encode({"id": rows[limit - 1].pk}) if len(rows) > limit else None
    return Page(rows[:limit], next_cursor)


def application_get_for_citizen(*, user, application_id: int) -> Application:
    application = Application.objects.filter(pk=application_id, applicant=user).first()
    if application is None:
        raise not_found("application")
    return application


def officer_agencies(*, user) -> set[str]:
    return {code for code, roles in user_roles(user=user).items() if roles & {"officer", "head"}}


def inbox_list(
    *,
    user,
    state: str | None = None,
    service_code: str | None = None,
    overdue: bool | None = None,
    status: str = "open",
    cursor: str | None = None,
    limit: int = 25,
) -> Page:
    """The officer's inbox: only their agencies' cases, earliest deadline first, keyset-paginated
    on (due_date, id) so page 1,000 costs what page 1 does."""
    limit = page_limit(limit)
    agencies = sorted(officer_agencies(user=user))
    if not agencies:
        return Page([], None)
    qs: QuerySet[Application] = Application.objects.exclude(state__in=NOT_IN_WORKFLOW)
    if status == "open":
        qs = qs.filter(is_open=True)
    elif status == "closed":
        qs = qs.filter(is_open=False)
    if state:
        qs = qs.filter(state=state)
    if service_code:
        qs = qs.filter(service_code=service_code)
    today = timezone.localdate()
    if overdue is True:
        qs = qs.filter(is_open=True, due_date__lt=today)
    elif overdue is False:
        qs = qs.filter(Q(due_date__gte=today) | Q(is_open=False))
    if cursor:
        position = cursor_read(cursor, due=dt.date.fromisoformat, id=cursor_key)
        due = position["due"]
        # The redundant lower bound lets PostgreSQL start the index scan at the cursor instead
        # of walking (and discarding) every earlier case of the agency.
        qs = qs.filter(due_date__gte=due).filter(
            Q(due_date__gt=due) | Q(id__gt=position["id"])
        )
    # One ordered, limited index scan per agency, merged here: `agency_code IN (...)` would make
    # the database sort every open case of all the officer's agencies to find the first page.
    per_agency = [
        qs.filter(agency_code=code)
        .select_related("applicant")
        .only(*INBOX_COLUMNS)
        .order_by("due_date", "id")[: limit + 1]
        for code in agencies
    ]
    rows = list(
        heapq.merge(*per_agency, key=lambda a: (a.due_date or dt.date.max, a.pk))
    )[: limit + 1]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        # Every case in the workflow has a due date (set on submission; drafts are excluded).
        assert last.due_date is not None
        next_cursor = cursor_encode({"due": last.due_date.isoformat(), "id": last.pk})
    return Page(rows[:limit], next_cursor)


# A case due within this many working days is "due soon" in the inbox: time to act on it today.
DUE_SOON_WORKING_DAYS = 2


def deadline_soon_limit(*, today: dt.date) -> dt.date:
    """The last due date the inbox marks "due soon": two working days from `today` (weekends and
    holidays of the country's calendar do not count). Pure computation, no query."""
    return calendar_default().add_working_days(today, DUE_SOON_WORKING_DAYS)


def application_get_for_officer(*, user, application_id: int, purpose: str = "") -> Application:
    """An officer opens a case: allowed only for their agency's cases, and recorded as a read of
    the applicant's personal data."""
    application = (
        Application.objects.select_related("applicant", "assignee")
        .filter(pk=application_id, agency_code__in=officer_agencies(user=user))
        .exclude(state__in=NOT_IN_WORKFLOW)
        .first()
    )
    if application is None:
        raise not_found("application")
    personal_data_read(
        actor=user,
        subject_iin=application.applicant_iin,
        what="application",
        purpose=purpose or f"processing application {application.number}",
        data={"application_id": application.pk},
    )
    return application


def application_history(*, application_id: int) -> list[ApplicationEvent]:
    return list(
        ApplicationEvent.objects.filter(application_id=application_id)
        .select_related("actor")
        .order_by("id")
    )


def application_attachments(*, application_id: int) -> list[Attachment]:
    return list(
        Attachment.objects.filter(application_id=application_id)
        .defer("content")
        .order_by("id")
    )


def attachment_content(*, attachment_id: int, application_id: int) -> Attachment:
    attachment = Attachment.objects.filter(pk=attachment_id, application_id=application_id).first()
    if attachment is None:
        raise not_found("attachment")
    return attachment


def application_package(*, application: Application) -> ServicePackage:
    """The package version this application is pinned to."""
    return service_pinned(version_id=application.service_version_id).package


@dataclass(frozen=True)
class DecisionGround:
    """The ground of a refusal in one language: its code, label and legal basis."""

    code: str
    label: str
    legal_basis: str


def decision_ground(*, application: Application, lang: str | None,
                    code: str | None = None) -> DecisionGround | None:
    """The refusal ground of the case (or `code`, e.g. a history row's) in `lang`, from the
    package version the case is pinned to; None when none was recorded (an approval, or a
    refusal made before the service had grounds)."""
    code = application.decision_ground if code is None else code
    if not code:
        return None
    ground = application_package(application=application).ground(code)
    if ground is None:
        return DecisionGround(code, code, "")  # pragma: no cover  (packages are immutable)
    return DecisionGround(code, ground.label.get(lang), ground.legal_basis.get(lang))


def refusal_grounds(*, application: Application, action: str, lang: str | None
                    ) -> list[DecisionGround]:
    """The grounds an officer chooses from when taking `action` on this case, in `lang`."""
    package = application_package(application=application)
    return [DecisionGround(g.code, g.label.get(lang), g.legal_basis.get(lang))
            for g in package.grounds_for(action)]


@dataclass(frozen=True)
class PendingEvidence:
    """An evidence item a waiting application still lacks, and the registry it comes from."""

    name: str
    registry: str
    fact: str


def evidence_pending(*, application: Application) -> list[PendingEvidence]:
    """What a waiting application still waits for, in package order ([] when nothing)."""
    if application.state != Application.AWAITING_EVIDENCE or not application.evidence_pending:
        return []
    wanted = set(application.evidence_pending)
    return [
        PendingEvidence(item.name, item.registry, item.fact)
        for item in application_package(application=application).evidence
        if item.name in wanted
    ]


@dataclass(frozen=True)
class MissingEvidence:
    """An evidence item the case went to the agency without: the registry refused for good
    (`code`, e.g. `registry.subject_not_found`) or did not answer in time
    (`registry.unavailable`); `detail` is what the registry or the gateway said."""

    name: str
    registry: str
    fact: str
    code: str
    detail: str


def evidence_missing(*, application: Application) -> list[MissingEvidence]:
    """The evidence the case is being decided without, in package order ([] when none)."""
    missing = application.evidence_missing or {}
    if not missing:
        return []
    items = application_package(application=application).evidence
    return [
        MissingEvidence(
            name=item.name,
            registry=item.registry,
            fact=item.fact,
            code=str(missing[item.name].get("code", "")),
            detail=str(missing[item.name].get("detail", "")),
        )
        for item in items
        if item.name in missing
    ]


def withdraw_action(workflow) -> str | None:
    """The name of the workflow's action by which the applicant withdraws (it leads to a final
    state whose outcome is `withdrawn`), or None when the service does not allow it."""
    for action in workflow.actions:
        target = workflow.state(action.to)
        if "applicant" in action.roles and target and target.final and (
            target.outcome == "withdrawn"
        ):
            return action.name
    return None


def available_actions(*, user, application: Application) -> list[str]:
    """The workflow actions `user` may take on the application now (for buttons and the API).
    While the fee is unpaid (outside the workflow) the applicant may still withdraw, where the
    service's workflow lets the applicant withdraw at all."""
    if application.state == Application.AWAITING_PAYMENT:
        if user.pk != application.applicant_id:
            return []
        found = withdraw_action(application_package(application=application).workflow)
        return [found] if found else []
    if application.state == Application.DRAFT or not application.is_open:
        return []
    workflow = application_package(application=application).workflow
    roles = set(user_roles(user=user).get(application.agency_code, set()))
    if user.pk == application.applicant_id:
        roles.add("applicant")
    return [a.name for a in workflow.actions_from(application.state) if roles & set(a.roles)]


def application_payment(*, application: Application):
    """The payment asked for this application's fee (a frozen `PaymentView`: amount, state,
    pay-by time, refunds), or None when nothing was due."""
    if application.payment_public_id is None:
        return None
    return payment_by_public_id(public_id=application.payment_public_id)


# What withdrawing does to the fee (`WithdrawalFee.kind`).
FEE_NONE = "none"  # nothing paid and nothing owed (a free service, an exemption, refunded)
FEE_CANCELLED = "cancelled"  # unpaid: the payment is cancelled, money arriving later returned
FEE_REFUNDED = "refunded"  # paid: the service's rule gives it back in full
FEE_KEPT = "kept"  # paid: the service's rule does not give it back


@dataclass(frozen=True)
class WithdrawalFee:
    """What happens to the fee if the applicant withdraws now, for the confirmation page, the
    notification and the event: `kind` (above), and the amount concerned in minor units (due,
    or paid and not yet refunded)."""

    kind: str
    amount: int = 0
    currency: str = "KZT"

    def as_payload(self) -> dict[str, object]:
        return {"fee": self.kind, "fee_amount": self.amount, "fee_currency": self.currency}


def withdrawal_fee(*, application: Application) -> WithdrawalFee:
    """What withdrawing `application` now does to its fee: by the payment's state and the
    pinned package's `fee.refund.withdrawn_before_decision` rule."""
    payment = application_payment(application=application)
    if payment is None:
        return WithdrawalFee(FEE_NONE)
    if payment.is_payable:
        return WithdrawalFee(FEE_CANCELLED, payment.amount, payment.currency)
    left = payment.amount_paid - payment.amount_refunded
    if left <= 0:
        return WithdrawalFee(FEE_NONE, 0, payment.currency)
    rule = application_package(application=application).fee.refund.withdrawn_before_decision
    kind = FEE_REFUNDED if rule == REFUND_FULL else FEE_KEPT
    return WithdrawalFee(kind, left, payment.currency)


def applications_count(*, agency_code: str | None = None) -> int:
    qs = Application.objects.all()
    if agency_code:
        qs = qs.filter(agency_code=agency_code)
    return qs.count()


# --- signatures of a case ----------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureInfo:
    """One signature on a case, as the case pages show it."""

    request_id: str
    sha256: str
    signer_name: str
    signer_iin: str
    organisation_code: str
    certificate_serial: str
    signed_at: dt.datetime
    certificate_revoked: bool


def _common_name(der: bytes) -> str:
    names = x509.load_der_x509_certificate(der).subject.get_attributes_for_oid(
        NameOID.COMMON_NAME
    )
    return str(names[0].value) if names else ""


def _signature_ids(application: Application) -> list[str]:
    ids = [application.submission_signature_id] if application.submission_signature_id else []
    events = ApplicationEvent.objects.filter(
        application_id=application.pk, signature_id__isnull=False
    ).order_by("id").values_list("signature_id", flat=True)
    return list(dict.fromkeys([*ids, *(e for e in events if e is not None)]))


def application_signatures(*, application: Application) -> dict[str, SignatureInfo]:
    """The signatures on the case (the submission's, then each signed decision's) by request id:
    who signed (the certificate's name and IIN), when, and with which certificate."""
    found: dict[str, SignatureInfo] = {}
    for request_id in _signature_ids(application):
        info = _signature_info(request_id)
        if info is not None:
            found[request_id] = info
    return found


def submission_signature(*, application: Application) -> SignatureInfo | None:
    """The citizen's signature over the submission alone (one query; None when unsigned): what
    the API answers a submission with, without reading the case's history."""
    if not application.submission_signature_id:
        return None
    return _signature_info(application.submission_signature_id)


def _signature_info(request_id: str) -> SignatureInfo | None:
    signed = signed_payload_for_request(request_id=request_id)
    if signed is None:
        return None
    certificate = signed.certificate
    return SignatureInfo(
        request_id=request_id,
        sha256=signed.sha256,
        signer_name=_common_name(bytes(certificate.der)),
        signer_iin=certificate.subject_iin,
        organisation_code=certificate.organisation_code,
        certificate_serial=certificate.serial,
        signed_at=signed.signed_at,
        certificate_revoked=certificate.revoked_at is not None,
    )


@dataclass(frozen=True)
class SignatureFiles:
    content: bytes  # the canonical bytes that were signed
    cms_der: bytes  # the detached CMS (CAdES-BES) signature, DER


def application_signature_files(*, application: Application, request_id: str) -> SignatureFiles:
    """The signed bytes and the detached signature of one signature on this case; a request id
    that is not one of the case's signatures is 'not found'. The caller has already checked that
    the person may see the case."""
    if request_id not in _signature_ids(application):
        raise not_found("signature")
    signed = signed_payload_for_request(request_id=request_id)
    if signed is None:
        raise not_found("signature")
    request = signed.request
    return SignatureFiles(content=bytes(request.canonical), cms_der=bytes(signed.cms_der))


def action_is_final(*, application: Application, action: str) -> bool:
    """Whether `action` would end the case (and so is a decision to sign)."""
    workflow = service_pinned(version_id=application.service_version_id).package.workflow
    step = workflow.action(action)
    entering = workflow.state(step.to) if step else None
    return bool(entering and entering.final)
