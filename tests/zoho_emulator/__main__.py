"""Run the Zoho CRM emulator on its own: ``python -m tests.zoho_emulator --port 8090``."""

from __future__ import annotations

import argparse
import sys

from werkzeug.serving import run_simple

from .app import EmulatorState, create_app


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, print how to point Tzomet at the emulator, and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m tests.zoho_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    parser.add_argument("--client-id", default=None, help="accept only this client id (default: any)")
    parser.add_argument("--client-secret", default=None, help="accept only this client secret (default: any)")
    parser.add_argument("--refresh-token", default=None, help="accept only this refresh token (default: any)")
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime in seconds")
    args = parser.parse_args(argv)
    state = EmulatorState(client_id=args.client_id, client_secret=args.client_secret,
                          refresh_token=args.refresh_token)
    state.config["token_ttl"] = args.token_ttl
    base = f"http://{args.host}:{args.port}"
    print(
        "Zoho CRM emulator (in-memory; records are lost on exit)\n"
        f"  export ZOHO_API_URL={base}\n"
        f"  export ZOHO_ACCOUNTS_URL={base}/oauth/v2/token\n"
        "  export ZOHO_CLIENT_ID=emulator ZOHO_CLIENT_SECRET=emulator ZOHO_REFRESH_TOKEN=emulator\n"
        f"  records: curl {base}/__emulator__/state\n"
        f"  outage:  curl -X POST {base}/__emulator__/config -d '{{\"down\": true}}'",
        file=sys.stderr,
        flush=True,
    )
    run_simple(args.host, args.port, create_app(state), threaded=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
