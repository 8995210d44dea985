"""The hosted card page of the sandbox acquirer, in the payment's language (kk, ru, en).

The acquirer is not the platform, so its words are its own (this table), not the platform's
gettext catalogues — as a real acquirer's page would be. The page follows the platform's rules
all the same: one `<h1>`, labels on every field, an error summary that links to each field and
an error message on the field itself, no JavaScript, and a single column that fits 320 px.
"""

from __future__ import annotations

from html import escape
from typing import Any

from qyzmet.payments.sandbox import cards

LANGUAGES = ("kk", "ru", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "skip": {
        "en": "Skip to main content",
        "ru": "Перейти к основному содержанию",
        "kk": "Негізгі мазмұнға өту",
    },
    "brand": {
        "en": "Sandbox acquirer: test payments only",
        "ru": "Тестовый эквайер: только тестовые платежи",
        "kk": "Сынақ эквайері: тек сынақ төлемдері",
    },
    "title_pay": {"en": "Pay by card", "ru": "Оплата картой", "kk": "Картамен төлеу"},
    "amount": {"en": "Amount to pay", "ru": "Сумма к оплате", "kk": "Төленетін сома"},
    "purpose": {"en": "Payment for", "ru": "Назначение платежа", "kk": "Төлем мақсаты"},
    "reference": {"en": "Invoice number", "ru": "Номер счёта", "kk": "Шот нөмірі"},
    "card_number": {"en": "Card number", "ru": "Номер карты", "kk": "Карта нөмірі"},
    "card_number_hint": {
        "en": "The 16 digits on the front of the card",
        "ru": "16 цифр на лицевой стороне карты",
        "kk": "Картаның алдыңғы жағындағы 16 сан",
    },
    "expiry": {"en": "Expiry date", "ru": "Срок действия", "kk": "Жарамдылық мерзімі"},
    "expiry_hint": {
        "en": "Month and year, for example 08/29",
        "ru": "Месяц и год, например 08/29",
        "kk": "Ай мен жыл, мысалы 08/29",
    },
    "cvc": {
        "en": "Security code (CVC)",
        "ru": "Код безопасности (CVC)",
        "kk": "Қауіпсіздік коды (CVC)",
    },
    "cvc_hint": {
        "en": "The last 3 digits on the back of the card",
        "ru": "Последние 3 цифры на обороте карты",
        "kk": "Картаның артқы жағындағы соңғы 3 сан",
    },
    "name": {"en": "Name on card", "ru": "Имя на карте", "kk": "Картадағы аты-жөні"},
    "pay_button": {"en": "Pay {amount}", "ru": "Оплатить {amount}", "kk": "{amount} төлеу"},
    "cancel_button": {
        "en": "Cancel payment",
        "ru": "Отменить платёж",
        "kk": "Төлемнен бас тарту",
    },
    "error_summary": {"en": "There is a problem", "ru": "Есть ошибки", "kk": "Қате бар"},
    "error_prefix": {"en": "Error:", "ru": "Ошибка:", "kk": "Қате:"},
    "err_card_required": {
        "en": "Enter the card number",
        "ru": "Введите номер карты",
        "kk": "Карта нөмірін енгізіңіз",
    },
    "err_card_invalid": {
        "en": "Card number is not valid: check the digits",
        "ru": "Номер карты неверен: проверьте цифры",
        "kk": "Карта нөмірі қате: сандарды тексеріңіз",
    },
    "err_expiry_format": {
        "en": "Enter the expiry date as month and year, for example 08/29",
        "ru": "Введите срок действия как месяц и год, например 08/29",
        "kk": "Жарамдылық мерзімін ай мен жыл түрінде енгізіңіз, мысалы 08/29",
    },
    "err_expiry_past": {
        "en": "Expiry date is in the past: this card has expired",
        "ru": "Срок действия в прошлом: срок карты истёк",
        "kk": "Жарамдылық мерзімі өтіп кеткен: картаның мерзімі біткен",
    },
    "err_cvc": {
        "en": "Enter the security code: 3 or 4 digits",
        "ru": "Введите код безопасности: 3 или 4 цифры",
        "kk": "Қауіпсіздік кодын енгізіңіз: 3 немесе 4 сан",
    },
    "err_name": {
        "en": "Enter the name on the card",
        "ru": "Введите имя, как на карте",
        "kk": "Картадағы аты-жөнді енгізіңіз",
    },
    "challenge_title": {
        "en": "Confirm the payment with your bank",
        "ru": "Подтвердите платёж в банке",
        "kk": "Төлемді банкте растаңыз",
    },
    "challenge_text": {
        "en": "Your bank has sent you a one-time code. In this sandbox the code is 123456.",
        "ru": "Банк отправил вам одноразовый код. В этой тестовой среде код: 123456.",
        "kk": "Банк сізге бір реттік код жіберді. Бұл сынақ ортасында код: 123456.",
    },
    "code": {"en": "One-time code", "ru": "Одноразовый код", "kk": "Бір реттік код"},
    "err_code_required": {
        "en": "Enter the one-time code",
        "ru": "Введите одноразовый код",
        "kk": "Бір реттік кодты енгізіңіз",
    },
    "confirm_button": {"en": "Confirm", "ru": "Подтвердить", "kk": "Растау"},
    "processing_title": {
        "en": "Your payment is being processed",
        "ru": "Платёж обрабатывается",
        "kk": "Төлем өңделуде",
    },
    "processing_text": {
        "en": "Your bank has not answered yet. Do not pay again: the service will show the "
        "result as soon as it arrives.",
        "ru": "Банк ещё не ответил. Не платите повторно: сервис покажет результат, как только "
        "он придёт.",
        "kk": "Банк әлі жауап берген жоқ. Қайта төлемеңіз: нәтиже келген бойда қызмет оны "
        "көрсетеді.",
    },
    "return_link": {
        "en": "Return to the service",
        "ru": "Вернуться в сервис",
        "kk": "Қызметке оралу",
    },
    "done_succeeded": {
        "en": "This payment has been made",
        "ru": "Этот платёж выполнен",
        "kk": "Бұл төлем жасалды",
    },
    "done_declined": {
        "en": "This payment was declined",
        "ru": "Этот платёж отклонён",
        "kk": "Бұл төлем қабылданбады",
    },
    "done_expired": {
        "en": "The time to pay has run out",
        "ru": "Время на оплату истекло",
        "kk": "Төлеу уақыты өтіп кетті",
    },
    "not_found": {
        "en": "Payment not found",
        "ru": "Платёж не найден",
        "kk": "Төлем табылмады",
    },
    "not_found_text": {
        "en": "Check the link, or start the payment again from the service.",
        "ru": "Проверьте ссылку или начните оплату заново в сервисе.",
        "kk": "Сілтемені тексеріңіз немесе төлемді қызметте қайта бастаңыз.",
    },
    "test_cards_title": {
        "en": "Test cards: this is a sandbox, no real money moves",
        "ru": "Тестовые карты: это тестовая среда, настоящие деньги не списываются",
        "kk": "Сынақ карталары: бұл сынақ ортасы, нақты ақша қозғалмайды",
    },
    "test_cards_hint": {
        "en": "Use any future expiry date, any 3 digits as the security code and any name.",
        "ru": "Подойдёт любой будущий срок действия, любые 3 цифры кода и любое имя.",
        "kk": "Кез келген болашақ мерзім, кез келген 3 сан және кез келген аты-жөн жарайды.",
    },
    "outcome": {"en": "What happens", "ru": "Что произойдёт", "kk": "Не болады"},
    cards.SUCCEED: {"en": "Payment succeeds", "ru": "Платёж проходит", "kk": "Төлем өтеді"},
    cards.DECLINE_FUNDS: {
        "en": "Declined: insufficient funds",
        "ru": "Отказ: недостаточно средств",
        "kk": "Бас тартылды: қаражат жеткіліксіз",
    },
    cards.CHALLENGE: {
        "en": "Your bank asks for a one-time code (123456)",
        "ru": "Банк запрашивает одноразовый код (123456)",
        "kk": "Банк бір реттік кодты сұрайды (123456)",
    },
    cards.TIMEOUT: {
        "en": "The bank never answers; the payment times out",
        "ru": "Банк не отвечает; время платежа истекает",
        "kk": "Банк жауап бермейді; төлем уақыты өтеді",
    },
    cards.SUCCEED_NO_WEBHOOK: {
        "en": "Succeeds, but the service is never notified",
        "ru": "Проходит, но сервис не получает уведомления",
        "kk": "Өтеді, бірақ қызметке хабарлама келмейді",
    },
}

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:1.125rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:#0b0c0c;background:#fff}
.skip{position:absolute;left:-9999px}.skip:focus{left:.5rem;top:.5rem;background:#fd0;
color:#0b0c0c;padding:.5rem}
header{background:#1d3557;color:#fff;padding:.75rem 1rem}header p{margin:0;font-weight:600}
main{max-width:38rem;margin:0 auto;padding:1rem}
h1{font-size:1.75rem;line-height:1.2;margin:.5rem 0 1rem}h2{font-size:1.25rem}
dl.summary{margin:0 0 1.5rem;border-top:1px solid #b1b4b6}
dl.summary div{border-bottom:1px solid #b1b4b6;padding:.5rem 0}
dl.summary dt{font-weight:600}dl.summary dd{margin:0;overflow-wrap:anywhere}
.field{margin:0 0 1.25rem}.field label{display:block;font-weight:600}
.hint{display:block;color:#505a5f;margin:0 0 .25rem}
.field input{display:block;width:100%;max-width:22rem;font:inherit;padding:.4rem;
border:2px solid #0b0c0c;border-radius:0}
.field.invalid{border-left:5px solid #d4351c;padding-left:.75rem}
.field.invalid input{border-color:#d4351c}
.error{color:#d4351c;font-weight:600;margin:0 0 .25rem}
input:focus,button:focus,a:focus{outline:3px solid #fd0;outline-offset:0;
box-shadow:0 0 0 6px #0b0c0c}
button{font:inherit;font-weight:600;padding:.6rem 1rem;border:0;background:#00703c;color:#fff;
cursor:pointer;margin:0 0 1rem}
button.secondary{background:#f3f2f1;color:#0b0c0c;border:2px solid #0b0c0c}
.error-summary{border:5px solid #d4351c;padding:1rem;margin:0 0 1.5rem}
.error-summary h2{margin-top:0}.error-summary a{color:#d4351c;font-weight:600}
.test-cards{border:4px solid #1d70b8;background:#f0f6fb;padding:1rem;margin:2rem 0 0}
.test-cards h2{margin-top:0}
.test-cards table{border-collapse:collapse;width:100%}
.test-cards th,.test-cards td{text-align:left;padding:.35rem .5rem .35rem 0;
border-bottom:1px solid #b1b4b6;vertical-align:top}
.test-cards td:first-child{font-family:ui-monospace,Menlo,Consolas,monospace;white-space:nowrap}
@media (max-width:30rem){.test-cards table,.test-cards tbody,.test-cards tr,.test-cards td,
.test-cards th{display:block}.test-cards thead{position:absolute;left:-9999px}
.test-cards td{border:0;padding:0}.test-cards tr{border-bottom:1px solid #b1b4b6;
padding:.35rem 0}}
a{color:#1d70b8}
"""


def lang_of(language: str) -> str:
    return language if language in LANGUAGES else "en"


def t(key: str, lang: str, **values: str) -> str:
    text = MESSAGES[key].get(lang) or MESSAGES[key]["en"]
    return text.format(**values) if values else text


def money(amount: int, lang: str) -> str:
    """Tiyn as tenge the way the platform shows money: grouped thousands (a no-break space in
    kk/ru, a comma in en), the fraction only when there is one, the sign after the number."""
    major, minor = divmod(int(amount), 100)
    group, point = (",", ".") if lang == "en" else ("\u00a0", ",")
    text = f"{major:,}".replace(",", group)
    if minor:
        text += f"{point}{minor:02d}"
    return f"{text}\u00a0₸"


def _layout(*, lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · {escape(t('brand', lang))}</title>"
        f"<style>{STYLE}</style></head><body>"
        f'<a class="skip" href="#main">{escape(t("skip", lang))}</a>'
        f"<header><p>{escape(t('brand', lang))}</p></header>"
        f'<main id="main" tabindex="-1">{body}</main></body></html>'
    )


def _summary(payment: Any, lang: str) -> str:
    rows = [
        ("amount", money(payment["amount"], lang)),
        ("purpose", payment["description"]),
        ("reference", payment["reference"]),
    ]
    items = "".join(
        f"<div><dt>{escape(t(key, lang))}</dt><dd>{escape(value)}</dd></div>" for key, value in rows
    )
    return f'<dl class="summary">{items}</dl>'


def _error_summary(errors: dict[str, str], lang: str) -> str:
    if not errors:
        return ""
    items = "".join(
        f'<li><a href="#{field}">{escape(t(key, lang))}</a></li>' for field, key in errors.items()
    )
    return (
        '<div class="error-summary" role="alert" aria-labelledby="error-summary-title"'
        ' tabindex="-1">'
        f'<h2 id="error-summary-title">{escape(t("error_summary", lang))}</h2>'
        f"<ul>{items}</ul></div>"
    )


def _field(
    *,
    name: str,
    label: str,
    lang: str,
    errors: dict[str, str],
    value: str = "",
    hint: str = "",
    autocomplete: str = "",
    inputmode: str = "",
    width: str = "",
) -> str:
    described = []
    parts = [f'<div class="field{" invalid" if name in errors else ""}">']
    parts.append(f'<label for="{name}">{escape(t(label, lang))}</label>')
    if hint:
        described.append(f"{name}-hint")
        parts.append(f'<span class="hint" id="{name}-hint">{escape(t(hint, lang))}</span>')
    if name in errors:
        described.append(f"{name}-error")
        parts.append(
            f'<p class="error" id="{name}-error"><span class="skip">'
            f"{escape(t('error_prefix', lang))} </span>{escape(t(errors[name], lang))}</p>"
        )
    attrs = [f'id="{name}"', f'name="{name}"', 'type="text"', f'value="{escape(value)}"']
    if autocomplete:
        attrs.append(f'autocomplete="{autocomplete}"')
    if inputmode:
        attrs.append(f'inputmode="{inputmode}"')
    if width:
        attrs.append(f'style="max-width:{width}"')
    if described:
        attrs.append(f'aria-describedby="{" ".join(described)}"')
    if name in errors:
        attrs.append('aria-invalid="true"')
    parts.append(f"<input {' '.join(attrs)}></div>")
    return "".join(parts)


def _test_cards(lang: str) -> str:
    rows = "".join(
        f"<tr><td>{' '.join(number[i : i + 4] for i in range(0, 16, 4))}</td>"
        f"<td>{escape(t(outcome, lang))}</td></tr>"
        for number, outcome in cards.TEST_CARDS.items()
    )
    return (
        '<section class="test-cards" aria-labelledby="test-cards-title">'
        f'<h2 id="test-cards-title">{escape(t("test_cards_title", lang))}</h2>'
        f"<p>{escape(t('test_cards_hint', lang))}</p>"
        f'<table><thead><tr><th scope="col">{escape(t("card_number", lang))}</th>'
        f'<th scope="col">{escape(t("outcome", lang))}</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _cancel_form(payment: Any, lang: str) -> str:
    return (
        f'<form method="post" action="/pay/{escape(payment["id"])}/cancel">'
        f'<button type="submit" class="secondary">{escape(t("cancel_button", lang))}</button>'
        "</form>"
    )


def card_page(
    payment: Any,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> str:
    """The card form; on a mistake the same form with the payer's entries (never the CVC)."""
    lang = lang_of(payment["language"])
    values, errors = values or {}, errors or {}
    fields = "".join(
        [
            _field(
                name="card_number",
                label="card_number",
                hint="card_number_hint",
                lang=lang,
                errors=errors,
                value=values.get("card_number", ""),
                autocomplete="cc-number",
                inputmode="numeric",
            ),
            _field(
                name="expiry",
                label="expiry",
                hint="expiry_hint",
                lang=lang,
                errors=errors,
                value=values.get("expiry", ""),
                autocomplete="cc-exp",
                inputmode="numeric",
                width="8rem",
            ),
            _field(
                name="cvc",
                label="cvc",
                hint="cvc_hint",
                lang=lang,
                errors=errors,
                autocomplete="cc-csc",
                inputmode="numeric",
                width="6rem",
            ),
            _field(
                name="name",
                label="name",
                lang=lang,
                errors=errors,
                value=values.get("name", ""),
                autocomplete="cc-name",
            ),
        ]
    )
    amount = money(payment["amount"], lang)
    body = (
        _error_summary(errors, lang)
        + f"<h1>{escape(t('title_pay', lang))}</h1>"
        + _summary(payment, lang)
        + f'<form method="post" action="/pay/{escape(payment["id"])}" novalidate>{fields}'
        + f'<button type="submit">{escape(t("pay_button", lang, amount=amount))}</button></form>'
        + _cancel_form(payment, lang)
        + _test_cards(lang)
    )
    title = t("title_pay", lang)
    if errors:
        title = f"{t('error_prefix', lang)} {title}"
    return _layout(lang=lang, title=title, body=body)


def challenge_page(payment: Any, *, errors: dict[str, str] | None = None) -> str:
    """3-D Secure: the bank's page asking for the one-time code."""
    lang = lang_of(payment["language"])
    errors = errors or {}
    field = _field(
        name="code",
        label="code",
        lang=lang,
        errors=errors,
        autocomplete="one-time-code",
        inputmode="numeric",
        width="10rem",
    )
    body = (
        _error_summary(errors, lang)
        + f"<h1>{escape(t('challenge_title', lang))}</h1>"
        + f"<p>{escape(t('challenge_text', lang))}</p>"
        + _summary(payment, lang)
        + f'<form method="post" action="/pay/{escape(payment["id"])}" novalidate>{field}'
        + f'<button type="submit">{escape(t("confirm_button", lang))}</button></form>'
    )
    return _layout(lang=lang, title=t("challenge_title", lang), body=body)


def status_page(payment: Any, *, return_to: str) -> str:
    """Processing (the bank has not answered) or the payment's final state, with the way back."""
    lang = lang_of(payment["language"])
    if payment["state"] == "pending":
        title = t("processing_title", lang)
        text = f"<p>{escape(t('processing_text', lang))}</p>"
    else:
        title = t(f"done_{payment['state']}", lang)
        text = ""
    body = (
        f"<h1>{escape(title)}</h1>{text}"
        + _summary(payment, lang)
        + f'<p><a href="{escape(return_to)}">{escape(t("return_link", lang))}</a></p>'
    )
    return _layout(lang=lang, title=title, body=body)


def not_found_page() -> str:
    """Unknown payment id: there is no payment to take the language from, so all three (one
    heading level 1, in Kazakh, the others level 2)."""
    body = "".join(
        f'<div lang="{lang}"><h{level}>{escape(t("not_found", lang))}</h{level}>'
        f"<p>{escape(t('not_found_text', lang))}</p></div>"
        for level, lang in ((1, "kk"), (2, "ru"), (2, "en"))
    )
    return _layout(lang="kk", title=t("not_found", "kk"), body=body)
