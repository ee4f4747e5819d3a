#!/usr/bin/env bash
# Signed Nuvera API calls with openssl, jq and curl: a JSON call and a multipart upload.
#   NUVERA_API_KEY=nvk_… NUVERA_PRIVATE_KEY_FILE=./private.pem ./example.sh
set -euo pipefail
BASE_URL=${NUVERA_BASE_URL:-http://127.0.0.1:45000}
: "${NUVERA_API_KEY:?set NUVERA_API_KEY}" "${NUVERA_PRIVATE_KEY_FILE:?set NUVERA_PRIVATE_KEY_FILE}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

# signed METHOD URI BODY_FILE [CONTENT_TYPE]: sign the exact bytes of BODY_FILE, send them, print the response.
signed() {
  local method=$1 uri=$2 body_file=$3 content_type=${4:-} now hash header claims signature
  now=$(date +%s)
  hash=$(openssl dgst -sha256 -r "$body_file" | cut -d' ' -f1) # the empty file hashes to e3b0c442…b855
  header=$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | b64url)
  claims=$(jq -cn --arg sub "$NUVERA_API_KEY" --arg method "$method" --arg uri "$uri" --arg hash "$hash" \
    --argjson now "$now" --arg jti "$(openssl rand -hex 16)" \
    '{iss: "nuvera-api", aud: "nuvera-rest-api", sub: $sub, method: $method, uri: $uri,
      bodyHash: $hash, iat: $now, exp: ($now + 30), jti: $jti}' | b64url)
  signature=$(printf '%s.%s' "$header" "$claims" \
    | openssl dgst -sha256 -sign "$NUVERA_PRIVATE_KEY_FILE" -binary | b64url)
  local args=(--silent --show-error --path-as-is --request "$method" "$BASE_URL$uri"
    --header "x-api-key: $NUVERA_API_KEY" --header "Authorization: Bearer $header.$claims.$signature"
    --output "$work/response.json" --write-out '%{http_code}')
  if [[ -s $body_file ]]; then args+=(--data-binary "@$body_file" --header "Content-Type: $content_type"); fi
  local status
  status=$(curl "${args[@]}")
  if [[ $status != 2* ]]; then
    jq -r --arg status "$status" '"\($status) \(.code): \(.detail) (requestId \(.requestId))"' "$work/response.json" >&2
    exit 1
  fi
  cat "$work/response.json"
}

# A JSON call: write the body once, sign that file, send that file.
jq -cn '{subject: "Signed from the shell", body: "Hello from openssl and curl.", category: "API"}' \
  | tr -d '\n' >"$work/ticket.json"
signed POST /api/v1/support/tickets "$work/ticket.json" application/json | jq -r '"ticket \(.id) \(.status)"'

# A multipart upload: build the whole body first (curl -F would choose its own bytes), sign it, send it.
printf '%%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n' >"$work/statement.pdf"
boundary="nuvera-$(openssl rand -hex 12)"
{
  printf -- '--%s\r\nContent-Disposition: form-data; name="documentType"\r\n\r\nBANK_STATEMENT\r\n' "$boundary"
  printf -- '--%s\r\nContent-Disposition: form-data; name="file"; filename="statement.pdf"\r\n' "$boundary"
  printf 'Content-Type: application/pdf\r\n\r\n'
  cat "$work/statement.pdf"
  printf -- '\r\n--%s--\r\n' "$boundary"
} >"$work/upload.bin"
signed POST /api/v1/documents "$work/upload.bin" "multipart/form-data; boundary=$boundary" \
  | jq -r '"document \(.id) \(.sha256)"'

# A GET with a query string and an empty body: the uri claim carries the query exactly as sent.
: >"$work/empty"
signed GET '/api/v1/documents?limit=5' "$work/empty" | jq -r '"listed \(.items | length) documents"'
