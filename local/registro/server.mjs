// The local stack's demo register: a relying party of Chiave's sign-in,
// written with openid-client (an OpenID Certified RP library) and never with
// Chiave's own code, so that what it accepts is what any register would.
// The local stack starts it on a free loopback port and serves it at
// /_local/registro (chiave_local/demo/registro.py); the SPID/CIE issues reuse it.
//
// Environment: CHIAVE_ISSUER, REGISTRO_BASE (its public address, under the
// stack's origin), REGISTRO_CLIENT_ID, REGISTRO_CLIENT_SECRET.
import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import * as client from "openid-client";
import { createRemoteJWKSet, jwtVerify } from "jose";

const ISSUER = new URL(process.env.CHIAVE_ISSUER);
const BASE = process.env.REGISTRO_BASE.replace(/\/$/, "");
const CALLBACK = `${BASE}/callback`;
const HOME = `${BASE}/`;
const COOKIE = "registro_sessione";
const SCOPE = "openid profile email";
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

// Plain http is allowed for a loopback issuer only, as openid-client asks.
const insecure = LOOPBACK.has(ISSUER.hostname) ? { execute: [client.allowInsecureRequests] } : {};
let configuration; // discovered once, on the first sign-in (the stack starts after this process)
async function provider() {
  configuration ??= await client.discovery(
    ISSUER,
    process.env.REGISTRO_CLIENT_ID,
    { redirect_uris: [CALLBACK] },
    client.ClientSecretBasic(process.env.REGISTRO_CLIENT_SECRET),
    insecure,
  );
  return configuration;
}

// The register's own sessions, in memory: a demo keeps nothing after a restart.
const sessions = new Map();
function sessionOf(request) {
  const cookie = (request.headers.cookie || "").split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? sessions.get(cookie.slice(COOKIE.length + 1)) : undefined;
}
function newSession(response, contents) {
  const id = randomBytes(24).toString("base64url");
  sessions.set(id, contents);
  response.setHeader("Set-Cookie", `${COOKIE}=${id}; Path=/_local/registro; HttpOnly; SameSite=Lax`);
  return contents;
}

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

function page(response, status, title, body) {
  response.writeHead(status, {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'",
  });
  response.end(`<!doctype html>
<html lang="it"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} - Registro elettronico dimostrativo</title>
<style>body{font-family:system-ui,sans-serif;margin:0 auto;max-width:40rem;padding:1rem;line-height:1.5;color:#1a1a1a}
header{border-bottom:2px solid #06c;margin-bottom:1rem}button,.button{display:inline-block;font-size:1rem;padding:.6rem 1.2rem;
margin:.3rem .3rem .3rem 0;border:0;border-radius:4px;background:#06c;color:#fff;text-decoration:none;cursor:pointer}
.secondary{background:#fff;color:#06c;border:2px solid #06c}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}label{display:block;font-weight:600;margin-top:.5rem}
input{font-size:1rem;padding:.5rem;border:1px solid #5c6f82;border-radius:4px;width:12rem}.error{color:#a00}</style></head>
<body><header><p><strong>Registro elettronico dimostrativo</strong> (lo stack locale di Chiave)</p></header>
<main><h1>${escape(title)}</h1>${body}</main></body></html>`);
}

const claimList = (claims) =>
  `<dl>${Object.entries(claims)
    .map(([name, value]) => `<dt>${escape(name)}</dt><dd data-claim="${escape(name)}">${escape(typeof value === "object" ? JSON.stringify(value) : value)}</dd>`)
    .join("")}</dl>`;

function home(request, response) {
  const session = sessionOf(request);
  if (!session?.claims) {
    const told = session?.endedByChiave
      ? `<p id="logged-out" role="status">Sei uscito: Chiave ha avvisato il registro che la tua sessione è finita.</p>`
      : "";
    page(response, 200, "Entra nel registro", `${told}
<p>Per entrare usa le credenziali della tua scuola: ti portiamo alla pagina di accesso di Chiave e poi ti riportiamo qui.</p>
<form method="get" action="${BASE}/entra">
<label for="scuola">Codice meccanografico della scuola (facoltativo)</label>
<input id="scuola" name="scuola" autocomplete="off" maxlength="10">
<p><button type="submit">Entra</button></p></form>`);
    return;
  }
  page(response, 200, "Sei nel registro", `
<p id="signed-in">Chiave ti ha riconosciuto. Ecco cosa ha ricevuto il registro.</p>
<h2>ID token (verificato da openid-client)</h2>${claimList(session.claims)}
<h2>Userinfo</h2>${claimList(session.userinfo)}
<p>Token rinnovati: <span id="refreshes">${session.refreshes}</span>.</p>
<form method="post" action="${BASE}/aggiorna"><button class="secondary" type="submit">Rinnova i token</button></form>
<form method="post" action="${BASE}/esci"><button type="submit">Esci</button></form>`);
}

async function signIn(request, response, url) {
  const config = await provider();
  const verifier = client.randomPKCECodeVerifier();
  const pending = { verifier, state: client.randomState(), nonce: client.randomNonce() };
  const parameters = {
    redirect_uri: CALLBACK,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: pending.state,
    nonce: pending.nonce,
  };
  const school = (url.searchParams.get("scuola") || "").trim().toUpperCase();
  if (school) parameters.school = school;
  if (url.searchParams.get("acr_values")) parameters.acr_values = url.searchParams.get("acr_values");
  newSession(response, { pending });
  response.writeHead(302, { Location: client.buildAuthorizationUrl(config, parameters).href }).end();
}

async function callback(request, response, url) {
  const session = sessionOf(request);
  if (!session?.pending) {
    page(response, 400, "Accesso non riuscito", `<p class="error">Questa risposta non viene da un accesso iniziato qui. <a href="${HOME}">Torna all'inizio</a>.</p>`);
    return;
  }
  const { verifier, state, nonce } = session.pending;
  delete session.pending; // a state is used once
  // openid-client checks iss (RFC 9207), state, PKCE, and the ID token: signature from the JWKS, iss, aud, nonce, exp.
  const tokens = await client.authorizationCodeGrant(await provider(), new URL(`${BASE}/callback${url.search}`), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  await keep(session, tokens);
  session.refreshes = 0;
  response.writeHead(303, { Location: HOME }).end();
}

async function keep(session, tokens) {
  const claims = tokens.claims() ?? session.claims;
  session.claims = claims;
  session.idToken = tokens.id_token ?? session.idToken;
  session.accessToken = tokens.access_token;
  session.refreshToken = tokens.refresh_token ?? session.refreshToken;
  session.userinfo = await client.fetchUserInfo(await provider(), tokens.access_token, claims.sub);
}

async function refresh(request, response) {
  const session = sessionOf(request);
  if (!session?.refreshToken) return response.writeHead(303, { Location: HOME }).end();
  await keep(session, await client.refreshTokenGrant(await provider(), session.refreshToken));
  session.refreshes += 1;
  response.writeHead(303, { Location: HOME }).end();
}

// Back-Channel Logout 1.0: Chiave posts a logout token when a session that signed in here ends.
// jose checks the signature by Chiave's published keys, iss, aud, typ and age; the rest is §2.6.
const BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout";
let chiaveKeys;
async function backchannelLogout(request, response) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  const token = new URLSearchParams(Buffer.concat(chunks).toString("utf8")).get("logout_token") || "";
  const config = await provider();
  chiaveKeys ??= createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  let claims;
  try {
    ({ payload: claims } = await jwtVerify(token, chiaveKeys, {
      issuer: config.serverMetadata().issuer,
      audience: process.env.REGISTRO_CLIENT_ID,
      typ: "logout+jwt",
      algorithms: ["RS256"],
      maxTokenAge: "5m",
    }));
  } catch (error) {
    console.error("logout token refused:", error.code || error.message);
    response.writeHead(400, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    return response.end(JSON.stringify({ error: "invalid_request" }));
  }
  if (!claims.events || typeof claims.events[BACKCHANNEL_EVENT] !== "object" || "nonce" in claims || !claims.sid) {
    response.writeHead(400, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    return response.end(JSON.stringify({ error: "invalid_request" }));
  }
  let ended = 0;
  for (const session of sessions.values()) {
    if (session.claims?.sid === claims.sid) {
      for (const name of ["claims", "userinfo", "idToken", "accessToken", "refreshToken"]) delete session[name];
      session.endedByChiave = true;
      ended += 1;
    }
  }
  console.log(`back-channel logout: ${ended} session(s) ended`);
  response.writeHead(200, { "Cache-Control": "no-store" }).end();
}

async function signOut(request, response) {
  const session = sessionOf(request);
  const config = await provider();
  const parameters = { post_logout_redirect_uri: HOME };
  if (session?.idToken) parameters.id_token_hint = session.idToken;
  for (const [id, value] of sessions) if (value === session) sessions.delete(id);
  response.writeHead(303, { Location: client.buildEndSessionUrl(config, parameters).href }).end();
}

const routes = {
  "GET /": home,
  "GET /entra": signIn,
  "GET /callback": callback,
  "POST /aggiorna": refresh,
  "POST /esci": signOut,
  "POST /backchannel-logout": backchannelLogout,
};

const server = createServer(async (request, response) => {
  const url = new URL(request.url, "http://registro.invalid");
  const path = url.pathname.replace(/^\/_local\/registro/, "") || "/";
  const route = routes[`${request.method} ${path}`];
  if (!route) return page(response, 404, "Pagina non trovata", `<p><a href="${HOME}">Torna al registro</a>.</p>`);
  try {
    await route(request, response, url);
  } catch (error) {
    // What openid-client refused, in words: the register says why and how to start again.
    console.error(error);
    page(response, 502, "Accesso non riuscito", `
<p class="error" id="error">${escape(error.error || error.code || error.name)}: ${escape(error.error_description || error.message)}</p>
<p><a class="button" href="${HOME}">Riprova</a></p>`);
  }
});

server.listen(0, "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
