// The README's Node backend (section "A studio backend in Node"), verbatim
// but for the import path; tests/js/studio-client.test.mjs checks that the
// README still shows exactly this and runs it against the spawned service.
import { createServer } from "node:http";
import { createClient } from "../../pkg/client.js";

/** POST /generate {user, request, expect}: hold, run, then settle or release. */
export function studioBackend({ baseUrl, secretKey, run }) {
  const api = createClient({ baseUrl, auth: secretKey });
  return createServer(async (req, res) => {
    const send = (status, body) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method !== "POST" || req.url !== "/generate") return send(404, { error: { code: "not_found" } });
    let body = "";
    for await (const chunk of req) body += chunk;
    const { user, request, expect } = JSON.parse(body);
    let charge;
    try {
      charge = await api.charge(user, { request, expect }); // the credits are held
    } catch (e) {
      return send(e.status || 502, { error: e.details }); // 402 insufficient_credits, 403 not_entitled, 409 catalog_changed …
    }
    try {
      const output = await run(request);
      const settled = await api.settle(user, charge.id); // done: charged
      return send(200, { output, charged: settled.settledAmount });
    } catch (e) {
      await api.release(user, charge.id, { reason: String(e.message) }); // failed: refunded
      return send(500, { error: { code: "generation_failed", message: e.message } });
    }
  });
}
