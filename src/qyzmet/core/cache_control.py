"""`Cache-Control: no-store` on every response that may carry personal data.

A browser keeps what it is allowed to cache on disk (the back button, a shared computer in a
public-services hall), and a proxy may keep it for the next person. Django sends no
`Cache-Control` at all by default, so an officer's case page or a citizen's application could be
stored by either. The rule is decided here, once, for every view and API operation, rather than
with a decorator on each view (a view added next year without it would leak):

* a response to a signed-in request (session cookie or `Authorization` header) is never stored,
  whatever the page: the header greets the person by name;
* an anonymous request is cached only on the short list of public routes below (catalogue,
  document verification, transparency log, PKI protocols, Open311 GeoReport, the API docs),
  and only for GET/HEAD; every other route (sign-in, forms, `/my/`, `/backoffice/`, the
  registries and gateway under `/data/` and `/r1/`) gets `no-store` too.

Static files never reach this middleware: WhiteNoise answers them earlier in the chain. A view
that already set its own policy on a personal response (e.g. `private, max-age=300`) is
overridden: `no-store` wins.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

# Routes an anonymous visitor may have cached: they show the same to everyone.
PUBLIC_PATH = re.compile(
    r"""^/(?:
        $                                   # the home page
      | services/(?:[^/]+/)?$               # the catalogue (not /services/<code>/apply/)
      | verify/[^/]+/$                      # a document's public verification page
      | sign/verify/$                       # the signature checker (the form; its POST is not)
      | algorithms/                         # the public algorithm register
      | pki/                                # CA certificates, CRLs, OCSP
      | open311/v2/                         # GeoReport v2: public by design
      | r1/keys$                            # the exchange gateway's public keys
      | open-data/catalog\.(?:jsonld|ttl)$  # the DCAT-AP catalogue
      | open-data/[^/]+/(?:v\d+|latest)/    # an open dataset's files and Data Package
      | api/(?:3/|action/)                  # the CKAN Action API (read only, open data)
      | static/
      | api/v1/(?:
            catalog/
          | documents/verify/
          | signatures/documents/
          | transparency/
          | openapi\.json$
          | docs$
        )
    )""",
    re.VERBOSE,
)
CACHEABLE_METHODS = frozenset({"GET", "HEAD"})


def request_is_authenticated(request: HttpRequest) -> bool:
    """Signed in by bearer token or session. The session is only loaded when its cookie was
    sent, so an anonymous visit to a public page stays free of `Vary: Cookie`."""
    if request.headers.get("Authorization"):
        return True
    if settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


def response_may_be_stored(request: HttpRequest) -> bool:
    """True only for an anonymous GET/HEAD of a public route."""
    return (
        request.method in CACHEABLE_METHODS
        and PUBLIC_PATH.match(request.path_info) is not None
        and not request_is_authenticated(request)
    )


class PersonalDataNoStoreMiddleware:
    """Marks personal responses `no-store` (with `Pragma: no-cache` for HTTP/1.0 caches).
    Placed after AuthenticationMiddleware so that `request.user` is there."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not response_may_be_stored(request):
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
