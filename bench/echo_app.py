"""The baseline for `make bench`: a bare Flask JSON echo, the limit of this stack.

Served by the same gunicorn settings as `tzomet serve`, so the ratio of an action's
throughput to this one is the framework's own cost.
"""

from __future__ import annotations

import json

from flask import Flask, Response, request

app = Flask("echo")


@app.post("/echo")
def echo() -> Response:
    data = json.loads(request.get_data())
    return Response(json.dumps({"text": data["text"]}, ensure_ascii=False), content_type="application/json")
