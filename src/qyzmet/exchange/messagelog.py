"""The message log: every request and response that passes the gateway, append-only, signed,
sealed into a hash chain, and archivable to signed files that stay verifiable.

Writing (the hot path): both messages of an exchange are one INSERT of two rows. Each row's
`entry_hash` is SHA-256 over its canonical content (`prev_hash` is "" for new rows), and each
row keeps the sender's signature over its signed string (signing.py). No chain head is read and
no lock is taken, so concurrent writers do not queue behind each other.

Sealing (`message_log_seal`): links the not yet sealed entries, in id order, into a seal: the
seal lists their ids, hashes "<id>:<entry_hash>" lines into a digest, chains to the previous
seal's hash and is signed by the gateway key. It runs after every `QYZMET_EXCHANGE_SEAL_EVERY`
appends of a process (after that transaction commits), from `qyzmet seal_message_log` (cron /
Celery beat), before `verify_message_log` and before archiving. An entry whose transaction
commits after a seal was made past its id (a long transaction) is not lost: it sits in a "gap"
of that seal and the next seal picks it up ("late" entries).

What verification (`message_log_verify`) guarantees (docs/exchange.md says it in full):
* every entry, sealed or not: its columns are compared with what was signed (logcheck.py) —
  the client's signed request, the gateway's signed response, and the pair's link (the
  response signs the hash of the request's signed text) — so an edit of client, service, end
  user, purpose, status, hashes, times, message ids or outcome is reported naming the entry and
  the column, even with `entry_hash` recomputed; a request or response whose partner is gone
  is reported too; and `entry_hash` must match the row;
* sealed entries: besides, removing one or moving it to another id breaks its seal's digest;
  removing, editing or reordering a seal breaks the chain or the gateway's signature. Removing
  the newest seals together with their entries is detected only against an archive or an
  earlier verification report that recorded the newer seal hash; removing a whole unsealed
  exchange (both rows) is refused by the triggers but not detectable afterwards: that is the
  window sealing closes, and why `verify_message_log` seals first.

Sealing runs the same per-entry check first and refuses an inconsistent entry: it seals the
consistent entries before it, then raises `MessageLogInconsistent` naming it; nothing past it
is sealed until the entry is dealt with (an operator's decision: see docs/exchange.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from qyzmet.audit.services import audit_record

from . import conf, logcheck, signing
from .models import ClientKey, MessageLogArchive, MessageLogEntry, MessageLogSeal

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
ARCHIVE_FORMAT = "qyzmet-exchange-message-log/2"
# Any constant: the key of the advisory lock that lets one sealer run at a time (PostgreSQL).
_PG_SEAL_LOCK = 0x5159_5A4D_5345414C

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


_COLUMNS = (*HASHED_FIELDS, "prev_hash", "entry_hash")
_INSERT_HEAD = (
    f"INSERT INTO exchange_messagelogentry ({', '.join(_COLUMNS)}) VALUES "  # noqa: S608
)
_ROW_PLACEHOLDERS = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"


def message_log_append(*, entries: list[dict[str, Any]]) -> None:
    """Append entries (dicts of the model's fields, without the hashes) in one INSERT
    (one statement, no ORM: this runs on every exchange)."""
    now = timezone.now()
    params: list[Any] = []
    for entry in entries:
        entry = {**entry, "at": entry.get("at") or now}
        values = {k: entry.get(k, "") for k in HASHED_FIELDS}
        values["status"] = int(values["status"] or 0)
        values["prev_hash"], values["entry_hash"] = "", entry_hash("", values)
        values["at"] = connection.ops.adapt_datetimefield_value(values["at"])
        params += [values[k] for k in _COLUMNS]
    sql = _INSERT_HEAD + ", ".join([_ROW_PLACEHOLDERS] * len(entries))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    _appended(len(entries))


_since_seal = 0


def _appended(n: int) -> None:
    """Every SEAL_EVERY entries this process wrote, seal once the transaction has committed."""
    global _since_seal
    every = conf.seal_every()
    if every <= 0:
        return
    _since_seal += n
    if _since_seal >= every:
        _since_seal = 0
        transaction.on_commit(_seal_quietly)


def _seal_quietly() -> None:
    try:
        message_log_seal(grace_seconds=conf.seal_grace_seconds())
    except MessageLogInconsistent as exc:  # the alarm: sealing stays stopped at that entry
        logger.error("the message log is inconsistent: %s", exc)
    except Exception:  # sealing is retried by the next run; never fail the caller for it
        logger.exception("sealing the message log failed")


# --- seals ------------------------------------------------------------------------------------


def ranges_format(ids: list[int]) -> str:
    """Sorted ids as "1-5,7,9-12"."""
    out: list[str] = []
    start: int | None = None
    prev = 0  # read only once `start` is set, and then it is the last id of the run
    for i in ids:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}-{prev}" if start != prev else str(start))
            start = prev = i
    if start is not None:
        out.append(f"{start}-{prev}" if start != prev else str(start))
    return ",".join(out)


def ranges_parse(text: str) -> list[tuple[int, int]]:
    out = []
    for part in filter(None, text.split(",")):
        a, _, b = part.partition("-")
        out.append((int(a), int(b or a)))
    return out


def ranges_ids(text: str) -> Iterator[int]:
    for a, b in ranges_parse(text):
        yield from range(a, b + 1)


def seal_digest(pairs: Iterable[tuple[int, str]]) -> str:
    h = hashlib.sha256()
    for ident, ehash in pairs:
        h.update(f"{ident}:{ehash}\n".encode())
    return h.hexdigest()


SEAL_FIELDS = ("created_at", "first_id", "last_id", "ranges", "entries", "digest", "key_id")


def seal_hash(prev_hash: str, seal: dict[str, Any]) -> str:
    content = {k: seal[k] for k in SEAL_FIELDS}
    at = content["created_at"]
    content["created_at"] = at.isoformat() if isinstance(at, dt.datetime) else str(at)
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _gaps(seals: list[MessageLogSeal]) -> list[tuple[int, int]]:
    """Id intervals inside recent seals' spans that none of them covers."""
    covered = sorted(r for s in seals for r in ranges_parse(s.ranges))
    gaps, edge = [], None
    for a, b in covered:
        if edge is not None and a > edge + 1:
            gaps.append((edge + 1, a - 1))
        edge = b if edge is None else max(edge, b)
    return gaps[-200:]


_ROW_FIELDS = ("id", "prev_hash", "entry_hash", *HASHED_FIELDS)


class MessageLogInconsistent(ValueError):
    """Sealing refused: an entry disagrees with what was signed (or with its partner). The
    consistent entries before it were sealed (`sealed`); nothing after it was."""

    def __init__(self, *, problems: list[str], sealed: MessageLogSeal | None) -> None:
        self.problems, self.sealed = problems, sealed
        done = f"sealed {sealed.entries} entries up to {sealed.last_id}; " if sealed else ""
        super().__init__(f"sealing refused, {done}nothing after the inconsistent entry is "
                         "sealed: " + "; ".join(problems[:10]))  # fmt: skip


def _window_problems(rows: list[dict[str, Any]], keys: logcheck.VerificationKeys
                     ) -> dict[int, list[str]]:  # fmt: skip
    """id → problems for the rows about to be sealed: each on its own and with its partner
    (looked up outside the window when it is not in it, e.g. sealed earlier)."""
    bad: dict[int, list[str]] = {}
    pairs = logcheck.Pairs()
    for row in rows:
        bad.setdefault(row["id"], []).extend(entry_problems(row, keys))
        for r, problem in pairs.add(row):
            bad.setdefault(r["id"], []).append(problem)
    in_window = {row["id"] for row in rows}
    wanted = sorted({row["request_id"] for row, _ in pairs.unmatched()})
    for i in range(0, len(wanted), 500):
        for row in MessageLogEntry.objects.filter(request_id__in=wanted[i:i + 500]).order_by(
                "id").values(*_ROW_FIELDS):  # fmt: skip
            if row["id"] not in in_window:
                for r, problem in pairs.add(row):
                    bad.setdefault(r["id"], []).append(problem)
    for row, problem in pairs.unmatched():
        if row["id"] in in_window:
            bad.setdefault(row["id"], []).append(problem)
    return {i: p for i, p in bad.items() if p and i in in_window}


def _whole_pairs(rows: list[dict[str, Any]], among: list[dict[str, Any]]
                 ) -> list[dict[str, Any]]:  # fmt: skip
    """`rows` without those whose partner is in `among` (the window) but not in `rows`: the
    two messages of an exchange go into one seal, so an archive never splits them."""
    kept = {row["id"] for row in rows}
    partners: dict[str, list[int]] = {}
    for row in among:
        partners.setdefault(row["request_id"], []).append(row["id"])
    return [r for r in rows if all(i in kept for i in partners[r["request_id"]])]


def message_log_seal(*, grace_seconds: float = 0.0, before: dt.datetime | None = None,
                     limit: int = 50_000) -> MessageLogSeal | None:  # fmt: skip
    """Seal the committed entries no seal covers yet (older than `grace_seconds`, and than
    `before` when given), after checking each against what was signed (`entry_problems`, and
    its request/response partner). Returns the new seal, or None when there was nothing.
    Raises `MessageLogInconsistent` when an entry fails: the entries before it are sealed
    (whole exchanges only), it and everything after it are not."""
    with transaction.atomic():
        if connection.vendor == "postgresql":  # one sealer at a time; writers never wait
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_SEAL_LOCK])
        recent = list(MessageLogSeal.objects.order_by("-id")[:20])
        last = recent[0] if recent else None
        cutoff = timezone.now() - dt.timedelta(seconds=grace_seconds)
        if before is not None:
            cutoff = min(cutoff, before)
        window = Q(id__gt=last.last_id) if last else Q()
        for a, b in _gaps(recent):
            window |= Q(id__range=(a, b))
        rows = list(
            MessageLogEntry.objects.filter(window, at__lt=cutoff).order_by("id")
            .values(*_ROW_FIELDS)[:limit]
        )  # fmt: skip
        if len(rows) == limit:  # the partner of the last rows may lie beyond the limit
            counts = Counter(r["request_id"] for r in rows)
            while rows and counts[rows[-1]["request_id"]] == 1:
                rows.pop()
        bad = _window_problems(rows, _verification_keys())
        good = [r for r in rows if not bad or r["id"] < min(bad)]
        good = _whole_pairs(good, rows)
        seal = _seal_write(good, last) if good else None
    if bad:
        raise MessageLogInconsistent(
            problems=[f"entry {i}: {p}" for i in sorted(bad) for p in bad[i]], sealed=seal)
    return seal


def _seal_write(rows: list[dict[str, Any]], last: MessageLogSeal | None) -> MessageLogSeal:
    signer = signing.gateway_signer()
    seal = {
        "created_at": timezone.now(), "first_id": rows[0]["id"], "last_id": rows[-1]["id"],
        "ranges": ranges_format([r["id"] for r in rows]), "entries": len(rows),
        "digest": seal_digest((r["id"], r["entry_hash"]) for r in rows),
        "key_id": signer.key_id,
    }  # fmt: skip
    prev = last.seal_hash if last else GENESIS
    sh = seal_hash(prev, seal)
    return MessageLogSeal.objects.create(**seal, prev_hash=prev, seal_hash=sh,
                                         signature=signer.sign(sh))  # fmt: skip


@dataclass
class Verification:
    checked: int = 0
    seals: int = 0
    unsealed: int = 0  # entries no seal covers yet (see the module's docstring)
    head: str = ""  # the newest seal's hash: keep it elsewhere, give it back as `heads`
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _verification_keys() -> logcheck.VerificationKeys:
    """Every client key ever registered (revoked ones too: old entries were signed with them)
    with its subsystem, and the gateway's key."""
    keys = logcheck.VerificationKeys()
    for key_id, pem, owner in ClientKey.objects.values_list(
        "key_id", "public_pem", "subsystem__xroad_id"
    ):  # fmt: skip
        keys.public[key_id], keys.owner[key_id] = signing.public_key_load(pem), owner
    gateway = signing.gateway_signer()
    keys.public[gateway.key_id], keys.owner[gateway.key_id] = gateway.public, logcheck.GATEWAY
    return keys


def entry_problems(row: dict[str, Any], keys: logcheck.VerificationKeys) -> list[str]:
    """What is wrong with one entry on its own: its hash, its signature, and every column
    against its signed text (logcheck.py). The pair check comes on top (logcheck.Pairs)."""
    out = [] if entry_hash(row["prev_hash"], row) == row["entry_hash"] else [
        "content altered (hash does not match)"]  # fmt: skip
    return out + logcheck.entry_problems(row, keys)


def _check_entry(row: dict[str, Any], result: Verification, keys: logcheck.VerificationKeys,
                 where: str, pairs: logcheck.Pairs) -> None:  # fmt: skip
    result.checked += 1
    for problem in entry_problems(row, keys):
        result.problems.append(f"{where}entry {row['id']}: {problem}")
    for bad, problem in pairs.add({**row, "where": where}):
        result.problems.append(f"{bad['where']}entry {bad['id']}: {problem}")


def _check_unmatched(pairs: logcheck.Pairs, result: Verification) -> None:
    for bad, problem in pairs.unmatched():
        result.problems.append(f"{bad['where']}entry {bad['id']}: {problem}")


def _check_seals(seals: list[dict[str, Any]], hashes: dict[int, str], start: str,
                 result: Verification, keys: logcheck.VerificationKeys, where: str,
                 archived: Set[int] = frozenset()) -> set[int]:  # fmt: skip
    """The seal chain from `start`, and each seal's digest over the entry hashes it lists
    (`hashes`: id → entry_hash of the entries present). Returns the ids sealed."""
    expected, sealed = start, set()
    for seal in seals:
        result.seals += 1
        ident = f"{where}seal {seal['id']}"
        if seal["prev_hash"] != expected:
            result.problems.append(f"{ident}: seal chain broken (a seal before it was removed "
                                   "or altered)")  # fmt: skip
        if seal_hash(seal["prev_hash"], seal) != seal["seal_hash"]:
            result.problems.append(f"{ident}: seal altered (hash does not match)")
        key = keys.public.get(seal["key_id"])
        if key is None or not signing.verify(key, seal["seal_hash"], seal["signature"]):
            result.problems.append(f"{ident}: the gateway's signature does not verify")
        ids = list(ranges_ids(seal["ranges"]))
        sealed.update(ids)
        expected = seal["seal_hash"]
        if seal["id"] in archived:
            continue
        missing = [i for i in ids if i not in hashes]
        if missing:
            result.problems.append(f"{ident}: sealed entries removed: "
                                   f"{ranges_format(missing)}")  # fmt: skip
        elif len(ids) != seal["entries"] or seal_digest(
            (i, hashes[i]) for i in ids
        ) != seal["digest"]:  # fmt: skip
            result.problems.append(f"{ident}: sealed entries altered, replaced or reordered "
                                   "(digest does not match)")  # fmt: skip
    return sealed


_SEAL_VALUES = ("id", "prev_hash", "seal_hash", "signature", *SEAL_FIELDS)


def _archived_seal_ids() -> set[int]:
    last_hashes = set(MessageLogArchive.objects.values_list("last_hash", flat=True))
    if not last_hashes:
        return set()
    upto = MessageLogSeal.objects.filter(seal_hash__in=last_hashes).order_by("-id").first()
    return set() if upto is None else set(
        MessageLogSeal.objects.filter(id__lte=upto.id).values_list("id", flat=True))


def message_log_verify(*, archives: list[Path] | None = None,
                       heads: Iterable[str] = ()) -> Verification:  # fmt: skip
    """Check every entry (its hash, its signature, each column against its signed text, its
    request/response partner), the seal chain, and that each seal's entries are all there
    unchanged; and the same for archive files (a pair split between an archive and the
    database is matched across them). Read-only: call `message_log_seal` first to shrink the
    unsealed tail. `heads`: seal hashes an earlier verification reported (`head`); each must
    still be in the chain, else seals were cut off its end."""
    result = Verification()
    keys = _verification_keys()
    pairs = logcheck.Pairs()
    for archive in archives or []:
        archive_verify(path=archive, result=result, keys=keys, pairs=pairs)
    hashes: dict[int, str] = {}
    for row in MessageLogEntry.objects.order_by("id").values(*_ROW_FIELDS).iterator(2000):
        _check_entry(row, result, keys, "", pairs)
        hashes[row["id"]] = row["entry_hash"]
    _check_unmatched(pairs, result)
    seals = list(MessageLogSeal.objects.order_by("id").values(*_SEAL_VALUES))
    sealed = _check_seals(seals, hashes, GENESIS, result, keys, "", _archived_seal_ids())
    result.unsealed = sum(1 for i in hashes if i not in sealed)
    result.head = seals[-1]["seal_hash"] if seals else ""
    chain = {seal["seal_hash"] for seal in seals}
    for head in heads:
        if head not in chain:
            result.problems.append(f"seal {head}: reported by an earlier verification, now "
                                   "gone (seals removed from the end of the chain)")  # fmt: skip
    return result


def _signature_path(path: Path) -> Path:
    return path.with_name(path.name + ".sig")


def archive_verify(*, path: Path, result: Verification | None = None,
                   keys: logcheck.VerificationKeys | None = None,
                   pairs: logcheck.Pairs | None = None) -> Verification:  # fmt: skip
    """A signed archive: the detached signature over the file, then its entries and seals.
    With `pairs` given, entries whose partner is not in the file wait there for the caller."""
    result = result or Verification()
    keys = keys if keys is not None else _verification_keys()
    own_pairs = pairs is None
    pairs = pairs if pairs is not None else logcheck.Pairs()
    where = f"{path.name}: "
    try:
        raw = path.read_bytes()
        sig = json.loads(_signature_path(path).read_text())
    except (OSError, ValueError) as exc:
        result.problems.append(f"{where}cannot read the archive or its signature ({exc})")
        return result
    key = keys.public.get(sig.get("key_id", ""))
    if key is None:
        result.problems.append(f"{where}signed with an unknown key")
    elif not signing.verify(key, raw, sig.get("signature", "")):
        result.problems.append(f"{where}the archive's signature does not verify")
    lines = raw.decode().splitlines()
    if not lines:
        result.problems.append(f"{where}empty archive")
        return result
    header = json.loads(lines[0])
    if header.get("format") != ARCHIVE_FORMAT:
        result.problems.append(f"{where}unknown format {header.get('format')!r}")
        return result
    seals, hashes, count = [], {}, 0
    for line in lines[1:]:
        item = json.loads(line)
        if "seal" in item:
            seals.append(item["seal"])
        else:
            _check_entry(item, result, keys, where, pairs)
            hashes[item["id"]] = item["entry_hash"]
            count += 1
    if own_pairs:
        _check_unmatched(pairs, result)
    _check_seals(seals, hashes, header.get("first_prev_hash", ""), result, keys, where)
    if (not seals or seals[-1]["seal_hash"] != header.get("last_hash")
            or count != header.get("entries")):  # fmt: skip
        result.problems.append(f"{where}entries or seals missing (header and content disagree)")
    known = MessageLogArchive.objects.filter(first_id=header.get("first_id")).first()
    if known is not None and known.last_hash != header.get("last_hash"):
        result.problems.append(f"{where}does not match the archive recorded in the database")
    return result


@transaction.atomic
def message_log_archive(*, actor: Any | None, before: dt.datetime, out: Path
                        ) -> MessageLogArchive | None:  # fmt: skip
    """Move whole seals whose entries are all older than `before` — with their entries — to a
    signed file `out` (JSON lines: a header, the seals, then one entry a line) with a detached
    signature `out.sig`, then delete those entries from the table (seals stay: the chain in the
    database still starts at the first seal). Seals first; refuses when the log does not
    verify."""
    message_log_seal(before=before)
    check = message_log_verify()
    if not check.ok:
        raise ValueError("the message log does not verify: " + "; ".join(check.problems[:5]))
    done = _archived_seal_ids()
    seals, ids = [], []
    for seal in MessageLogSeal.objects.order_by("id").values(*_SEAL_VALUES):
        if seal["id"] in done:
            continue
        seal_ids = list(ranges_ids(seal["ranges"]))
        newest = MessageLogEntry.objects.filter(id__in=seal_ids[-1:]).values_list(
            "at", flat=True).first()  # fmt: skip
        if newest is None or newest >= before:
            break
        if MessageLogEntry.objects.filter(id__in=seal_ids, at__gte=before).exists():
            break
        seals.append(seal)
        ids += seal_ids
    if not seals:
        return None
    rows = list(MessageLogEntry.objects.filter(id__in=ids).order_by("id").values(*_ROW_FIELDS))
    for item in (*rows, *seals):
        for k in ("at", "created_at"):
            if k in item and isinstance(item[k], dt.datetime):
                item[k] = item[k].isoformat()
    header = {
        "format": ARCHIVE_FORMAT, "first_id": min(ids), "last_id": max(ids),
        "first_seal": seals[0]["id"], "last_seal": seals[-1]["id"],
        "first_prev_hash": seals[0]["prev_hash"], "last_hash": seals[-1]["seal_hash"],
        "entries": len(rows), "created_at": timezone.now().isoformat(),
    }  # fmt: skip
    lines = [json.dumps(header, sort_keys=True, ensure_ascii=False)]
    lines += [json.dumps({"seal": s}, sort_keys=True, ensure_ascii=False) for s in seals]
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
    # The triggers allow deleting exactly the rows an archive record's id span covers; we
    # delete only the archived seals' own entries (a late entry in a gap stays, sealed later).
    with connection.cursor() as cursor:
        for a, b in ranges_parse(ranges_format(sorted(ids))):
            cursor.execute(
                "DELETE FROM exchange_messagelogentry WHERE id BETWEEN %s AND %s", [a, b]
            )
    audit_record(
        actor=actor, kind="change", action="exchange.message_log.archived",
        object_type="exchange_archive", object_id=archive.pk,
        data={"file": str(out), "entries": len(rows), "last_hash": header["last_hash"]},
    )  # fmt: skip
    return archive
