import { expect } from "chai";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { bankNodeSource } from "../../server/verification/sources";

/**
 * The regulator's document source, against a stand-in bank node answering each document's content with a fixed status.
 * Regression of test/reliability/security.test.ts: a document whose bytes were gone from the bank's store (410) made
 * the source throw, so the regulator's verifier retried that anchor, and every anchor after it, forever.
 */
describe("the regulator's document source", function () {
  let server: Server;
  let source: ReturnType<typeof bankNodeSource>;

  before(async function () {
    server = http.createServer((req, res) => {
      const status = Number(/^\/documents\/(\d+)\/content$/.exec(req.url ?? "")?.[1] ?? 404);
      res.writeHead(status, { "content-type": status === 200 ? "application/pdf" : "application/problem+json" });
      res.end(status === 200 ? "%PDF-1.7 the bytes" : JSON.stringify({ status }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    source = bankNodeSource({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: "key" });
  });

  after(async function () {
    await new Promise((resolve) => server.close(resolve));
  });

  it("returns the bytes the bank node serves", async function () {
    expect((await source.content("200"))?.toString()).to.equal("%PDF-1.7 the bytes");
  });

  it("has no bytes for a document the bank does not know (404) or whose bytes it no longer holds (410)", async function () {
    expect(await source.content("404")).to.equal(undefined);
    expect(await source.content("410")).to.equal(undefined);
  });

  it("fails, to be retried, when the bank node fails", async function () {
    await source.content("503").then(
      () => expect.fail("a failing bank node gave an answer"),
      (error: Error) => expect(error.message).to.match(/^bank node answered 503 to GET \/documents\/503\/content/),
    );
  });
});
