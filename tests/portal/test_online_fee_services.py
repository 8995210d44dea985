"""The fee-bearing online services of the Kazakhstan pack (passport, driving licence, vehicle
registration, marriage registration) work end to end through the pages people use: the package
validates and carries its fee as an integer in tiyn, a citizen applies in Kazakh with the
registry's facts prefilled, signs with the SMS code, the agency's officer finds the case in the
inbox and decides it (signed; the passport also through the head's sign-off), and the citizen
downloads a result document whose text names them and what they asked for."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from qyzmet.applications.models import Application
from qyzmet.applications.selectors import application_package, application_payment
from qyzmet.catalog.package import package_parse
from qyzmet.catalog.selectors import service_current
from qyzmet.catalog.validation import packages_collect
from qyzmet.documents.models import Document
from qyzmet.payments.services import payment_record_success
from tests.applications.signing import sms_code, texted
from tests.catalog.factories import KZ_SERVICES
from tests.portal.factories import catalog_loaded, citizen, officer
from tests.registries.factories import PersonFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


@dataclass(frozen=True)
class Case:
    code: str
    agency: str
    fee_tiyn: int
    title_kk: str
    fields: dict[str, str]
    in_result: tuple[str, ...]  # form values the result document must repeat
    answer_kk: str = ""  # how one chosen option reads on "check your answers", in Kazakh
    head_signs_off: bool = False
    other_field: str = ""  # a form field naming another person by IIN (the partner, the deceased)
    other_evidence: str = ""  # the evidence the registry returns for that person


CASES = {
    "kz.passport": Case(
        code="kz.passport",
        agency="kz-mvd-migration",
        fee_tiyn=1_730_000,  # 4 MCI at 4 325 tenge
        title_kk="Қазақстан Республикасы азаматының паспортын беру",
        fields={
            "reason": "lost",
            "previous_passport_number": "N12345678",
            "loss_circumstances": "Алматы әуежайында жоғалды",
            "collection_office": "Алматы, Бостандық ауданының ХҚКО",
            "personal_attendance": "on",
        },
        in_result=("Бостандық ауданының ХҚКО",),
        answer_kk="Жоғалды",
        head_signs_off=True,
    ),
    "kz.driving-licence": Case(
        code="kz.driving-licence",
        agency="kz-mvd-police",
        fee_tiyn=540_625,  # 1.25 MCI
        title_kk="Жүргізуші куәлігін ауыстыру",
        fields={
            "reason": "expired",
            "licence_number": "AB 7654321",
            "categories": "B, BE",
            "medical_certificate_number": "073-2026-4411",
            "medical_certificate_date": (TODAY - dt.timedelta(days=5)).isoformat(),
            "collection_office": "Астана, мамандандырылған ХҚКО",
        },
        in_result=("AB 7654321", "B, BE"),
        answer_kk="Мерзімі бітті немесе бітеді",
    ),
    "kz.vehicle-registration": Case(
        code="kz.vehicle-registration",
        agency="kz-mvd-police",
        fee_tiyn=108_125,  # 0.25 MCI
        title_kk="Көлік құралын тіркеу",
        fields={
            "acquired_as": "bought_used",
            "vin": "JTNB11HK5J3012345",
            "make": "Toyota",
            "model": "Camry",
            "year": "2018",
            "colour": "ақ",
            "body_type": "passenger_car",
            "previous_plate": "777 AAA 02",
            "acquisition_document": "sale_contract",
            "acquisition_document_number": "ДКП-0415",
            "acquired_on": (TODAY - dt.timedelta(days=2)).isoformat(),
            "insurance_policy_number": "OGPO-2026-100200",
        },
        in_result=("JTNB11HK5J3012345", "Toyota Camry"),
        answer_kk="Қолдан сатып алдым",
    ),
    "kz.marriage-registration": Case(
        code="kz.marriage-registration",
        agency="kz-minjust",
        fee_tiyn=216_250,  # 0.5 MCI
        title_kk="Некені (ерлі-зайыптылықты) мемлекеттік тіркеу",
        fields={
            "ceremony_date": (TODAY + dt.timedelta(days=35)).isoformat(),
            "ceremony": "solemn",
            "registry_office": "Алматы қаласының АХАТ бөлімі",
            "applicant_surname": "keep",
            "partner_surname": "applicants",
            "partner_consents": "on",
            "no_impediments": "on",
        },
        in_result=("Алматы қаласының АХАТ бөлімі",),
        answer_kk="Салтанатты жағдайда",
        other_field="partner_iin",
        other_evidence="partner",
    ),
    # The fifth, free: a relative registers a death.
    "kz.death-registration": Case(
        code="kz.death-registration",
        agency="kz-minjust",
        fee_tiyn=0,
        title_kk="Қайтыс болуды мемлекеттік тіркеу",
        fields={
            "death_date": (TODAY - dt.timedelta(days=1)).isoformat(),
            "death_place": "Қарағанды қаласы",
            "medical_certificate_number": "ВСС-2026-118",
            "relationship": "parent",
        },
        in_result=("Қарағанды қаласы",),
        answer_kk="Ата-анасы",
        other_field="deceased_iin",
        other_evidence="deceased",
    ),
}
FEE_BEARING = sorted(code for code, case in CASES.items() if case.fee_tiyn)


@pytest.fixture(autouse=True)
def _catalog():
    catalog_loaded()


def _package_data(code: str) -> dict[str, Any]:
    """The newest version of the package (older versions predate rules such as refusal
    grounds, which the validator asks of a package being published now)."""
    versions = [p.data for p in packages_collect(dirs=[KZ_SERVICES]).packages if p.code == code]
    return max(versions, key=lambda data: int(data["version"]))


def _errors(html: str) -> str:
    """The page's error summary, for a failing assertion's message."""
    return html.split('class="error-summary"')[-1].split("</div>")[0]


def _apply(client, user, code: str, fields: dict[str, str], answer: str = ""):
    """Fill the form as the citizen and press Continue, confirm the answers on their own page
    (where `answer` must read in words), sign with the code from the SMS and follow the return
    address. Returns the last response."""
    url = reverse("apply", kwargs={"code": code})
    form = {"intent": "check", "idempotency_key": str(uuid.uuid4()), **fields}
    response = texted(lambda: client.post(url, form))
    assert response.status_code == 302, _errors(response.content.decode())
    location = response["Location"]
    if "/apply/check/" in location:  # "check your answers"
        check = client.get(location)
        assert check.status_code == 200
        assert answer in check.content.decode()
        response = texted(lambda: client.post(location, {}))
        assert response.status_code == 302, response.content.decode()[:2000]
        location = response["Location"]
    assert location.startswith("/sign/"), location
    confirmed = client.post(location, {"code": sms_code(user)})
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    return client.get(confirmed["Location"])


def _pay(application, capture) -> None:
    """The fee arrives (as a bank statement line would record it): the workflow starts."""
    assert application.state == "awaiting_payment", application.state
    payment = application_payment(application=application)
    with capture(execute=True):
        payment_record_success(
            payment_id=payment.id, provider="reference", amount=payment.amount,
            currency=payment.currency, at=timezone.now(), external_ref=f"line-{application.pk}",
        )  # fmt: skip
    application.refresh_from_db()


def _decide(client, application, clerk, action: str, capture, reason: str = "") -> None:
    """A final decision from the case page: the signing page, the officer's code, the return
    address (the approval's outbox event issues the result document on commit)."""
    act = reverse("bo-act", args=[application.pk])
    posted = {"action": action, **({"reason": reason} if reason else {})}
    grounds = application_package(application=application).grounds_for(action)
    if grounds:  # a refusal names one of the service's coded grounds
        posted["ground"] = grounds[0].code
    sign_url = texted(lambda: client.post(act, posted))["Location"]
    assert sign_url.startswith("/sign/"), sign_url
    done = client.post(sign_url, {"code": sms_code(clerk)})["Location"]
    with capture(execute=True):
        client.get(done)


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_package_is_valid_and_charges_its_fee_in_tiyn(code):
    case = CASES[code]
    package = package_parse(_package_data(code))
    assert package.agency == case.agency
    assert isinstance(package.fee.amount, int)
    assert package.fee.is_free == (case.fee_tiyn == 0)
    assert (package.fee.amount, package.fee.currency) == (case.fee_tiyn, "KZT")
    for lang in ("kk", "ru", "en"):
        assert package.title(lang) and package.result.title.get(lang)
        assert package.search_terms.get(lang), lang
    assert package.title("kk") == case.title_kk
    wf = package.workflow
    assert wf.action("provide_info").roles == ("applicant",)
    assert wf.state(wf.action("request_info").to).clock_paused
    # Kazakh texts call the application «өтінім» (an appeal is «өтініш»).
    for kind in ("submitted", "info_requested", "approved", "refused"):
        text = package.notifications[kind]["kk"]
        assert "өтінім" in text and "өтініш" not in text, kind
    # The agency is a loaded service, current in the catalogue, named in every language.
    current = service_current(code=code)
    assert current is not None and current.agency_code == case.agency


@pytest.mark.parametrize("code", sorted(CASES))
def test_apply_sign_decide_and_get_the_result(client, code, django_capture_on_commit_callbacks):
    case = CASES[code]
    me = citizen(
        last_name="Тоқтарова", first_name="Мадина", sex="F", birth_date=dt.date(1995, 6, 12)
    )
    fields = dict(case.fields)
    other = None
    if case.other_field:
        other = PersonFactory(
            last_name="Жұмабеков", first_name="Арман", sex="M", birth_date=dt.date(1963, 2, 3)
        )
        fields[case.other_field] = other.iin

    # The citizen sees the form in Kazakh, with her registry facts read-only.
    client.force_login(me)
    client.cookies["django_language"] = "kk"
    page = client.get(reverse("apply", kwargs={"code": code}))
    assert page.status_code == 200
    html = page.content.decode()
    assert case.title_kk in html and "Тоқтарова Мадина" in html

    _apply(client, me, code, fields, answer=case.answer_kk)
    application = Application.objects.get(applicant=me, service_code=code)
    if case.fee_tiyn:  # signed, it waits for its fee; paid, it goes to the agency
        assert application.fee["amount"] == case.fee_tiyn
        _pay(application, django_capture_on_commit_callbacks)
    assert application.state == "submitted" and application.submission_signature_id
    assert application.agency_code == case.agency
    assert application.evidence["person"]["iin"] == me.iin
    if other is not None:
        # The other person's facts came from the register by the IIN given, not typed.
        fact = application.evidence[case.other_evidence]
        assert (fact["iin"], fact["full_name"]) == (other.iin, other.full_name)
    if code == "kz.marriage-registration":
        assert application.evidence["partner_family"]["spouse"] is None

    # The agency's officer finds it in the inbox and takes it.
    clerk = officer(case.agency)
    client.force_login(clerk)
    assert application.number in client.get(reverse("bo-inbox")).content.decode()
    case_page = client.get(reverse("bo-case", args=[application.pk])).content.decode()
    if other is not None:
        # The other person's facts say whose they are, in the officer's language.
        whose = {"partner": "Болашақ жұбайы", "deceased": "Марқұм"}[case.other_evidence]
        assert "Жұмабеков Арман" in case_page and f"{whose} — " in case_page
    assert "Spouse —" not in case_page and "Full name" not in case_page
    act = reverse("bo-act", args=[application.pk])
    assert client.post(act, {"action": "take"}).status_code == 302
    decider = clerk
    if case.head_signs_off:
        assert client.post(act, {"action": "propose"}).status_code == 302
        application.refresh_from_db()
        assert application.state == "head_review"
        decider = officer(case.agency, role="head")
        client.force_login(decider)
    _decide(client, application, decider, "approve", django_capture_on_commit_callbacks)
    application.refresh_from_db()
    assert application.state == "approved"

    # The citizen downloads the result document: her name and what she asked for are in it.
    document = Document.objects.get(source_ref=f"application:{application.pk}")
    assert document.owner_iin == me.iin and document.language == "kk"
    client.force_login(me)
    pdf = client.get(reverse("my-application-result", args=[application.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    flat = " ".join(text.split())
    assert "Тоқтарова" in flat
    for value in case.in_result:
        assert value in flat, (value, flat[:800])
    if other is not None:
        assert "Жұмабеков" in flat


def test_marriage_needs_a_valid_partner_iin_and_both_declarations(client):
    me = citizen(sex="F", birth_date=dt.date(1996, 1, 9))
    client.force_login(me)
    client.cookies["django_language"] = "kk"
    url = reverse("apply", kwargs={"code": "kz.marriage-registration"})
    fields = {
        k: v for k, v in CASES["kz.marriage-registration"].fields.items() if k != "partner_consents"
    }
    good = PersonFactory(sex="M").iin
    bad = good[:11] + str((int(good[11]) + 1) % 10)  # wrong check digit
    response = client.post(
        url,
        {"intent": "submit", "idempotency_key": str(uuid.uuid4()), **fields, "partner_iin": bad},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#field-partner_iin"' in html
    assert 'href="#field-partner_consents"' in html
    assert not Application.objects.exists()


def test_passport_is_refused_with_a_reason_and_no_document(
    client, django_capture_on_commit_callbacks
):
    me = citizen()
    client.force_login(me)
    _apply(client, me, "kz.passport", CASES["kz.passport"].fields)
    application = Application.objects.get(applicant=me)
    _pay(application, django_capture_on_commit_callbacks)
    clerk = officer("kz-mvd-migration")
    client.force_login(clerk)
    client.post(reverse("bo-act", args=[application.pk]), {"action": "take"})
    _decide(
        client,
        application,
        clerk,
        "refuse",
        django_capture_on_commit_callbacks,
        reason="Фотосурет анық емес.",
    )
    application.refresh_from_db()
    assert (application.state, application.outcome) == ("refused", "refused")
    assert application.decision_reason == "Фотосурет анық емес."
    assert not Document.objects.filter(source_ref=f"application:{application.pk}").exists()


def test_another_agencys_officer_does_not_see_the_case(client):
    me = citizen()
    client.force_login(me)
    _apply(client, me, "kz.vehicle-registration", CASES["kz.vehicle-registration"].fields)
    application = Application.objects.get(applicant=me)
    client.force_login(officer("kz-mvd-migration"))
    assert application.number not in client.get(reverse("bo-inbox")).content.decode()
    assert client.get(reverse("bo-case", args=[application.pk])).status_code == 404


@pytest.mark.parametrize("code", FEE_BEARING)
def test_the_demo_desk_case_of_each_service_is_a_valid_form(code):
    """The demo loads open cases into the officers' inboxes from these forms: each must pass the
    package's own form check (a package change that breaks the demo fails here)."""
    from qyzmet.countries.kz.demo_desk import _demo_form_data

    PersonFactory(sex="F", birth_date=TODAY.replace(year=TODAY.year - 30, day=1))
    _iin, data = _demo_form_data(code, today=TODAY)
    package = service_current(code=code).package
    assert package.form.errors(data) == []


@pytest.mark.parametrize(
    ("amount", "lang", "shown"),
    [
        (1_730_000, "kk", "17\u00a0300\u00a0₸"),
        (1_730_000, "en", "17,300\u00a0₸"),
        (540_625, "ru", "5\u00a0406,25\u00a0₸"),
        (540_625, "en", "5,406.25\u00a0₸"),
        (99, "kk", "0,99\u00a0₸"),
    ],
)
def test_a_fee_in_tiyn_reads_in_tenge(amount, lang, shown):
    from qyzmet.ui.money import money_display

    assert money_display(amount=amount, currency="KZT", lang=lang) == shown


def test_the_service_page_and_list_show_the_fee_in_tenge(client):
    for lang, shown in (("kk", "17\u00a0300\u00a0₸"), ("en", "17,300\u00a0₸")):
        client.cookies["django_language"] = lang
        page = client.get(reverse("service-detail", kwargs={"code": "kz.passport"}))
        html = page.content.decode()
        assert page.status_code == 200 and shown in html and "1730000" not in html
        listing = client.get(reverse("service-list"), {"q": "паспорт"}).content.decode()
        assert shown in listing and "1730000" not in listing


def test_an_evidence_label_must_be_in_all_three_languages():
    import copy

    from qyzmet.catalog.validation import package_validate

    data = copy.deepcopy(_package_data("kz.marriage-registration"))
    assert package_validate(data) == []
    assert package_parse(data).evidence_named("partner").label.get("en") == "Future spouse"
    del data["evidence"][1]["label"]["en"]
    data["evidence"][0]["label"] = {"kk": "", "ru": "x", "en": "x"}
    problems = {(e.pointer, e.reason) for e in package_validate(data)}
    assert ("/evidence/1/label/en", "required") in problems
    assert any(pointer == "/evidence/0/label/kk" for pointer, _ in problems)
