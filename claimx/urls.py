"""Server URLs as claimx shows and stores them: without the credentials some users put in them.

``http://user:PASS@host/v1`` and ``https://host/v1?api-key=PASS`` both work as base URLs, but
the URL is also written into every result (``meta.base_url``), eval run files, the HTML view
and messages. The full URL goes only to the HTTP client; everywhere else gets
:func:`display_url`, and the secrets themselves are registered for redaction so that an
error message quoting the raw URL is cleaned too.
"""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["OPENAI_HOST", "display_url", "is_openai_api", "split_query", "url_secrets"]

OPENAI_HOST = "api.openai.com"

#: Query parameters whose value is a credential (Azure's ``api-key``, ``key=``, ``token=``, …).
_SECRET_PARAM = re.compile(
    r"(?i)^(?:api[-_]?key|key|token|access[-_]?token|auth|authorization|secret|password|passwd"
    r"|sig|signature|code)$"
)


def _split(url: str) -> tuple[str, str, str, str, str] | None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a malformed port)
    except ValueError:
        return None
    return parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment


def display_url(url: str | None) -> str | None:
    """``url`` without user, password or secret-looking query values (``***`` in their place)."""
    if url is None:
        return None
    if "://" not in url:  # ``user:pw@host/v1`` without a scheme: not a URL, but still a password
        return re.sub(r"^[^/@\s?#]+@", "***@", url)
    split = _split(url)
    if split is None:
        return re.sub(r"(?<=://)[^/@\s?#]+@", "***@", url)
    scheme, netloc, path, query, fragment = split
    if "@" in netloc:
        netloc = "***@" + netloc.rpartition("@")[2]
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if _SECRET_PARAM.match(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((scheme, netloc, path, query, fragment))


def url_secrets(url: str | None) -> list[str]:
    """The credentials inside ``url`` (password, user, secret query values), to redact anywhere."""
    split = _split(url or "")
    if split is None:
        return []
    found: list[str] = []
    parts = urlsplit(url or "")
    found += [s for s in (parts.password, parts.username) if s]
    # The HTTP client sends them percent-decoded, as ``Authorization: Basic base64(user:password)``;
    # a server (or proxy) that echoes that header in an error body would otherwise show the password.
    found += [unquote(s) for s in (parts.password, parts.username) if s]
    if parts.username is not None or parts.password is not None:
        pair = f"{unquote(parts.username or '')}:{unquote(parts.password or '')}"
        found.append(base64.b64encode(pair.encode()).decode())
    found += [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if _SECRET_PARAM.match(k) and v]
    return found


def is_openai_api(url: str | None) -> bool:
    """True for OpenAI's own API (no URL, or ``https://api.openai.com/…``): where OPENAI_API_KEY may go."""
    if url is None:
        return True
    split = _split(url)
    if split is None:
        return False
    parts = urlsplit(url)
    return parts.scheme == "https" and (parts.hostname or "").lower() == OPENAI_HOST


def split_query(url: str | None) -> tuple[str | None, dict[str, str]]:
    """``url`` without its query string, and the query's parameters.

    The OpenAI SDK appends the route to the base URL as a string, so a query left in it
    (``https://h/v1?api-key=K``) sent ``POST /v1?api-key=K/chat/completions``: the wrong path,
    and a key with ``/chat/completions`` glued on. The SDK adds ``default_query`` to every
    request's own query instead.
    """
    if url is None or _split(url) is None:
        return url, {}
    parts = urlsplit(url)
    if not parts.query:
        return url, {}
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", parts.fragment)), query
