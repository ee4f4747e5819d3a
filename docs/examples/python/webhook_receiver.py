"""Receive Nuvera webhooks and verify them with the Standard Webhooks library (`pip install standardwebhooks`).

NUVERA_WEBHOOK_SECRET=whsec_… PORT=8000 python webhook_receiver.py [how many deliveries before exiting]
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

verifier = Webhook(os.environ["NUVERA_WEBHOOK_SECRET"])  # the whsec_… secret shown when the endpoint was created
remaining = int(sys.argv[1]) if len(sys.argv) > 1 else -1
seen: set[str] = set()  # delivery is at least once: remember webhook-id values to skip repeats


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        global remaining
        body = self.rfile.read(int(self.headers.get("content-length", "0")))  # the exact bytes, before parsing
        try:
            # Checks the HMAC of "{webhook-id}.{webhook-timestamp}.{body}" and that the timestamp is within 5 min.
            event = verifier.verify(body, {k.lower(): v for k, v in self.headers.items()})
        except WebhookVerificationError:
            self.send_response(400)
            self.end_headers()
            return
        self.send_response(204)  # answer 2xx quickly; do slow work after answering
        self.end_headers()
        if event["id"] not in seen:
            seen.add(event["id"])
            print("verified", event["id"], event["type"], json.dumps(event["data"]), flush=True)
            remaining -= 1

    def log_message(self, format: str, *args: object) -> None:
        pass


server = HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Receiver)
print("listening", server.server_address[1], flush=True)
while remaining != 0:
    server.handle_request()
