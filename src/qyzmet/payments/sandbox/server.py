"""The sandbox acquirer's HTTP server, its webhook sender thread and its command line.

API (JSON; `Authorization: Bearer <secret>`; errors as problem+json):
  POST /v1/payments            Idempotency-Key; {reference, amount, currency, description,
                               language, return_url, webhook_url} -> 201 payment (200 on replay)
  GET  /v1/payments/{id}       -> payment {id, state, amount, currency, decided_at, failure_code…}
  POST /v1/refunds             Idempotency-Key; {payment_id, amount, reason} -> 201 refund
  GET  /v1/refunds/{id}
  GET  /v1/settlements/{date}  -> the day's succeeded payments (+) and refunds (−)
  GET|POST /_control, POST /_control/reset   fault control for tests
Hosted pages (the payer's browser, no authentication): GET|POST /pay/{id}, POST /pay/{id}/cancel.
Webhooks: POST {event_id, type, created, payment} to the payment's webhook_url with
`Qyzmet-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, retried with backoff.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hmac
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from hashlib import sha256
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeGuard
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx

from qyzmet.payments.sandbox import cards, pages
from qyzmet.payments.sandbox.store import (
    DECLINED,
    PENDING,
    STAGE_CARD,
    STAGE_CHALLENGE,
    STAGE_PROCESSING,
    SUCCEEDED,
    ApiError,
    Faults,
    Store,
)

log = logging.getLogger("qyzmet.payments.sandbox")

SIGNATURE_HEADER = "Qyzmet-Signature"
MAX_BODY = 64 * 1024
PROBLEM = "application/problem+json"
HTML_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    """The webhook signature: HMAC-SHA256 over "<timestamp>.<body>" with the shared secret."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


@dataclasses.dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8025
    db: str = "var/sandbox.sqlite3"
    secret: str = ""
    public_url: str = ""  # how the payer's browser reaches /pay/…; default http://host:port
    page_timeout: float = 900.0  # a pending payment expires this many seconds after creation
    timezone: str = "Asia/Almaty"  # the settlement day's time zone
    webhook_backoff: float = 1.0  # first retry after this many seconds, doubling
    webhook_backoff_max: float = 300.0
    webhook_max_attempts: int = 12
    webhook_timeout: float = 5.0
    poll_interval: float = 0.2  # how often the sender looks for due webhooks and expiries
    quiet: bool = False


class Sandbox:
    """One running acquirer: its store, its secret and the sender thread."""

    def __init__(self, config: Config, *, public_url: str) -> None:
        if not config.secret:
            raise ValueError("the sandbox needs a secret (--secret, QYZMET_PAYMENT_SANDBOX_SECRET)")
        self.config = config
        self.secret = config.secret
        self.store = Store(
            config.db,
            public_url=public_url,
            page_timeout=config.page_timeout,
            timezone=config.timezone,
        )
        self.stopping = threading.Event()
        self.sender = threading.Thread(target=self._send_loop, name="sandbox-webhooks", daemon=True)

    @property
    def faults(self) -> Faults:
        return self.store.faults

    def _send_loop(self) -> None:
        with httpx.Client(timeout=self.config.webhook_timeout) as client:
            while not self.stopping.wait(self.config.poll_interval):
                try:
                    self.store.expire_due()
                    for row in self.store.webhooks_due():
                        if self.stopping.is_set():
                            return
                        self._deliver(client, row)
                except Exception:  # keep sending whatever one row or one tick did
                    log.exception("webhook sender tick failed")

    def _deliver(self, client: httpx.Client, row: Any) -> None:
        if self.faults.delay_ms:
            time.sleep(self.faults.delay_ms / 1000)
        body = row["body"].encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(
                secret=self.secret, body=body, timestamp=int(time.time())
            ),
            "User-Agent": "qyzmet-sandbox-acquirer/1",
        }
        try:
            response = client.post(row["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        else:
            if 200 <= response.status_code < 300:
                self.store.webhook_sent(row["seq"])
                log.info("webhook %s sent to %s", row["event_id"], row["url"])
                return
            error = f"HTTP {response.status_code}"
        log.warning("webhook %s to %s failed (%s); will retry", row["event_id"], row["url"], error)
        self.store.webhook_failed(
            row["seq"],
            error=error,
            backoff=self.config.webhook_backoff,
            backoff_max=self.config.webhook_backoff_max,
            max_attempts=self.config.webhook_max_attempts,
        )


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    sandbox: Sandbox


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))


def _is_http_url(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 1000:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def payment_body_check(data: Any) -> dict[str, Any]:
    """The create request, checked field by field (each problem with its JSON pointer)."""
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Invalid JSON", "The body must be a JSON object.")
    errors: list[tuple[str, str]] = []
    reference = data.get("reference")
    if not isinstance(reference, str) or not 0 < len(reference) <= 40:
        errors.append(("/reference", "A reference of 1 to 40 characters is required."))
    amount = data.get("amount")
    if not _is_int(amount) or not 0 < amount <= 10**13:
        errors.append(("/amount", "The amount must be a positive integer of minor units."))
    if data.get("currency") != "KZT":
        errors.append(("/currency", "Only KZT is accepted."))
    description = data.get("description")
    if not isinstance(description, str) or not 0 < len(description) <= 500:
        errors.append(("/description", "A description of 1 to 500 characters is required."))
    if data.get("language") not in pages.LANGUAGES:
        errors.append(("/language", "The language must be kk, ru or en."))
    for name in ("return_url", "webhook_url"):
        if not _is_http_url(data.get(name)):
            errors.append((f"/{name}", "An http(s) URL is required."))
    if errors:
        raise ApiError(422, "invalid_request", "Invalid request", "See errors.", errors)
    return {
        key: data[key]
        for key in (
            "reference",
            "amount",
            "currency",
            "description",
            "language",
            "return_url",
            "webhook_url",
        )
    }


def refund_body_check(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Invalid JSON", "The body must be a JSON object.")
    errors: list[tuple[str, str]] = []
    if not isinstance(data.get("payment_id"), str) or not data["payment_id"]:
        errors.append(("/payment_id", "The id of the payment to refund is required."))
    amount = data.get("amount")
    if not _is_int(amount) or amount <= 0:
        errors.append(("/amount", "The amount must be a positive integer of minor units."))
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        errors.append(("/reason", "The reason is text of at most 500 characters."))
    if errors:
        raise ApiError(422, "invalid_request", "Invalid request", "See errors.", errors)
    return {"payment_id": data["payment_id"], "amount": amount, "reason": reason}


def faults_body_check(data: Any, current: Faults) -> Faults:
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "Invalid JSON", "The body must be a JSON object.")
    errors: list[tuple[str, str]] = []
    values = dataclasses.asdict(current)
    for name, value in data.items():
        if name not in values:
            errors.append((f"/{name}", "Unknown fault."))
        elif name == "delay_ms":
            if not _is_int(value) or not 0 <= value <= 120_000:
                errors.append(("/delay_ms", "Milliseconds from 0 to 120000."))
            else:
                values[name] = value
        elif not isinstance(value, bool):
            errors.append((f"/{name}", "true or false."))
        else:
            values[name] = value
    if errors:
        raise ApiError(422, "invalid_request", "Invalid request", "See errors.", errors)
    return Faults(**values)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"
    server_version = "QyzmetSandboxAcquirer/1"

    def version_string(self) -> str:
        return self.server_version

    ROUTES = (
        ("GET", re.compile(r"^/healthz$"), "health"),
        ("POST", re.compile(r"^/v1/payments$"), "payment_create"),
        ("GET", re.compile(r"^/v1/payments/(?P<id>[\w-]{1,64})$"), "payment_get"),
        ("POST", re.compile(r"^/v1/refunds$"), "refund_create"),
        ("GET", re.compile(r"^/v1/refunds/(?P<id>[\w-]{1,64})$"), "refund_get"),
        ("GET", re.compile(r"^/v1/settlements/(?P<day>\d{4}-\d{2}-\d{2})$"), "settlement"),
        ("GET", re.compile(r"^/_control$"), "control_get"),
        ("POST", re.compile(r"^/_control$"), "control_set"),
        ("POST", re.compile(r"^/_control/reset$"), "control_reset"),
        ("GET", re.compile(r"^/pay/(?P<id>[\w-]{1,64})$"), "page_get"),
        ("POST", re.compile(r"^/pay/(?P<id>[\w-]{1,64})$"), "page_post"),
        ("POST", re.compile(r"^/pay/(?P<id>[\w-]{1,64})/cancel$"), "page_cancel"),
    )
    AUTHENTICATED = frozenset(
        {
            "payment_create",
            "payment_get",
            "refund_create",
            "refund_get",
            "settlement",
            "control_get",
            "control_set",
            "control_reset",
        }
    )

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    def log_message(self, format: str, *args: Any) -> None:
        log.info("%s %s", self.address_string(), format % args)

    # -- dispatch ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        path = urlsplit(self.path).path
        allowed = False
        try:
            body = self._body()  # read even when refused: the connection is kept alive
            for route_method, pattern, name in self.ROUTES:
                match = pattern.match(path)
                if not match:
                    continue
                allowed = True
                if route_method != method:
                    continue
                if name in self.AUTHENTICATED:
                    self._authenticate()
                getattr(self, f"route_{name}")(body, **match.groupdict())
                return
            if allowed:
                raise ApiError(405, "method_not_allowed", "Method not allowed")
            raise ApiError(404, "not_found", "Not found", "No such endpoint.")
        except ApiError as exc:
            self._problem(exc)
        except Exception:
            log.exception("sandbox request failed: %s %s", method, path)
            self._problem(ApiError(500, "internal_error", "Internal error"))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "body_too_large", "Body too large", f"At most {MAX_BODY} bytes.")
        return self.rfile.read(length) if length else b""

    def _authenticate(self) -> None:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.sandbox.secret}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiError(401, "unauthorized", "Unauthorized", "A valid bearer secret is needed.")

    # -- responses --------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        if self.sandbox.faults.delay_ms and urlsplit(self.path).path.startswith("/v1/"):
            # A slow acquirer: the work is done, the answer comes late (the caller may time out
            # and must retry with the same idempotency key).
            time.sleep(self.sandbox.faults.delay_ms / 1000)
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json")

    def _problem(self, exc: ApiError) -> None:
        data: dict[str, Any] = {
            "type": f"https://qyzmet.dev/problems/sandbox/{exc.code}",
            "title": exc.title,
            "status": exc.status,
            "code": exc.code,
        }
        if exc.detail:
            data["detail"] = exc.detail
        if exc.errors:
            data["errors"] = [{"pointer": p, "detail": d} for p, d in exc.errors]
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        self._send(exc.status, json.dumps(data).encode(), PROBLEM, headers)

    def _html(self, status: int, html: str) -> None:
        self._send(status, html.encode(), "text/html; charset=utf-8", HTML_HEADERS)

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": location})

    @staticmethod
    def _json_of(body: bytes) -> Any:
        try:
            return json.loads(body or b"null")
        except ValueError as exc:
            raise ApiError(400, "invalid_json", "Invalid JSON", str(exc)) from exc

    def _idempotency_key(self) -> str:
        key = (self.headers.get("Idempotency-Key") or "").strip()
        if not 0 < len(key) <= 255:
            raise ApiError(
                400,
                "idempotency_key_required",
                "Idempotency key required",
                "Send an Idempotency-Key header (1 to 255 characters).",
            )
        return key

    # -- API --------------------------------------------------------------------------------

    def route_health(self, body: bytes) -> None:
        self._send(200, b'{"ok":true}', "application/json")

    def route_payment_create(self, body: bytes) -> None:
        key = self._idempotency_key()
        payment, created = self.sandbox.store.payment_create(
            key=key, body=payment_body_check(self._json_of(body))
        )
        self._json(201 if created else 200, payment)

    def route_payment_get(self, body: bytes, id: str) -> None:
        self._json(200, self.sandbox.store.payment_get(id))

    def route_refund_create(self, body: bytes) -> None:
        key = self._idempotency_key()
        refund, created = self.sandbox.store.refund_create(
            key=key, body=refund_body_check(self._json_of(body))
        )
        self._json(201 if created else 200, refund)

    def route_refund_get(self, body: bytes, id: str) -> None:
        self._json(200, self.sandbox.store.refund_get(id))

    def route_settlement(self, body: bytes, day: str) -> None:
        try:
            date = dt.date.fromisoformat(day)
        except ValueError as exc:
            raise ApiError(404, "not_found", "Not found", "No such day.") from exc
        self._json(200, self.sandbox.store.settlement(date))

    def route_control_get(self, body: bytes) -> None:
        self._json(
            200,
            {
                "faults": self.sandbox.faults.as_dict(),
                "webhooks": self.sandbox.store.webhook_counts(),
            },
        )

    def route_control_set(self, body: bytes) -> None:
        self.sandbox.store.faults = faults_body_check(self._json_of(body), self.sandbox.faults)
        self._send(
            200, json.dumps({"faults": self.sandbox.faults.as_dict()}).encode(), "application/json"
        )

    def route_control_reset(self, body: bytes) -> None:
        self.sandbox.store.faults = Faults()
        self._send(
            200, json.dumps({"faults": self.sandbox.faults.as_dict()}).encode(), "application/json"
        )

    # -- hosted page ------------------------------------------------------------------------

    def _form(self, body: bytes) -> dict[str, str]:
        fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[0][:200] for name, values in fields.items()}

    def _back(self, payment: Any) -> str:
        return _with_query(payment["return_url"], payment=payment["id"])

    def route_page_get(self, body: bytes, id: str) -> None:
        payment = self.sandbox.store.payment_row(id)
        if payment is None:
            self._html(404, pages.not_found_page())
        elif payment["state"] == PENDING and payment["stage"] == STAGE_CARD:
            self._html(200, pages.card_page(payment))
        elif payment["state"] == PENDING and payment["stage"] == STAGE_CHALLENGE:
            self._html(200, pages.challenge_page(payment))
        else:
            self._html(200, pages.status_page(payment, return_to=self._back(payment)))

    def route_page_post(self, body: bytes, id: str) -> None:
        store = self.sandbox.store
        payment = store.payment_row(id)
        if payment is None:
            self._html(404, pages.not_found_page())
            return
        here = f"/pay/{payment['id']}"
        form = self._form(body)
        if payment["state"] != PENDING or payment["stage"] == STAGE_PROCESSING:
            self._redirect(here)  # a second submission of a decided page changes nothing
        elif payment["stage"] == STAGE_CHALLENGE:
            code = form.get("code", "").strip()
            if not code:
                self._html(422, pages.challenge_page(payment, errors={"code": "err_code_required"}))
                return
            ok = hmac.compare_digest(code.encode(), cards.CHALLENGE_CODE.encode())
            decided = store.payment_decide(
                id,
                state=SUCCEEDED if ok else DECLINED,
                from_stage=STAGE_CHALLENGE,
                failure_code="" if ok else cards.AUTHENTICATION_FAILED,
            )
            self._redirect(self._back(payment) if decided else here)
        else:
            self._card_submit(payment, form)

    def _card_submit(self, payment: Any, form: dict[str, str]) -> None:
        store = self.sandbox.store
        checked = cards.card_form_check(form, today=dt.datetime.now(store.zone).date())
        if checked.errors:
            values = {
                "card_number": form.get("card_number", ""),
                "expiry": checked.expiry,
                "name": form.get("name", ""),
            }
            self._html(422, pages.card_page(payment, values=values, errors=checked.errors))
            return
        outcome = cards.card_outcome(checked.number)
        last4 = checked.number[-4:]
        here = f"/pay/{payment['id']}"
        if outcome in (cards.CHALLENGE, cards.TIMEOUT):
            stage = STAGE_CHALLENGE if outcome == cards.CHALLENGE else STAGE_PROCESSING
            store.payment_stage(payment["id"], stage=stage, card_last4=last4)
            self._redirect(here)
            return
        state, failure = {
            cards.SUCCEED: (SUCCEEDED, ""),
            cards.SUCCEED_NO_WEBHOOK: (SUCCEEDED, ""),
            cards.DECLINE_FUNDS: (DECLINED, cards.INSUFFICIENT_FUNDS),
            cards.DECLINE: (DECLINED, cards.CARD_DECLINED),
        }[outcome]
        decided = store.payment_decide(
            payment["id"],
            state=state,
            from_stage=STAGE_CARD,
            failure_code=failure,
            card_last4=last4,
            send_webhook=outcome != cards.SUCCEED_NO_WEBHOOK,
        )
        self._redirect(self._back(payment) if decided else here)

    def route_page_cancel(self, body: bytes, id: str) -> None:
        store = self.sandbox.store
        payment = store.payment_row(id)
        if payment is None:
            self._html(404, pages.not_found_page())
            return
        decided = payment["state"] == PENDING and store.payment_decide(
            id,
            state=DECLINED,
            from_stage=payment["stage"],
            failure_code=cards.CANCELLED,
        )
        self._redirect(self._back(payment) if decided else f"/pay/{id}")


# -- command line ----------------------------------------------------------------------------


def arguments_add(parser: argparse.ArgumentParser, *, defaults: Config) -> None:
    """The options of the server, shared by `python -m` and the management command (which
    passes defaults taken from settings)."""
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument(
        "--port", type=int, default=defaults.port, help="0: any free port (printed on start)"
    )
    parser.add_argument("--db", default=defaults.db, help="the sandbox's own SQLite file")
    parser.add_argument(
        "--secret",
        default=defaults.secret,
        help="API bearer secret and webhook signing key (env QYZMET_PAYMENT_SANDBOX_SECRET)",
    )
    parser.add_argument(
        "--public-url",
        default=defaults.public_url,
        help="how browsers reach this server (default http://host:port)",
    )
    parser.add_argument(
        "--page-timeout",
        type=float,
        default=defaults.page_timeout,
        help="seconds after which an unpaid payment expires",
    )
    parser.add_argument(
        "--timezone", default=defaults.timezone, help="time zone of the settlement day"
    )
    parser.add_argument(
        "--webhook-backoff",
        type=float,
        default=defaults.webhook_backoff,
        help="seconds before the first webhook retry (doubling)",
    )
    parser.add_argument("--webhook-backoff-max", type=float, default=defaults.webhook_backoff_max)
    parser.add_argument("--webhook-max-attempts", type=int, default=defaults.webhook_max_attempts)
    parser.add_argument(
        "--quiet", action="store_true", default=defaults.quiet, help="log only failures"
    )


def config_from(options: dict[str, Any]) -> Config:
    names = {f.name for f in dataclasses.fields(Config)}
    return Config(**{k: v for k, v in options.items() if k in names and v is not None})


def serve(config: Config, *, out: Any = None) -> None:
    """Run until SIGTERM or Ctrl-C: the HTTP server in this thread, the sender beside it."""
    out = out or sys.stdout
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[sandbox] %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.WARNING if config.quiet else logging.INFO)
    httpd = Server((config.host, config.port), Handler)
    port = httpd.server_address[1]
    shown_host = "127.0.0.1" if config.host in ("0.0.0.0", "", "::") else config.host  # noqa: S104
    public_url = (config.public_url or f"http://{shown_host}:{port}").rstrip("/")
    try:
        sandbox = Sandbox(config, public_url=public_url)
    except Exception:
        httpd.server_close()
        raise
    httpd.sandbox = sandbox
    sandbox.sender.start()

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
    out.write(f"Sandbox acquirer listening on {public_url} (database {config.db})\n")
    out.flush()
    try:
        httpd.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stopping.set()
        httpd.server_close()
        sandbox.sender.join(timeout=5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m qyzmet.payments.sandbox",
        description="The sandbox card acquirer (its own HTTP server, state in SQLite).",
    )
    arguments_add(
        parser, defaults=Config(secret=os.environ.get("QYZMET_PAYMENT_SANDBOX_SECRET", ""))
    )
    options = vars(parser.parse_args(argv))
    if not options["secret"]:
        parser.error("--secret (or QYZMET_PAYMENT_SANDBOX_SECRET) is required")
    serve(config_from({k.replace("-", "_"): v for k, v in options.items()}))
