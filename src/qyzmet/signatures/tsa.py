"""The platform's RFC 3161 time-stamping authority.

`tsa_respond` turns a TimeStampReq into a TimeStampResp signed with the TSA certificate (EKU
timeStamping, critical); `PlatformTimeStamper` exposes the same authority to pyHanko in-process,
so sealing a PDF does not make an HTTP call to ourselves. The HTTP endpoint (`POST /pki/tsa`,
`application/timestamp-query`) serves any other client, e.g. `openssl ts -query`.
"""

from __future__ import annotations

import datetime as dt
import secrets

from asn1crypto import algos, cms, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.sign.timestamps.api import TimeStamper

from .cms import cms_sign

# A UUID-derived OID (ITU-T X.667, arc 2.25): ours without registration. Names the TSA policy.
TSA_POLICY_OID = "2.25.329800735698586629295641978511506172918"
ACCEPTED_DIGESTS = {"sha256": 32, "sha384": 48, "sha512": 64}


def _der_sequence(content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        header = bytes([length])
    else:
        raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
        header = bytes([0x80 | len(raw)]) + raw
    return b"\x30" + header + content


def tsa_rejection(failure: str, text: str = "") -> bytes:
    """A DER TimeStampResp carrying only a rejection status. (asn1crypto's TimeStampResp
    declares the token mandatory, so the SEQUENCE is assembled here.)"""
    status: dict = {"status": "rejection", "fail_info": tsp.PKIFailureInfo({failure})}
    if text:
        status["status_string"] = [text]
    return _der_sequence(tsp.PKIStatusInfo(status).dump())


class TsaRejected(Exception):
    def __init__(self, failure: str, text: str):
        super().__init__(text)
        self.der = tsa_rejection(failure, text)


def tsa_respond(
    *,
    request: tsp.TimeStampReq,
    tsa_key,
    tsa_cert: asn1_x509.Certificate,
    chain: list[asn1_x509.Certificate],
    now: dt.datetime | None = None,
) -> tsp.TimeStampResp:
    imprint = request["message_imprint"]
    algorithm = imprint["hash_algorithm"]["algorithm"].native
    if algorithm not in ACCEPTED_DIGESTS:
        raise TsaRejected("bad_alg", f"unsupported hash algorithm {algorithm}")
    if len(imprint["hashed_message"].native) != ACCEPTED_DIGESTS[algorithm]:
        raise TsaRejected("bad_data_format", "the hash has the wrong length")
    policy = request["req_policy"].native
    if policy is not None and policy != TSA_POLICY_OID:
        raise TsaRejected("unaccepted_policy", "unknown policy")
    now = now or dt.datetime.now(dt.UTC)
    info = {
        "version": "v1",
        "policy": TSA_POLICY_OID,
        "message_imprint": {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
            "hashed_message": imprint["hashed_message"].native,
        },
        "serial_number": secrets.randbits(127),
        "gen_time": now,
        "accuracy": {"seconds": 1},
        "tsa": asn1_x509.GeneralName({"directory_name": tsa_cert.subject}),
    }
    if request["nonce"].native is not None:
        info["nonce"] = request["nonce"].native
    tst_info = tsp.TSTInfo(info)
    # certReq false means "do not include the certificate"; we honour it (RFC 3161 §2.4.1).
    include = bool(request["cert_req"].native)
    token_der = cms_sign(
        data=tst_info.dump(),
        private_key=tsa_key,
        cert=tsa_cert,
        chain=chain,
        signing_time=now,
        detached=False,
        content_type="tst_info",
        include_certificates=include,
    )
    token = cms.ContentInfo.load(token_der)
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})


class PlatformTimeStamper(TimeStamper):
    """pyHanko's view of our TSA: the same `tsa_respond`, without a network round trip."""

    def __init__(
        self, *, tsa_key, tsa_cert: asn1_x509.Certificate, chain: list[asn1_x509.Certificate]
    ):
        super().__init__(include_nonce=True)
        self._key = tsa_key
        self._cert = tsa_cert
        self._chain = chain

    def tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsa_respond(request=req, tsa_key=self._key, tsa_cert=self._cert, chain=self._chain)

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self.tsa_response(req)
