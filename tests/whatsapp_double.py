"""A WhatsApp Cloud API double: the Graph API's "send message" endpoint, over real HTTP.

Real WhatsApp cannot be reached from here, so the workflow tests point the `whatsapp_api_url`
of the `Tzomet config` node at this server. It speaks the same wire protocol as
``POST https://graph.facebook.com/v21.0/<phone_number_id>/messages``: a Bearer token, a JSON
body with ``messaging_product``, ``to``, ``type`` and ``text.body``, and Graph's answers — 200
``{"messaging_product", "contacts": [{"input", "wa_id"}], "messages": [{"id": "wamid…"}]}``,
401 with an ``OAuthException`` (code 190) for a wrong token, 400 (code 100) for a bad body.
Every accepted message is kept in ``sent`` for the test to inspect.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.serving import make_server


def _graph_error(status: int, message: str, code: int, kind: str = "OAuthException") -> Any:
    body = {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": secrets.token_hex(8)}}
    return jsonify(body), status


def create_app(token: str, sent: list[dict[str, Any]]) -> Flask:
    """The Graph API subset: send a message from one business phone number."""
    app = Flask("whatsapp-double")

    @app.post("/<version>/<phone_number_id>/messages")
    def send(version: str, phone_number_id: str) -> Any:
        if request.headers.get("Authorization", "") != f"Bearer {token}":
            return _graph_error(401, "Invalid OAuth access token - Cannot parse access token", 190)
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return _graph_error(400, "(#100) The parameter messaging_product is required.", 100)
        to = str(body.get("to") or "")
        if not to.lstrip("+").isdigit():
            return _graph_error(400, "(#100) Invalid parameter", 100)
        if body.get("type", "text") == "text" and not (body.get("text") or {}).get("body"):
            return _graph_error(400, "(#100) The parameter text['body'] is required.", 100)
        sent.append({"version": version, "phone_number_id": phone_number_id, **body})
        wa_id = to.lstrip("+")
        return jsonify({"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": wa_id}],
                        "messages": [{"id": f"wamid.{secrets.token_hex(12).upper()}"}]})

    return app


class WhatsAppDouble:
    """Serves the double on a free loopback port in a background thread."""

    def __init__(self, token: str = "test-whatsapp-token") -> None:
        self.token = token
        self.sent: list[dict[str, Any]] = []
        self._server = make_server("127.0.0.1", 0, create_app(token, self.sent), threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="whatsapp-double")

    def __enter__(self) -> WhatsAppDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
