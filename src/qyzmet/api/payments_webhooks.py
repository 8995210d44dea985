"""Where payment providers post their results: `POST /api/v1/payments/webhooks/{provider}`.

No session and no bearer token: a provider proves itself by the signature its plug-in checks
over the raw body (so the body is read as bytes, never re-serialised). A webhook that does not
verify is answered 401 problem+json and kept for the security log; an unknown provider is 404.

A verified webhook is answered 200 as soon as its inbox row is committed (one INSERT); a worker
applies it within seconds (`payments.services.webhooks_apply`), as acquirers expect of a
receiver. Duplicates and webhooks about charges we do not know are answered 200 too (so the
provider stops re-sending); the stored inbox row says what became of each."""

from __future__ import annotations

import json
import re
from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Path, Router, Schema
from pydantic import Field

from qyzmet.core.problem import Problem
from qyzmet.identity.client import client_address_of
from qyzmet.payments.providers.base import WebhookRejected
from qyzmet.payments.services import webhook_receive

from .responses import problems

router = Router(tags=["payments"], auth=None)
_CODE = re.compile(r"^[a-z0-9_-]{1,30}$")


class WebhookAccepted(Schema):
    received: bool = Field(True, description="The webhook is stored")
    state: str = Field(
        description="received (stored; applied within seconds), or, when it was applied before "
        "the answer (in-process background work): processed, or ignored (a charge the platform "
        "does not know; flagged)"
    )


@router.post(
    "/{provider}",
    response={200: WebhookAccepted, **problems(401, 404)},
    auth=None,
    summary="Receive a payment provider's webhook",
)
def webhook(request: HttpRequest, provider: Annotated[str, Path(max_length=30)]):
    """A provider's signed notification about a charge (the body is the provider's own format,
    verified by its plug-in), answered once it is stored and applied within seconds. 401 when
    the signature or the body does not verify, 404 for a provider the platform does not use."""
    if not _CODE.match(provider):
        raise Problem(404, "payment_provider_unknown", "Not found", "No such payment provider.")
    try:
        hook = webhook_receive(
            provider=provider,
            body=request.body,
            headers=request.headers,
            remote_addr=client_address_of(request),
        )
    except WebhookRejected as exc:
        raise Problem(
            401,
            "webhook_rejected",
            "Webhook rejected",
            "The webhook's signature or body did not verify; it was not acted upon.",
        ) from exc
    # The answer's bytes directly (its shape is WebhookAccepted's, declared above for the OpenAPI
    # description): validating and rendering a schema is a measurable share of the CPU of the
    # busiest request an acquirer makes (docs/benchmarks-payments.md).
    return HttpResponse(_ANSWERS.get(hook.state) or _answer(hook.state), content_type=_JSON)


_JSON = "application/json"


def _answer(state: str) -> bytes:
    return json.dumps({"received": True, "state": state}, separators=(",", ":")).encode()


_ANSWERS = {state: _answer(state) for state in ("received", "processed", "ignored")}
