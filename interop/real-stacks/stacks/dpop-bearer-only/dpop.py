"""RFC 9449 DPoP at the token endpoint of python-authlib's authorization server, on joserfc
(Authlib 1.9 has no DPoP support).

`ProofChecker` checks proofs as RFC 9449 §4.3 says: one `DPoP` header; a JWS with
`typ: dpop+jwt`, an advertised asymmetric `alg` and a public `jwk` in its header whose
signature verifies; claims `jti`, `htm` (the request's method), `htu` (the endpoint's URL,
without query and fragment) and a recent `iat`; a `jti` not seen before. The result is the
key's RFC 7638 thumbprint (`jkt`).

`DPoPHooks` plugs DPoP into the authorization server (authserver.Hooks): advertised
(`dpop_signing_alg_values_supported: ["ES256"]`); a token request with a valid DPoP proof gets
`token_type: DPoP` and tokens bound to the proof's key (`cnf.jkt` in introspection; the refresh
token of a public client is bound too, RFC 9449 §5, and then needs a proof with the same key);
`dpop_jkt` at /authorize is honoured (§10); a bad proof gets `invalid_dpop_proof`. A token
request without a proof gets plain Bearer tokens.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import urlsplit, urlunsplit

from authlib.oauth2.rfc6749.errors import InvalidGrantError
from flask import g, request
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry

from authserver import Hooks, oauth_error

log = logging.getLogger("authserver")

ALGORITHMS = ["ES256"]
IAT_WINDOW = 60  # seconds either side of now
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k"}


class DPoPProofError(Exception):
    """The proof is missing parts, malformed or not valid for this request: `invalid_dpop_proof`."""


def _plain_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", "", ""))


class ProofChecker:
    def __init__(self):
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, headers: list[str], method: str, url: str) -> str:
        """Validates the request's DPoP proof; returns its key's thumbprint."""
        if len(headers) != 1:
            raise DPoPProofError("exactly one DPoP header is required")
        proof = headers[0]
        try:
            compact = jws.extract_compact(proof.encode())
        except (JoseError, ValueError) as error:
            raise DPoPProofError(f"the DPoP proof is not a JWS: {error}") from error
        header = compact.protected
        if header.get("typ") != "dpop+jwt":
            raise DPoPProofError("the DPoP proof's typ is not dpop+jwt")
        if header.get("alg") not in ALGORITHMS:
            raise DPoPProofError(f"the DPoP proof's alg must be one of {ALGORITHMS}")
        jwk = header.get("jwk")
        if not isinstance(jwk, dict) or PRIVATE_MEMBERS & jwk.keys():
            raise DPoPProofError("the DPoP proof's jwk must be a public key")
        try:
            key = JWKRegistry.import_key(jwk)
            verified = jws.deserialize_compact(proof, key, algorithms=ALGORITHMS)
            claims = json.loads(verified.payload)
        except (JoseError, ValueError) as error:
            raise DPoPProofError(f"the DPoP proof's signature does not verify: {error}") from error
        if not isinstance(claims, dict):
            raise DPoPProofError("the DPoP proof's payload is not a JSON object")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise DPoPProofError("the DPoP proof has no jti")
        if claims.get("htm") != method:
            raise DPoPProofError(f"the DPoP proof's htm is not {method}")
        htu = claims.get("htu")
        if not isinstance(htu, str) or _plain_url(htu) != _plain_url(url):
            raise DPoPProofError(f"the DPoP proof's htu is not {_plain_url(url)}")
        iat = claims.get("iat")
        now = time.time()
        if not isinstance(iat, (int, float)) or abs(now - iat) > IAT_WINDOW:
            raise DPoPProofError("the DPoP proof's iat is not recent")
        with self._lock:
            for old, seen_at in list(self._seen.items()):
                if seen_at < now - 2 * IAT_WINDOW:
                    del self._seen[old]
            if jti in self._seen:
                raise DPoPProofError("the DPoP proof was used before (jti replayed)")
            self._seen[jti] = now
        return key.thumbprint()


def _jkt(token) -> str | None:
    """The thumbprint of the key a token is bound to, None for a bearer token."""
    return getattr(token, "jkt", None)


class DPoPHooks(Hooks):
    """RFC 9449 DPoP on the authorization server; the current request's key is `g.dpop_jkt`."""

    def __init__(self):
        self.proofs = ProofChecker()

    def metadata(self):
        return {"dpop_signing_alg_values_supported": ALGORITHMS}

    def code_issued(self, code, params):
        code.dpop_jkt = params.get("dpop_jkt")  # RFC 9449 §10

    def token_request(self, token_url):
        g.dpop_jkt = None
        proofs = request.headers.getlist("DPoP")
        if proofs:
            try:
                g.dpop_jkt = self.proofs.check(proofs, "POST", token_url)
            except DPoPProofError as error:
                return oauth_error("invalid_dpop_proof", str(error))
        return None

    def token_request_locked(self, store):
        if request.form.get("grant_type") == "refresh_token":
            bound = store.refresh.get(request.form.get("refresh_token", ""))
            if bound is not None and _jkt(bound) and not bound.rotated and not bound.is_revoked():
                if g.dpop_jkt is None:
                    return oauth_error("invalid_dpop_proof", "this refresh token is DPoP-bound: a DPoP proof is required")
                if g.dpop_jkt != _jkt(bound):
                    return oauth_error("invalid_grant", "this refresh token is bound to another DPoP key")
        return None

    def code_exchanged(self, code):
        if code.dpop_jkt and code.dpop_jkt != g.get("dpop_jkt"):
            raise InvalidGrantError("the DPoP proof's key is not the one dpop_jkt named")

    def tokens_issued(self, token, req, access, refresh):
        jkt = g.get("dpop_jkt")
        access.jkt = jkt
        # RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
        if refresh is not None and jkt and req.client.auth_method == "none":
            refresh.jkt = jkt
        if jkt:
            token["token_type"] = "DPoP"
            log.info("issued DPoP-bound tokens (jkt %s) to client %s", jkt, access.family.client_id)

    def token_type(self, token):
        return {"token_type": "DPoP", "cnf": {"jkt": _jkt(token)}} if _jkt(token) else {"token_type": "Bearer"}
