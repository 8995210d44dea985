"""Upload checks: the size limit and the file's real type, read from its first bytes."""

from qyzmet.core.problem import FieldError, Problem

SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}


def upload_validate(*, content: bytes, max_bytes: int, allowed: list[str]) -> str:
    """Return the detected content type, or raise a 422 naming the limit or the allowed types."""
    if not content:
        raise Problem(422, "upload_empty", "Empty file", "The file is empty.",
                      [FieldError("/file", "The file is empty.")])
    if len(content) > max_bytes:
        limit_mb = max_bytes / (1024 * 1024)
        detail = f"The file is larger than the limit of {limit_mb:g} MB."
        raise Problem(413, "upload_too_large", "File too large", detail,
                      [FieldError("/file", detail)], {"limit_bytes": max_bytes})
    for magic, content_type in SIGNATURES.items():
        if content.startswith(magic) and content_type in allowed:
            return content_type
    names = ", ".join(t.split("/")[1].upper() for t in allowed)
    detail = f"Only these file types are accepted: {names}."
    raise Problem(415, "upload_type_not_allowed", "File type not allowed", detail,
                  [FieldError("/file", detail)], {"allowed_types": allowed})
