"""`python -m node`: run a node process under the production ASGI server (see csms.server)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "node.settings")


def main() -> None:
    import argparse

    from csms.server import serve
    from node.transport import WebSocketProtocol

    parser = argparse.ArgumentParser(description="Serve station WebSockets at /ocpp/<station id>.")
    parser.add_argument("--host", default=os.environ.get("NODE_HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("NODE_PORT", "9000")))
    args = parser.parse_args()
    # Our protocol tells the consumer the socket's peer and client certificate (security profile 3).
    serve("node.asgi:application", host=args.host, port=args.port, ws=WebSocketProtocol)


if __name__ == "__main__":
    main()
