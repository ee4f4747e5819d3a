// Signed Nuvera API calls from Node.js 20+ with jose: a JSON call and a multipart upload.
//   npm ci && NUVERA_API_KEY=nvk_… NUVERA_PRIVATE_KEY_FILE=./private.pem node example.mjs
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SignJWT, importPKCS8 } from "jose";

const BASE_URL = process.env.NUVERA_BASE_URL ?? "http://127.0.0.1:45000";
const API_KEY = process.env.NUVERA_API_KEY;
// The PKCS#8 PEM ("BEGIN PRIVATE KEY") that `nuvera keygen` or the browser download wrote.
const privateKey = await importPKCS8(await readFile(process.env.NUVERA_PRIVATE_KEY_FILE, "utf8"), "RS256");

async function signed(method, uri, body = Buffer.alloc(0), contentType = undefined) {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({
    method,
    uri, // path + query exactly as sent
    bodyHash: createHash("sha256").update(body).digest("hex"), // of the exact bytes sent
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT" })
    .setIssuer("nuvera-api")
    .setAudience("nuvera-rest-api")
    .setSubject(API_KEY)
    .setIssuedAt(now)
    .setExpirationTime(now + 30)
    .setJti(randomUUID())
    .sign(privateKey);
  const headers = { "x-api-key": API_KEY, authorization: `Bearer ${token}` };
  if (contentType) headers["content-type"] = contentType;
  const response = await fetch(BASE_URL + uri, { method, headers, body: body.length ? body : undefined });
  const payload = await response.json();
  if (!response.ok) {
    console.error(`${response.status} ${payload.code}: ${payload.detail} (requestId ${payload.requestId})`);
    process.exit(1);
  }
  return payload;
}

// A JSON call: serialise once, sign those bytes, send the same bytes.
const json = Buffer.from(
  JSON.stringify({ subject: "Signed from Node.js", body: "Hello from the jose example.", category: "API" }),
);
const ticket = await signed("POST", "/api/v1/support/tickets", json, "application/json");
console.log("ticket", ticket.id, ticket.status);

// A multipart upload: build the whole body first, hash it, then send exactly those bytes.
const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
const boundary = `nuvera-${randomBytes(12).toString("hex")}`;
const multipart = Buffer.concat([
  Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="documentType"\r\n\r\nBANK_STATEMENT\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="statement.pdf"\r\n` +
      "Content-Type: application/pdf\r\n\r\n",
  ),
  pdf,
  Buffer.from(`\r\n--${boundary}--\r\n`),
]);
const document = await signed("POST", "/api/v1/documents", multipart, `multipart/form-data; boundary=${boundary}`);
console.log("document", document.id, document.sha256);

// A GET with a query string: the uri claim carries the query exactly as sent.
const page = await signed("GET", "/api/v1/documents?limit=5");
console.log("listed", page.items.length, "documents");
