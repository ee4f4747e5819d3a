"""Signed Nuvera API calls with nothing but `cryptography` + PyJWT (and the standard library for HTTP).

pip install "pyjwt[crypto]"
NUVERA_API_KEY=nvk_… NUVERA_PRIVATE_KEY_FILE=./private.pem python bare_example.py
"""

import hashlib
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

BASE_URL = os.environ.get("NUVERA_BASE_URL", "http://127.0.0.1:45000")
API_KEY = os.environ["NUVERA_API_KEY"]
with open(os.environ["NUVERA_PRIVATE_KEY_FILE"], "rb") as key_file:
    PRIVATE_KEY = load_pem_private_key(key_file.read(), password=None)


def signed(method: str, uri: str, body: bytes = b"", content_type: str | None = None) -> dict:
    """Send one request. `uri` is the path and query exactly as sent; `body` the exact bytes sent."""
    now = int(time.time())
    claims = {
        "iss": "nuvera-api",
        "aud": "nuvera-rest-api",
        "sub": API_KEY,
        "method": method,
        "uri": uri,
        "bodyHash": hashlib.sha256(body).hexdigest(),  # the empty body hashes to e3b0c442…b855
        "iat": now,
        "exp": now + 30,  # at most 60 seconds after iat
        "jti": secrets.token_urlsafe(16),  # new for every request, retries included
    }
    token = jwt.encode(claims, PRIVATE_KEY, algorithm="RS256")
    headers = {"x-api-key": API_KEY, "Authorization": f"Bearer {token}"}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(BASE_URL + uri, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        sys.exit(f"{error.code} {problem['code']}: {problem['detail']} (requestId {problem['requestId']})")


# A JSON call: serialise once, sign those bytes, send the same bytes.
body = json.dumps({"subject": "Signed with PyJWT", "body": "Hello from the bare example.", "category": "API"})
ticket = signed("POST", "/api/v1/support/tickets", body.encode(), "application/json")
print("ticket", ticket["id"], ticket["status"])

# A multipart upload: build the whole body first, hash it, then send exactly those bytes.
pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
boundary = "nuvera-" + secrets.token_hex(12)
multipart = (
    (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="documentType"\r\n\r\n'
        "BANK_STATEMENT\r\n"
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="statement.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    + pdf
    + f"\r\n--{boundary}--\r\n".encode()
)
document = signed("POST", "/api/v1/documents", multipart, f"multipart/form-data; boundary={boundary}")
print("document", document["id"], document["sha256"])

# A GET with a query string: the uri claim carries the query exactly as sent.
page = signed("GET", "/api/v1/documents?limit=5")
print("listed", len(page["items"]), "documents")
