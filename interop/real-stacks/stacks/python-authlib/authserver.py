"""An OAuth 2.1 authorization server built on Authlib's Flask integration.

In memory, for one fixed test user whose consent is automatic:

- RFC 8414 metadata at /.well-known/oauth-authorization-server
- RFC 7591 dynamic registration at /register, RFC 7592 management at /register/<client_id>
- authorization code with PKCE S256 (required), RFC 9207 `iss` in the authorization response
- RFC 8707 `resource`: optional; when sent it must name the one protected resource
  (else `invalid_target`); tokens are always issued for that resource
- refresh tokens: single use (rotated on every refresh); the reuse of a rotated-away
  refresh token revokes the whole token family (every access and refresh token that
  descends from the same authorization grant)
- RFC 7009 revocation (public clients authenticate with their client_id alone)
- RFC 7662 introspection, for the resource server only

`create_app` takes a `Hooks` object: the extension points through which another stack adds
to this server (dpop-bearer-only adds RFC 9449 DPoP). The default hooks add nothing.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.base import OAuth2Error
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oauth2.rfc7592 import ClientConfigurationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oauth2.rfc9207 import IssuerParameter
from flask import Flask, jsonify, request

log = logging.getLogger("authserver")

SCOPES = ["mcp:tools"]
TEST_USER = "test-user"
ACCESS_TOKEN_LIFETIME = 3600
CODE_LIFETIME = 300
RESOURCE_SERVER_CLIENT_ID = "mcp-resource-server"


class InvalidTargetError(OAuth2Error):
    """RFC 8707 §2: the requested resource is not one this server issues tokens for."""

    error = "invalid_target"


class Client(ClientMixin):
    def __init__(self, client_id, client_secret, metadata, registration_access_token=None):
        self.client_id = client_id
        self.client_secret = client_secret
        self.metadata = metadata
        self.registration_access_token = registration_access_token
        self.issued_at = int(time.time())

    @property
    def auth_method(self):
        return self.metadata.get("token_endpoint_auth_method", "client_secret_basic")

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        uris = self.metadata.get("redirect_uris") or []
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope):
        allowed = set((self.metadata.get("scope") or " ".join(SCOPES)).split()) & set(SCOPES)
        if not scope:
            return " ".join(s for s in SCOPES if s in allowed)
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        # OAuth 2.1 §2.3.1 / §4.1.1: exact string matching.
        return redirect_uri in (self.metadata.get("redirect_uris") or [])

    def check_client_secret(self, client_secret):
        return self.client_secret is not None and secrets.compare_digest(self.client_secret, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        if endpoint == "introspection":
            return self.client_id == RESOURCE_SERVER_CLIENT_ID and method == self.auth_method
        return method == self.auth_method

    def check_response_type(self, response_type):
        return response_type in (self.metadata.get("response_types") or ["code"])

    def check_grant_type(self, grant_type):
        return grant_type in (self.metadata.get("grant_types") or ["authorization_code"])


class Family:
    """Every token that descends from one authorization grant."""

    def __init__(self, client_id, user, scope, resource):
        self.id = secrets.token_hex(8)
        self.client_id = client_id
        self.user = user
        self.scope = scope
        self.resource = resource
        self.revoked = False
        self.revoked_because = None


class _Token(TokenMixin):
    kind = ""

    def __init__(self, value, family, scope, expires_in):
        self.value = value
        self.family = family
        self.scope = scope
        self.issued_at = int(time.time())
        self.expires_in = expires_in
        self.revoked = False

    def check_client(self, client):
        return client is not None and client.get_client_id() == self.family.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in or 0

    def is_expired(self):
        return bool(self.expires_in) and time.time() >= self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked or self.family.revoked

    def get_user(self):
        return self.family.user


class AccessToken(_Token):
    kind = "access_token"


class RefreshToken(_Token):
    kind = "refresh_token"

    def __init__(self, value, family, scope):
        super().__init__(value, family, scope, expires_in=None)
        self.rotated = False  # spent by a refresh: any later use is a reuse


class AuthorizationCode:
    def __init__(self, code, client_id, redirect_uri, scope, challenge, method, resource):
        self.code = code
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.scope = scope
        self.code_challenge = challenge
        self.code_challenge_method = method
        self.resource = resource
        self.issued_at = time.time()
        self.used_by_family = None

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def is_expired(self):
        return time.time() > self.issued_at + CODE_LIFETIME


def oauth_error(error, description, status=400):
    return jsonify({"error": error, "error_description": description}), status, {"Cache-Control": "no-store"}


class Hooks:
    """Extension points of the authorization server; these defaults add nothing (Bearer tokens)."""

    def metadata(self) -> dict:
        """Members added to the RFC 8414 metadata."""
        return {}

    def code_issued(self, code: AuthorizationCode, params: dict) -> None:
        """A new authorization code, with the parameters of its authorization request."""

    def token_request(self, token_url: str):
        """At /token, after the `resource` check, before the store lock: an error response, or None."""
        return None

    def token_request_locked(self, store: Store):
        """At /token, under the store lock, just before Authlib answers: an error response, or None."""
        return None

    def code_exchanged(self, code: AuthorizationCode) -> None:
        """In save_token for a code exchange, once the code is marked used; may raise an OAuth2Error."""

    def tokens_issued(self, token: dict, req, access: AccessToken, refresh: RefreshToken | None) -> None:
        """In save_token once the new tokens are stored; may change the token response `token`."""

    def token_type(self, token: AccessToken) -> dict:
        """The introspection members that give the access token's type."""
        return {"token_type": "Bearer"}


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.clients: dict[str, Client] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}

    def revoke_family(self, family, because):
        with self.lock:
            if family.revoked:
                return
            family.revoked = True
            family.revoked_because = because
            n = 0
            for tokens in (self.access, self.refresh):
                for token in tokens.values():
                    if token.family is family and not token.revoked:
                        token.revoked = True
                        n += 1
            log.warning("token family %s of client %s revoked (%s): %d tokens", family.id, family.client_id, because, n)


def create_app(issuer: str, resource: str, resource_server_secret: str, hooks: Hooks | None = None) -> Flask:
    hooks = hooks or Hooks()
    store = Store()
    store.clients[RESOURCE_SERVER_CLIENT_ID] = Client(
        RESOURCE_SERVER_CLIENT_ID,
        resource_server_secret,
        {"token_endpoint_auth_method": "client_secret_basic", "grant_types": [], "response_types": []},
    )

    app = Flask("authserver")
    app.config["OAUTH2_REFRESH_TOKEN_GENERATOR"] = True
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {
        "authorization_code": ACCESS_TOKEN_LIFETIME,
        "refresh_token": ACCESS_TOKEN_LIFETIME,
    }

    def metadata():
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "registration_endpoint": f"{issuer}/register",
            "revocation_endpoint": f"{issuer}/revoke",
            "introspection_endpoint": f"{issuer}/introspect",
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            **hooks.metadata(),
        }

    def bad_resources(values):
        return [v for v in values if v != resource]

    # ---- grants -------------------------------------------------------------------------

    class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]

        def validate_authorization_request(self):
            redirect_uri = super().validate_authorization_request()
            if bad_resources(self.request.payload.datalist.get("resource", [])):
                raise InvalidTargetError(
                    description=f"this server issues tokens only for {resource}",
                    state=self.request.payload.state,
                    redirect_uri=redirect_uri,
                )
            return redirect_uri

        def save_authorization_code(self, code, req):
            data = req.payload.data
            item = AuthorizationCode(
                code,
                req.client.get_client_id(),
                req.payload.redirect_uri,
                req.client.get_allowed_scope(req.payload.scope),
                data.get("code_challenge"),
                data.get("code_challenge_method"),
                data.get("resource"),
            )
            hooks.code_issued(item, data)
            with store.lock:
                store.codes[code] = item

        def query_authorization_code(self, code, client):
            with store.lock:
                item = store.codes.get(code)
                if item is None or item.client_id != client.get_client_id():
                    return None
                if item.used_by_family is not None:
                    # OAuth 2.1 §4.1.3: a code used twice revokes what it was exchanged for.
                    store.revoke_family(item.used_by_family, "authorization code used twice")
                    return None
                if item.is_expired():
                    return None
                return item

        def delete_authorization_code(self, authorization_code):
            pass  # kept, marked used (see save_token), so that a second use is detected

        def authenticate_user(self, authorization_code):
            return TEST_USER

    class RefreshTokenGrant(grants.RefreshTokenGrant):
        TOKEN_ENDPOINT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]
        INCLUDE_NEW_REFRESH_TOKEN = True  # OAuth 2.1 §4.3.1: rotation

        def authenticate_refresh_token(self, refresh_token):
            with store.lock:
                item = store.refresh.get(refresh_token)
                if item is None:
                    return None
                if item.rotated:
                    # OAuth 2.0 Security BCP §4.14.2: a spent refresh token presented again
                    # means it leaked; end the whole grant.
                    store.revoke_family(item.family, "rotated-away refresh token reused")
                    return None
                if item.is_revoked():
                    return None
                return item

        def authenticate_user(self, refresh_token):
            return refresh_token.get_user()

        def revoke_old_credential(self, refresh_token):
            with store.lock:
                refresh_token.rotated = True

    # ---- endpoints ----------------------------------------------------------------------

    class Registration(ClientRegistrationEndpoint):
        def authenticate_token(self, req):
            return True  # open registration

        def get_server_metadata(self):
            return metadata()

        def generate_client_info(self, req):
            info = super().generate_client_info(req)
            if (req.payload.data or {}).get("token_endpoint_auth_method") == "none":
                info.pop("client_secret")
                info.pop("client_secret_expires_at")
            return info

        def save_client(self, client_info, client_metadata, req):
            client_metadata.setdefault("grant_types", ["authorization_code", "refresh_token"])
            client_metadata.setdefault("response_types", ["code"])
            client_metadata.setdefault("token_endpoint_auth_method", "client_secret_basic")
            client = Client(
                client_info["client_id"],
                client_info.get("client_secret"),
                client_metadata,
                registration_access_token=secrets.token_urlsafe(32),
            )
            with store.lock:
                store.clients[client.client_id] = client
            log.info("registered client %s (%s)", client.client_id, client.auth_method)
            return client

        def generate_client_registration_info(self, client, req):
            return {
                "registration_client_uri": f"{issuer}/register/{client.client_id}",
                "registration_access_token": client.registration_access_token,
                # the defaults this server applied, RFC 7591 §3.2.1
                "grant_types": client.metadata["grant_types"],
                "response_types": client.metadata["response_types"],
                "token_endpoint_auth_method": client.auth_method,
            }

    class RegistrationToken:
        def __init__(self, value):
            self.value = value

        def check_client(self, client):
            return client.registration_access_token is not None and secrets.compare_digest(
                client.registration_access_token, self.value
            )

    class Configuration(ClientConfigurationEndpoint):
        def authenticate_token(self, req):
            header = req.headers.get("Authorization", "")
            if header[:7].lower() != "bearer " or not header[7:].strip():
                return None
            return RegistrationToken(header[7:].strip())

        def authenticate_client(self, req):
            client_id = req.uri.rstrip("/").rsplit("/", 1)[-1]
            return store.clients.get(client_id)

        def revoke_access_token(self, req, token):
            pass

        def check_permission(self, client, req):
            return req.method in ("GET", "DELETE")

        def delete_client(self, client, req):
            with store.lock:
                store.clients.pop(client.client_id, None)
            log.info("deleted client %s", client.client_id)

        def update_client(self, client, client_metadata, req):
            return None

        def introspect_client(self, client):
            return {"client_id": client.client_id, **client.metadata}

        def generate_client_registration_info(self, client, req):
            return {
                "registration_client_uri": f"{issuer}/register/{client.client_id}",
                "registration_access_token": client.registration_access_token,
            }

        def get_server_metadata(self):
            return metadata()

    def find_token(value, hint):
        order = ("refresh_token", "access_token") if hint == "refresh_token" else ("access_token", "refresh_token")
        for kind in order:
            item = (store.access if kind == "access_token" else store.refresh).get(value)
            if item is not None:
                return item
        return None

    class Revocation(RevocationEndpoint):
        # RFC 7009 §2.1: a public client identifies itself with its client_id; the server
        # still checks that the token was issued to that client.
        CLIENT_AUTH_METHODS = ["none", "client_secret_basic", "client_secret_post"]

        def query_token(self, token_string, token_type_hint):
            with store.lock:
                return find_token(token_string, token_type_hint)

        def revoke_token(self, token, req):
            with store.lock:
                if token.kind == "refresh_token":
                    # RFC 7009 §2.1: revoking a refresh token SHOULD also invalidate the
                    # access tokens of the same grant: the grant ends.
                    store.revoke_family(token.family, "refresh token revoked (RFC 7009)")
                else:
                    # An access token alone: the grant (and its refresh token) lives on.
                    token.revoked = True
                    log.info("access token of family %s revoked", token.family.id)

    class Introspection(IntrospectionEndpoint):
        def query_token(self, token_string, token_type_hint):
            with store.lock:
                return store.access.get(token_string)  # only access tokens are introspectable here

        def check_permission(self, token, client, req):
            return client.client_id == RESOURCE_SERVER_CLIENT_ID

        def introspect_token(self, token):
            return {
                "active": True,
                "client_id": token.family.client_id,
                **hooks.token_type(token),
                "scope": token.scope,
                "sub": token.family.user,
                "aud": token.family.resource,
                "iss": issuer,
                "exp": token.issued_at + token.expires_in,
                "iat": token.issued_at,
            }

    class Issuer(IssuerParameter):
        def get_issuer(self):
            return issuer

    def save_token(token, req):
        with store.lock:
            if req.payload.grant_type == "refresh_token":
                old = req.refresh_token
                family = old.family
                refresh_scope = old.scope  # RFC 6749 §6: the new refresh token keeps the old scope
            else:
                code = req.authorization_code
                family = Family(code.client_id, TEST_USER, code.scope, resource)
                code.used_by_family = family
                refresh_scope = token.get("scope", code.scope)
                hooks.code_exchanged(code)
            if family.revoked:
                raise InvalidGrantError("the grant was revoked")
            access = AccessToken(token["access_token"], family, token.get("scope", family.scope), token.get("expires_in"))
            store.access[access.value] = access
            refresh = None
            if "refresh_token" in token:
                refresh = RefreshToken(token["refresh_token"], family, refresh_scope)
                store.refresh[refresh.value] = refresh
            hooks.tokens_issued(token, req, access, refresh)

    def query_client(client_id):
        with store.lock:
            return store.clients.get(client_id)

    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = SCOPES
    server.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Registration)
    server.register_endpoint(Configuration)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    server.register_extension(Issuer())

    @app.get("/.well-known/oauth-authorization-server")
    def as_metadata():
        return jsonify(metadata())

    @app.get("/authorize")
    def authorize():
        # The fixed test user is signed in and consents at once.
        try:
            grant = server.get_consent_grant(end_user=TEST_USER)
        except OAuth2Error as error:
            return server.handle_error_response(None, error)
        return server.create_authorization_response(grant_user=TEST_USER, grant=grant)

    @app.post("/token")
    def token():
        bad = bad_resources(request.form.getlist("resource"))
        if bad:
            return oauth_error("invalid_target", f"this server issues tokens only for {resource}, not {bad[0]}")
        refused = hooks.token_request(f"{issuer}/token")
        if refused is not None:
            return refused
        with store.lock:  # one token request at a time: rotation and reuse detection stay atomic
            refused = hooks.token_request_locked(store)
            if refused is not None:
                return refused
            return server.create_token_response()

    @app.post("/register")
    def register():
        return server.create_endpoint_response("client_registration")

    @app.route("/register/<client_id>", methods=["GET", "PUT", "DELETE"])
    def configure(client_id):
        return server.create_endpoint_response("client_configuration")

    @app.post("/revoke")
    def revoke():
        return server.create_endpoint_response("revocation")

    @app.post("/introspect")
    def introspect():
        return server.create_endpoint_response("introspection")

    @app.errorhandler(404)
    def not_found(_):
        return jsonify({"error": "not_found"}), 404

    @app.errorhandler(405)
    def not_allowed(_):
        return jsonify({"error": "method_not_allowed"}), 405

    return app

