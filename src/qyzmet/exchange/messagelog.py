"""The message log: every request and response that passes the gateway, append-only,
hash-chained, signed, and archivable to signed files that stay verifiable.

Chain: `entry_hash = SHA-256(prev_hash + "\\n" + canonical JSON of the entry's content)`; the
first entry's prev_hash is 64 zeros, or the last hash of the newest archive when older entries
were archived. Editing a row changes its hash; removing one breaks the next row's prev_hash.
Besides the chain, each entry keeps the sender's signature over its signed string
(signing.py), so verification also proves who sent what.

Writers serialise on the chain head: an advisory transaction lock on PostgreSQL; SQLite's
write lock (transactions start IMMEDIATE) does the same there.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from qyzmet.audit.services import audit_record

from . import signing
from .models import ClientKey, MessageLogArchive, MessageLogEntry

GENESIS = "0" * 64
ARCHIVE_FORMAT = "qyzmet-exchange-message-log/1"
# Any constant: the key of the advisory lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x5159_5A4D_4C4F47

HASHED_FIELDS = (
    "at", "direction", "request_id", "message_id", "client", "service", "method", "path",
    "user_id", "purpose", "status", "outcome", "body", "body_hash", "signed", "signature",
    "signer",
)  # fmt: skip


def _content(entry: dict[str, Any]) -> dict[str, Any]:
    out = {k: entry.get(k, "") for k in HASHED_FIELDS}
    at = out["at"]
    out["at"] = at.isoformat() if isinstance(at, dt.datetime) else str(at)
    out["status"] = int(out["status"] or 0)
    return out


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    canonical = json.dumps(_content(entry), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))  # fmt: skip
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _chain_start_for(first_id: int | None) -> str:
    """The prev_hash the oldest remaining row must carry."""
    qs = MessageLogArchive.objects.order_by("-last_id")
    if first_id is not None:
        qs = qs.filter(last_id__lt=first_id)
    last = qs.values_list("last_hash", flat=True).first()
    return last or GENESIS


def _head() -> str:
    last = MessageLogEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    return last or _chain_start_for(None)


def message_log_append(*, entries: list[dict[str, Any]]) -> list[MessageLogEntry]:
    """Append entries (dicts of the model's fields, without the hashes), chained in order."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        prev = _head()
        rows = []
        for entry in entries:
            entry = {**entry, "at": entry.get("at") or timezone.now()}
            h = entry_hash(prev, entry)
            rows.append(MessageLogEntry(**{k: entry.get(k, "") for k in HASHED_FIELDS},
                                        prev_hash=prev, entry_hash=h))  # fmt: skip
            prev = h
        return MessageLogEntry.objects.bulk_create(rows)


@dataclass
class Verification:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _signature_problem(row: dict[str, Any], keys: dict[str, Any]) -> str | None:
    """None when the entry's signature is good (or it has none, e.g. a rejected request)."""
    if not row.get("signature") or row.get("signer", "").startswith("rejected:"):
        return None
    key = keys.get(row.get("signer", ""))
    if key is None:
        return "signed with an unknown key"
    if not signing.verify(key, row.get("signed", ""), row["signature"]):
        return "signature does not verify"
    if row.get("body_hash") and row["body_hash"] not in row.get("signed", "").split("\n"):
        return "body hash is not the signed one"
    body = row.get("body", "")
    if body and signing.body_hash(body.encode()) != row.get("body_hash"):
        return "body does not match its hash"
    return None


def _verification_keys() -> dict[str, Any]:
    keys: dict[str, Any] = {
        k: signing.public_key_load(pem)
        for k, pem in ClientKey.objects.values_list("key_id", "public_pem")
    }
    gateway = signing.gateway_signer()
    keys[gateway.key_id] = gateway.public
    return keys


def _verify_rows(rows: Iterable[dict[str, Any]], start: str, result: Verification,
                 keys: dict[str, Any], where: str) -> str:  # fmt: skip
    expected = start
    for row in rows:
        result.checked += 1
        ident = f"{where}entry {row['id']}"
        if row["prev_hash"] != expected:
            result.problems.append(
                f"{ident}: chain broken (an entry before it was removed or altered)"
            )
        if entry_hash(row["prev_hash"], row) != row["entry_hash"]:
            result.problems.append(f"{ident}: content altered (hash does not match)")
        problem = _signature_problem(row, keys)
        if problem:
            result.problems.append(f"{ident}: {problem}")
        expected = row["entry_hash"]
    return expected


def _db_rows() -> Iterator[dict[str, Any]]:
    fields = ("id", "prev_hash", "entry_hash", *HASHED_FIELDS)
    yield from MessageLogEntry.objects.order_by("id").values(*fields).iterator(chunk_size=2000)


def message_log_verify(*, archives: list[Path] | None = None) -> Verification:
    """Check the chain and signatures of the log in the database, and of archive files."""
    result = Verification()
    keys = _verification_keys()
    for archive in archives or []:
        archive_verify(path=archive, result=result, keys=keys)
    first = MessageLogEntry.objects.order_by("id").values_list("id", flat=True).first()
    _verify_rows(_db_rows(), _chain_start_for(first), result, keys, "")
    return result


def _signature_path(path: Path) -> Path:
    return path.with_name(path.name + ".sig")


def archive_verify(*, path: Path, result: Verification | None = None,
                   keys: dict[str, Any] | None = None) -> Verification:  # fmt: skip
    """A signed archive: the detached signature over the file, then the chain inside it."""
    result = result or Verification()
    keys = keys if keys is not None else _verification_keys()
    where = f"{path.name}: "
    try:
        raw = path.read_bytes()
        sig = json.loads(_signature_path(path).read_text())
    except (OSError, ValueError) as exc:
        result.problems.append(f"{where}cannot read the archive or its signature ({exc})")
        return result
    key = keys.get(sig.get("key_id", ""))
    if key is None:
        result.problems.append(f"{where}signed with an unknown key")
    elif not signing.verify(key, raw, sig.get("signature", "")):
        result.problems.append(f"{where}the archive's signature does not verify")
    lines = raw.decode().splitlines()
    if not lines:
        result.problems.append(f"{where}empty archive")
        return result
    header = json.loads(lines[0])
    rows = [json.loads(line) for line in lines[1:]]
    last = _verify_rows(rows, header.get("first_prev_hash", ""), result, keys, where)
    if last != header.get("last_hash") or len(rows) != header.get("entries"):
        result.problems.append(f"{where}entries missing (header and content disagree)")
    known = MessageLogArchive.objects.filter(first_id=header.get("first_id")).first()
    if known is not None and known.last_hash != header.get("last_hash"):
        result.problems.append(f"{where}does not match the archive recorded in the database")
    return result


@transaction.atomic
def message_log_archive(*, actor: Any | None, before: dt.datetime, out: Path
                        ) -> MessageLogArchive | None:  # fmt: skip
    """Move the entries older than `before` (a prefix of the chain) to a signed file
    `out` (JSON lines: a header, then one entry a line) with a detached signature `out.sig`,
    then delete them from the table. Refuses when the log does not verify."""
    last_id = (
        MessageLogEntry.objects.filter(at__lt=before).order_by("-id")
        .values_list("id", flat=True).first()
    )  # fmt: skip
    if last_id is None:
        return None
    check = message_log_verify()
    if not check.ok:
        raise ValueError("the message log does not verify: " + "; ".join(check.problems[:5]))
    fields = ("id", "prev_hash", "entry_hash", *HASHED_FIELDS)
    rows = list(MessageLogEntry.objects.filter(id__lte=last_id).order_by("id").values(*fields))
    for row in rows:
        row["at"] = row["at"].isoformat()
    header = {
        "format": ARCHIVE_FORMAT, "first_id": rows[0]["id"], "last_id": rows[-1]["id"],
        "first_prev_hash": rows[0]["prev_hash"], "last_hash": rows[-1]["entry_hash"],
        "entries": len(rows), "created_at": timezone.now().isoformat(),
    }  # fmt: skip
    lines = [json.dumps(header, sort_keys=True, ensure_ascii=False)]
    lines += [json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in rows]
    raw = ("\n".join(lines) + "\n").encode()
    signer = signing.gateway_signer()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(raw)
    _signature_path(out).write_text(json.dumps({
        "format": ARCHIVE_FORMAT, "algorithm": signing.algorithm_of(signer.key),
        "key_id": signer.key_id, "public_key": signing.public_pem(signer.key),
        "sha256": hashlib.sha256(raw).hexdigest(), "signature": signer.sign(raw),
    }, indent=2))  # fmt: skip
    archive = MessageLogArchive.objects.create(
        first_id=header["first_id"], last_id=header["last_id"],
        first_prev_hash=header["first_prev_hash"], last_hash=header["last_hash"],
        entries=len(rows), file_name=str(out), file_sha256=hashlib.sha256(raw).hexdigest(),
    )  # fmt: skip
    # The triggers allow deleting exactly the rows an archive record covers.
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM exchange_messagelogentry WHERE id BETWEEN %s AND %s",
            [header["first_id"], header["last_id"]],
        )
    audit_record(
        actor=actor, kind="change", action="exchange.message_log.archived",
        object_type="exchange_archive", object_id=archive.pk,
        data={"file": str(out), "entries": len(rows), "last_hash": header["last_hash"]},
    )  # fmt: skip
    return archive
