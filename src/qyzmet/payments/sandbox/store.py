"""The sandbox acquirer's state, in its own SQLite file, and the rules that change it.

Every change is one SQLite transaction (`BEGIN IMMEDIATE`, serialised by a lock in this process),
so a process killed at any moment leaves either the whole change or none of it; the webhooks owed
are rows of the same database (an outbox), written in the same transaction as the decision they
tell, so a restarted process sends them. Times are UNIX seconds (floats) in the database and ISO
8601 UTC on the wire.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PENDING = "pending"
SUCCEEDED = "succeeded"
DECLINED = "declined"
EXPIRED = "expired"
FINAL = (SUCCEEDED, DECLINED, EXPIRED)

# Where the payer is on the hosted page while the payment is pending.
STAGE_CARD = "card"
STAGE_CHALLENGE = "challenge"
STAGE_PROCESSING = "processing"
STAGE_DONE = "done"

SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
  id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  request_hash TEXT NOT NULL,
  reference TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount > 0),
  currency TEXT NOT NULL,
  description TEXT NOT NULL,
  language TEXT NOT NULL,
  return_url TEXT NOT NULL,
  webhook_url TEXT NOT NULL,
  state TEXT NOT NULL,
  stage TEXT NOT NULL,
  send_webhook INTEGER NOT NULL DEFAULT 1,
  failure_code TEXT NOT NULL DEFAULT '',
  card_last4 TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  expires_at REAL NOT NULL,
  decided_at REAL
);
CREATE INDEX IF NOT EXISTS payments_pending ON payments (state, expires_at);
CREATE TABLE IF NOT EXISTS refunds (
  id TEXT PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  request_hash TEXT NOT NULL,
  payment_id TEXT NOT NULL REFERENCES payments (id),
  amount INTEGER NOT NULL CHECK (amount > 0),
  reason TEXT NOT NULL,
  state TEXT NOT NULL,
  created_at REAL NOT NULL,
  decided_at REAL
);
CREATE INDEX IF NOT EXISTS refunds_payment ON refunds (payment_id);
CREATE TABLE IF NOT EXISTS webhooks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  payment_id TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at REAL NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  created_at REAL NOT NULL,
  sent_at REAL
);
CREATE INDEX IF NOT EXISTS webhooks_due ON webhooks (state, next_at);
"""

# Webhook rows: queued (to send, possibly after a failed try), sent, dropped (fault control or
# the no-webhook test card: deliberately never sent), failed (gave up after max attempts).
HOOK_QUEUED = "queued"
HOOK_SENT = "sent"
HOOK_DROPPED = "dropped"
HOOK_FAILED = "failed"


class ApiError(Exception):
    """A refusal the API renders as problem+json: HTTP status, stable code, title, detail and
    field errors as (JSON pointer, detail)."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str = "",
        errors: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail or title}")
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.errors = errors or []


@dataclasses.dataclass
class Faults:
    """Fault control for tests (`POST /_control`): kept in memory, so a restart clears it."""

    delay_ms: int = 0  # every API answer and every webhook is sent this much later
    duplicate_webhooks: bool = False  # each webhook is sent twice (same event id)
    reorder_webhooks: bool = False  # after each final webhook, a stale "pending" one follows
    drop_webhooks: bool = False  # webhooks are never sent

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def iso(ts: float | None) -> str | None:
    """UNIX seconds as ISO 8601 UTC with a Z, as the API and webhooks say times."""
    if ts is None:
        return None
    moment = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def request_hash(body: dict[str, Any]) -> str:
    """A fingerprint of a request body: the same idempotency key with another body is refused."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def payment_json(row: sqlite3.Row, *, public_url: str) -> dict[str, Any]:
    """A payment as the API and the webhooks show it."""
    return {
        "id": row["id"],
        "reference": row["reference"],
        "state": row["state"],
        "amount": row["amount"],
        "currency": row["currency"],
        "description": row["description"],
        "language": row["language"],
        "created_at": iso(row["created_at"]),
        "decided_at": iso(row["decided_at"]),
        "expires_at": iso(row["expires_at"]),
        "failure_code": row["failure_code"],
        "next_url": f"{public_url}/pay/{row['id']}",
    }


def refund_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "payment_id": row["payment_id"],
        "amount": row["amount"],
        "reason": row["reason"],
        "state": row["state"],
        "created_at": iso(row["created_at"]),
        "decided_at": iso(row["decided_at"]),
    }


class Store:
    """The sandbox's database. One short connection per operation (threads of the HTTP server
    and the sender each get their own); writes are serialised by a lock and `BEGIN IMMEDIATE`."""

    def __init__(
        self,
        path: str | Path,
        *,
        public_url: str,
        page_timeout: float,
        timezone: str,
    ) -> None:
        self.path = str(path)
        self.public_url = public_url.rstrip("/")
        self.page_timeout = page_timeout
        self.zone = ZoneInfo(timezone)
        self.faults = Faults()
        self._lock = threading.Lock()
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            finally:
                conn.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    # -- payments ---------------------------------------------------------------------------

    def payment_create(self, *, key: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """A new pending payment for a checked `body`, or — the same idempotency key again — the
        payment made the first time (and False). The same key with another body is a 409."""
        fingerprint = request_hash(body)
        now = time.time()
        with self._write() as conn:
            row = conn.execute(
                "SELECT * FROM payments WHERE idempotency_key = ?", (key,)
            ).fetchone()
            if row is not None:
                if row["request_hash"] != fingerprint:
                    raise ApiError(
                        409,
                        "idempotency_key_reused",
                        "Idempotency key reused",
                        "This Idempotency-Key was used for a different payment request.",
                    )
                return payment_json(row, public_url=self.public_url), False
            payment_id = "pay_" + secrets.token_hex(12)
            conn.execute(
                "INSERT INTO payments (id, idempotency_key, request_hash, reference, amount,"
                " currency, description, language, return_url, webhook_url, state, stage,"
                " created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    payment_id,
                    key,
                    fingerprint,
                    body["reference"],
                    body["amount"],
                    body["currency"],
                    body["description"],
                    body["language"],
                    body["return_url"],
                    body["webhook_url"],
                    PENDING,
                    STAGE_CARD,
                    now,
                    now + self.page_timeout,
                ),
            )
            row = conn.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()
            return payment_json(row, public_url=self.public_url), True

    def payment_row(self, payment_id: str) -> sqlite3.Row | None:
        """The payment's row (after expiring it if its time is up), None when unknown."""
        self.expire_due()
        with self._read() as conn:
            return conn.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()

    def payment_get(self, payment_id: str) -> dict[str, Any]:
        row = self.payment_row(payment_id)
        if row is None:
            raise ApiError(404, "payment_not_found", "Payment not found", "No such payment.")
        return payment_json(row, public_url=self.public_url)

    def payment_stage(self, payment_id: str, *, stage: str, card_last4: str) -> bool:
        """Move a pending payment on the card stage to `stage` (challenge, processing); False
        when it is no longer there (decided, expired or already moved by another submission)."""
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE payments SET stage = ?, card_last4 = ? WHERE id = ? AND state = ?"
                " AND stage = ? AND expires_at > ?",
                (stage, card_last4, payment_id, PENDING, STAGE_CARD, time.time()),
            )
            return cur.rowcount == 1

    def payment_decide(
        self,
        payment_id: str,
        *,
        state: str,
        from_stage: str,
        failure_code: str = "",
        card_last4: str = "",
        send_webhook: bool = True,
    ) -> bool:
        """Decide a pending payment that is on `from_stage` — once: a second submission of the
        same page (a double click) finds it decided and changes nothing (False). The webhook
        telling the decision is queued in the same transaction."""
        now = time.time()
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE payments SET state = ?, stage = ?, failure_code = ?, decided_at = ?,"
                " send_webhook = ?, card_last4 = CASE WHEN ? = '' THEN card_last4 ELSE ? END"
                " WHERE id = ? AND state = ? AND stage = ? AND expires_at > ?",
                (
                    state,
                    STAGE_DONE,
                    failure_code,
                    now,
                    int(send_webhook),
                    card_last4,
                    card_last4,
                    payment_id,
                    PENDING,
                    from_stage,
                    now,
                ),
            )
            if cur.rowcount != 1:
                return False
            self._webhook_queue(conn, payment_id, now=now)
            return True

    def expire_due(self) -> int:
        """Pending payments whose page timed out become EXPIRED, each with its webhook."""
        now = time.time()
        with self._read() as conn:
            due = conn.execute(
                "SELECT 1 FROM payments WHERE state = ? AND expires_at <= ? LIMIT 1",
                (PENDING, now),
            ).fetchone()
        if due is None:
            return 0
        with self._write() as conn:
            ids = [
                r["id"]
                for r in conn.execute(
                    "SELECT id FROM payments WHERE state = ? AND expires_at <= ?", (PENDING, now)
                )
            ]
            for payment_id in ids:
                conn.execute(
                    "UPDATE payments SET state = ?, stage = ?, failure_code = ?, decided_at = ?"
                    " WHERE id = ?",
                    (EXPIRED, STAGE_DONE, "expired", now, payment_id),
                )
                self._webhook_queue(conn, payment_id, now=now)
            return len(ids)

    # -- webhooks ---------------------------------------------------------------------------

    def _webhook_queue(self, conn: sqlite3.Connection, payment_id: str, *, now: float) -> None:
        """Queue the webhook of a payment's final state, shaped by the fault control."""
        row = conn.execute("SELECT * FROM payments WHERE id = ?", (payment_id,)).fetchone()
        faults = self.faults
        dropped = faults.drop_webhooks or not row["send_webhook"]
        event = self._event(row, type_=f"payment.{row['state']}", created=now)
        copies = [event, event] if faults.duplicate_webhooks else [event]
        if faults.reorder_webhooks:
            # What a reordering queue delivers: the earlier "created" event after the final one.
            stale = dict(self._event(row, type_="payment.created", created=row["created_at"]))
            stale["payment"] = {
                **stale["payment"],
                "state": PENDING,
                "decided_at": None,
                "failure_code": "",
            }
            copies.append(stale)
        for body in copies:
            conn.execute(
                "INSERT INTO webhooks (event_id, payment_id, url, body, state, next_at,"
                " created_at) VALUES (?,?,?,?,?,?,?)",
                (
                    body["event_id"],
                    payment_id,
                    row["webhook_url"],
                    json.dumps(body, ensure_ascii=False, separators=(",", ":")),
                    HOOK_DROPPED if dropped else HOOK_QUEUED,
                    now,
                    now,
                ),
            )

    def _event(self, row: sqlite3.Row, *, type_: str, created: float) -> dict[str, Any]:
        payment = payment_json(row, public_url=self.public_url)
        return {
            "event_id": "evt_" + secrets.token_hex(12),
            "type": type_,
            "created": iso(created),
            "payment": payment,
        }

    def webhooks_due(self, *, limit: int = 20) -> list[sqlite3.Row]:
        with self._read() as conn:
            return conn.execute(
                "SELECT * FROM webhooks WHERE state = ? AND next_at <= ? ORDER BY seq LIMIT ?",
                (HOOK_QUEUED, time.time(), limit),
            ).fetchall()

    def webhook_sent(self, seq: int) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE webhooks SET state = ?, attempts = attempts + 1, sent_at = ?,"
                " last_error = '' WHERE seq = ?",
                (HOOK_SENT, time.time(), seq),
            )

    def webhook_failed(
        self,
        seq: int,
        *,
        error: str,
        backoff: float,
        backoff_max: float,
        max_attempts: int,
    ) -> None:
        """A try that failed: again after `backoff` × 2^(tries − 1) seconds (at most
        `backoff_max`), until `max_attempts` tries, then FAILED (visible in /_control)."""
        with self._write() as conn:
            row = conn.execute("SELECT attempts FROM webhooks WHERE seq = ?", (seq,)).fetchone()
            attempts = row["attempts"] + 1
            wait = min(backoff_max, backoff * 2 ** (attempts - 1))
            state = HOOK_FAILED if attempts >= max_attempts else HOOK_QUEUED
            conn.execute(
                "UPDATE webhooks SET attempts = ?, next_at = ?, last_error = ?, state = ?"
                " WHERE seq = ?",
                (attempts, time.time() + wait, error[:300], state, seq),
            )

    def webhook_counts(self) -> dict[str, int]:
        with self._read() as conn:
            rows = conn.execute("SELECT state, COUNT(*) AS n FROM webhooks GROUP BY state")
            return {r["state"]: r["n"] for r in rows}

    # -- refunds ----------------------------------------------------------------------------

    def refund_create(self, *, key: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Refund part or all of a succeeded payment, never more than was paid in total; the
        same idempotency key again returns the first refund (and False)."""
        fingerprint = request_hash(body)
        now = time.time()
        with self._write() as conn:
            row = conn.execute("SELECT * FROM refunds WHERE idempotency_key = ?", (key,)).fetchone()
            if row is not None:
                if row["request_hash"] != fingerprint:
                    raise ApiError(
                        409,
                        "idempotency_key_reused",
                        "Idempotency key reused",
                        "This Idempotency-Key was used for a different refund request.",
                    )
                return refund_json(row), False
            payment = conn.execute(
                "SELECT * FROM payments WHERE id = ?", (body["payment_id"],)
            ).fetchone()
            if payment is None:
                raise ApiError(
                    404,
                    "payment_not_found",
                    "Payment not found",
                    "No such payment.",
                    [("/payment_id", "No such payment.")],
                )
            if payment["state"] != SUCCEEDED:
                raise ApiError(
                    409,
                    "payment_not_refundable",
                    "Payment not refundable",
                    f"Only a succeeded payment can be refunded; this one is {payment['state']}.",
                )
            refunded = conn.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM refunds WHERE payment_id = ? AND state = ?",
                (payment["id"], SUCCEEDED),
            ).fetchone()[0]
            if refunded + body["amount"] > payment["amount"]:
                raise ApiError(
                    422,
                    "refund_exceeds_payment",
                    "Refund exceeds payment",
                    f"{payment['amount'] - refunded} can still be refunded of this payment.",
                    [("/amount", "More than what is left to refund.")],
                )
            refund_id = "ref_" + secrets.token_hex(12)
            conn.execute(
                "INSERT INTO refunds (id, idempotency_key, request_hash, payment_id, amount,"
                " reason, state, created_at, decided_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    refund_id,
                    key,
                    fingerprint,
                    payment["id"],
                    body["amount"],
                    body["reason"],
                    SUCCEEDED,
                    now,
                    now,
                ),
            )
            row = conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
            return refund_json(row), True

    def refund_get(self, refund_id: str) -> dict[str, Any]:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM refunds WHERE id = ?", (refund_id,)).fetchone()
        if row is None:
            raise ApiError(404, "refund_not_found", "Refund not found", "No such refund.")
        return refund_json(row)

    # -- settlement -------------------------------------------------------------------------

    def settlement(self, day: dt.date) -> dict[str, Any]:
        """The day's settled money (in the acquirer's time zone): each succeeded payment as a
        credit and each refund as a debit, with the day's net total."""
        start = dt.datetime.combine(day, dt.time(), tzinfo=self.zone).timestamp()
        end = dt.datetime.combine(
            day + dt.timedelta(days=1), dt.time(), tzinfo=self.zone
        ).timestamp()
        lines: list[dict[str, Any]] = []
        with self._read() as conn:
            for row in conn.execute(
                "SELECT * FROM payments WHERE state = ? AND decided_at >= ? AND decided_at < ?"
                " ORDER BY decided_at, id",
                (SUCCEEDED, start, end),
            ):
                lines.append(
                    {
                        "line_ref": f"{day.isoformat()}:{row['id']}",
                        "type": "payment",
                        "payment_id": row["id"],
                        "refund_id": None,
                        "reference": row["reference"],
                        "amount": row["amount"],
                        "currency": row["currency"],
                        "booked_at": iso(row["decided_at"]),
                    }
                )
            for row in conn.execute(
                "SELECT r.*, p.reference, p.currency FROM refunds r JOIN payments p"
                " ON p.id = r.payment_id WHERE r.state = ? AND r.decided_at >= ?"
                " AND r.decided_at < ? ORDER BY r.decided_at, r.id",
                (SUCCEEDED, start, end),
            ):
                lines.append(
                    {
                        "line_ref": f"{day.isoformat()}:{row['id']}",
                        "type": "refund",
                        "payment_id": row["payment_id"],
                        "refund_id": row["id"],
                        "reference": row["reference"],
                        "amount": -row["amount"],
                        "currency": row["currency"],
                        "booked_at": iso(row["decided_at"]),
                    }
                )
        return {
            "date": day.isoformat(),
            "timezone": str(self.zone),
            "currency": "KZT",
            "lines": lines,
            "total": sum(line["amount"] for line in lines),
        }
