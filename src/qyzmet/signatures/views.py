"""Public PKI endpoints under /pki/: CA certificates, CRLs, the OCSP responder and the TSA.

They are anonymous and unauthenticated by design: relying parties (openssl, Adobe, NCALayer,
other states' validators) must reach them without an account. They take no CSRF token because
they are machine protocols with their own binary content types and change nothing."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import unquote

from asn1crypto import tsp
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .authority import PkiNotInitialised
from .selectors import ca_certificate_der, crl_der, ocsp_respond
from .services import timestamper
from .tsa import TsaRejected, tsa_rejection

OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"
TS_QUERY = "application/timestamp-query"
TS_REPLY = "application/timestamp-reply"
MAX_BODY = 64 * 1024


def _not_found() -> HttpResponse:
    return HttpResponse(b"no such CA\n", status=404, content_type="text/plain")


@require_GET
def ca_certificate(request: HttpRequest, ca_code: str) -> HttpResponse:
    try:
        der = ca_certificate_der(ca_code=ca_code)
    except PkiNotInitialised:
        return _not_found()
    return HttpResponse(der, content_type="application/pkix-cert")


@require_GET
def crl(request: HttpRequest, ca_code: str) -> HttpResponse:
    try:
        der = crl_der(ca_code=ca_code)
    except PkiNotInitialised:
        return _not_found()
    response = HttpResponse(der, content_type="application/pkix-crl")
    response["Cache-Control"] = "max-age=60"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def ocsp(request: HttpRequest, encoded: str = "") -> HttpResponse:
    """RFC 6960 §A.1: POST with the DER request as body, or GET with it base64 (then URL-
    encoded) as the last path segment."""
    if request.method == "POST":
        if request.content_type != OCSP_REQUEST:
            return HttpResponse(status=415)
        body = request.body[: MAX_BODY + 1]
        if len(body) > MAX_BODY:
            return HttpResponse(status=413)
    else:
        try:
            body = base64.b64decode(unquote(encoded), validate=True)
        except (binascii.Error, ValueError):
            body = b""
    return HttpResponse(ocsp_respond(request_der=body), content_type=OCSP_RESPONSE)


@csrf_exempt
@require_POST
def tsa(request: HttpRequest) -> HttpResponse:
    """RFC 3161 §3.4 time-stamp protocol over HTTP."""
    if request.content_type != TS_QUERY:
        return HttpResponse(status=415)
    if len(request.body) > MAX_BODY:
        return HttpResponse(status=413)
    try:
        query = tsp.TimeStampReq.load(request.body, strict=True)
        query.native  # noqa: B018 - parse fully now
        stamper = timestamper()
        reply = stamper.tsa_response(query).dump()
    except PkiNotInitialised:
        return _not_found()
    except TsaRejected as rejected:
        reply = rejected.der
    except Exception:  # a malformed query gets a protocol rejection
        reply = tsa_rejection("bad_request", "malformed TimeStampReq")
    return HttpResponse(reply, content_type=TS_REPLY)
