"""Signed Nuvera API calls with the Python SDK (`pip install ./sdk/python`): a JSON call and a multipart upload.

NUVERA_API_KEY=nvk_… NUVERA_PRIVATE_KEY_FILE=./private.pem python sdk_example.py [statement.pdf]
"""

import os
import sys
from pathlib import Path

from nuvera_client import NuveraAPIError, NuveraClient

BASE_URL = os.environ.get("NUVERA_BASE_URL", "http://127.0.0.1:45000")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"  # or pass the path of a real PDF

document_file = Path(sys.argv[1]) if len(sys.argv) > 1 else PDF

with NuveraClient(BASE_URL, os.environ["NUVERA_API_KEY"], Path(os.environ["NUVERA_PRIVATE_KEY_FILE"])) as nuvera:
    try:
        # A JSON call: the SDK serialises the body once, hashes those bytes (bodyHash) and sends them.
        ticket = nuvera.support.create_ticket(
            {"subject": "Signed from Python", "body": "Hello from the SDK example.", "category": "API"}
        )
        print("ticket", ticket["id"], ticket["status"])

        # A multipart upload: signed over the exact multipart bytes, boundaries included.
        document = nuvera.documents.upload(document_file, document_type="BANK_STATEMENT", file_name="statement.pdf")
        print("document", document["id"], document["sha256"])
    except NuveraAPIError as error:
        # error.code is the stable machine code, e.g. uri_mismatch; see /api-reference/errors#<code>.
        sys.exit(f"{error.status} {error.code}: {error.detail} (requestId {error.request_id})")
