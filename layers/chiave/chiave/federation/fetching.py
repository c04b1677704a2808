"""The federation's HTTP: an entity's configuration or a superior's
statement, and a provider's token and userinfo endpoints, called with a
short timeout and a size limit. A server that does not answer in time,
cannot be reached or answers 5xx is FederationUnreachable (try again later:
the page says so); any other answer that is not what was asked is refused
by the caller's checks."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from chiave.federation.trust_chain import ChainRefused, FederationUnreachable

TIMEOUT_S = 3.0
MAX_STATEMENT_BYTES = 64 * 1024
ACCEPTED = "application/entity-statement+jwt, application/trust-mark+jwt, application/jwt"


def call(
    url: str, form: dict[str, str] | None = None, bearer: str | None = None, accept: str = ACCEPTED
) -> tuple[int, bytes]:
    """The status and body of a GET (or a form POST), refused unless https (or loopback)."""
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ChainRefused(f"{url}: not an https address")
    headers = {"Accept": accept}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    data = None
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310
            status, body = answer.status, answer.read(MAX_STATEMENT_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise FederationUnreachable(f"{url}: {error.code}") from None
        status, body = error.code, error.read(MAX_STATEMENT_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise FederationUnreachable(f"{url}: {error}") from None
    if len(body) > MAX_STATEMENT_BYTES:
        raise ChainRefused(f"{url}: an answer larger than any statement")
    return status, body


def fetch(url: str) -> bytes:
    """A statement (or a list): a 200's body; any other answer refused."""
    status, body = call(url)
    if status != 200:
        raise ChainRefused(f"{url}: {status}")
    return body
