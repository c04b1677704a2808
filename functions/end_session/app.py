"""GET and POST /oidc/end-session: a register sends the person here to sign
out of Chiave too (RP-Initiated Logout 1.0)."""

from __future__ import annotations

import time

from chiave.oidc.authorize import ErrorPage
from chiave.oidc.end_session import ConfirmFirst, SignedOut, end_session
from chiave.oidc.http import (
    APIGatewayRouter,
    Response,
    build_provider_resolver,
    clear_session_cookie,
    error_page,
    form,
    page,
    provider_handler,
    query,
    redirect,
    session_cookie,
)

router = APIGatewayRouter()


def _answer(outcome: SignedOut | ConfirmFirst | ErrorPage) -> Response[str]:
    if isinstance(outcome, ConfirmFirst):
        return page(
            200,
            "Vuoi uscire?",
            "Premi Esci per uscire da Chiave su questo dispositivo.",
            "Sign out?",
            "Press Sign out to sign out of Chiave on this device.",
            form=outcome.params,
        )
    if isinstance(outcome, SignedOut):
        cleared = {"Set-Cookie": clear_session_cookie()}
        if outcome.location:
            answer = redirect(outcome.location)
            answer.headers.update(cleared)
            return answer
        return page(
            200,
            "Sei uscito",
            "Sei uscito da Chiave su questo dispositivo. Se il dispositivo non è tuo, chiudi il browser.",
            "Signed out",
            "You signed out of Chiave on this device. If the device is not yours, close the browser.",
            headers=cleared,
        )
    return error_page(outcome.error, outcome.description_it, outcome.description_en)


@router.get("/oidc/end-session")
def get_end_session() -> Response[str]:
    return _answer(end_session(query(router), session_cookie(router), confirmed=False, now=time.time()))


@router.post("/oidc/end-session")
def post_end_session() -> Response[str]:
    return _answer(end_session(form(router), session_cookie(router), confirmed=True, now=time.time()))


app = build_provider_resolver(router)
handler = provider_handler(app)
