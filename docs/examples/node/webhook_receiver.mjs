// Receive Nuvera webhooks and verify them with the Standard Webhooks library (npm install standardwebhooks).
//   NUVERA_WEBHOOK_SECRET=whsec_… PORT=8000 node webhook_receiver.mjs [how many deliveries before exiting]
import http from "node:http";
import { Webhook } from "standardwebhooks";

const verifier = new Webhook(process.env.NUVERA_WEBHOOK_SECRET); // the whsec_… secret shown at creation
let remaining = process.argv[2] ? Number(process.argv[2]) : -1;
const seen = new Set(); // delivery is at least once: remember webhook-id values to skip repeats

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8"); // the exact body, before any JSON parsing
    let event;
    try {
      // Checks the HMAC of "{webhook-id}.{webhook-timestamp}.{body}" and that the timestamp is within 5 min.
      event = verifier.verify(body, request.headers);
    } catch {
      response.writeHead(400).end();
      return;
    }
    response.writeHead(204).end(); // answer 2xx quickly; do slow work after answering
    if (!seen.has(event.id)) {
      seen.add(event.id);
      console.log("verified", event.id, event.type, JSON.stringify(event.data));
      remaining -= 1;
      if (remaining === 0) server.close();
    }
  });
});

server.listen(Number(process.env.PORT ?? 8000), "127.0.0.1", () => {
  console.log("listening", server.address().port);
});
