"""The federation's HTTP: an entity's configuration or a superior's
statement, fetched with a short timeout and a size limit. A server that does
not answer in time, cannot be reached or answers 5xx is FederationUnreachable
(try again later: the page says so); any other answer that is not a
statement is refused (ChainRefused) by the chain's checks."""

from __future__ import annotations

import urllib.error
import urllib.request

from chiave.federation.trust_chain import ChainRefused, FederationUnreachable

TIMEOUT_S = 3.0
MAX_STATEMENT_BYTES = 64 * 1024
ACCEPTED = "application/entity-statement+jwt, application/trust-mark+jwt, application/jwt"


def fetch(url: str) -> bytes:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ChainRefused(f"{url}: not an https address")
    request = urllib.request.Request(url, headers={"Accept": ACCEPTED})  # noqa: S310 - scheme checked above
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:  # noqa: S310
            body: bytes = answer.read(MAX_STATEMENT_BYTES + 1)
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise FederationUnreachable(f"{url}: {error.code}") from None
        raise ChainRefused(f"{url}: {error.code}") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        raise FederationUnreachable(f"{url}: {error}") from None
    if len(body) > MAX_STATEMENT_BYTES:
        raise ChainRefused(f"{url}: an answer larger than any statement")
    return body
