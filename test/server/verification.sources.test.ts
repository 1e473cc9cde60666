import { expect } from "chai";
import http, { type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { ContentTampered, bankNodeSource } from "../../server/verification/sources";

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

  describe("in bulk (POST /documents/contents)", function () {
    let bulk: Server;
    let bulkSource: ReturnType<typeof bankNodeSource>;
    /** The requests the stand-in got: the ids of each bulk read, and each single read's path. */
    const pages: string[][] = [];
    const singles: string[] = [];
    let failWith: number | undefined;
    const bytesOf = (id: string) => Buffer.from(`%PDF-1.7 ${id}`);

    before(async function () {
      // Ids name their answer: "ok-…" its bytes, "gone-…" not_found, "missing-…" content_missing, "tampered-…"
      // content_tampered, "big-…" too_large (then served alone), "skipped-…" left out of the answer (served alone).
      bulk = http.createServer((req, res) => {
        if (req.method === "GET") {
          singles.push(req.url!);
          const id = /^\/documents\/([^/]+)\/content$/.exec(req.url!)![1];
          res.writeHead(200, { "content-type": "application/pdf" }).end(bytesOf(id));
          return;
        }
        let text = "";
        req.on("data", (chunk: Buffer) => (text += chunk.toString()));
        req.on("end", () => {
          if (failWith) return void res.writeHead(failWith).end("down");
          const { ids } = JSON.parse(text) as { ids: string[] };
          pages.push(ids);
          const item = (id: string) => {
            const [kind] = id.split("-");
            if (kind === "ok")
              return { id, contentHash: "0x00", mimeType: "application/pdf", content: bytesOf(id).toString("base64") };
            if (kind === "gone") return { id, error: "not_found" };
            if (kind === "missing") return { id, error: "content_missing" };
            if (kind === "tampered") return { id, error: "content_tampered", storedHash: "0xabc" };
            if (kind === "big") return { id, error: "too_large" };
            return undefined;
          };
          const items = ids.map(item).filter(Boolean);
          // An item for a document not asked is not taken.
          items.push({ id: "ok-not-asked", contentHash: "0x00", mimeType: "application/pdf", content: "AA==" });
          res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ items }));
        });
      });
      await new Promise<void>((resolve) => bulk.listen(0, "127.0.0.1", resolve));
      bulkSource = bankNodeSource({ url: `http://127.0.0.1:${(bulk.address() as AddressInfo).port}`, apiKey: "key" });
    });

    after(async function () {
      await new Promise((resolve) => bulk.close(resolve));
    });

    beforeEach(function () {
      pages.length = 0;
      singles.length = 0;
      failWith = undefined;
    });

    it("gives each document as the single read would, and reads alone only what the page did not give", async function () {
      const ids = ["ok-1", "gone-2", "missing-3", "tampered-4", "big-5", "skipped-6"];
      const fetched = await bulkSource.contents(ids);
      expect(pages).to.deep.equal([ids]);
      expect(singles).to.deep.equal(["/documents/big-5/content", "/documents/skipped-6/content"]);
      expect([...fetched.keys()].sort()).to.deep.equal([...ids].sort());
      expect(fetched.get("ok-1")?.toString()).to.equal("%PDF-1.7 ok-1");
      expect([fetched.get("gone-2"), fetched.get("missing-3")]).to.deep.equal([undefined, undefined]);
      const tampered = fetched.get("tampered-4");
      expect(tampered).to.be.instanceOf(ContentTampered);
      expect((tampered as ContentTampered).storedHash).to.equal("0xabc");
      expect(fetched.get("big-5")?.toString()).to.equal("%PDF-1.7 big-5");
      expect(fetched.get("skipped-6")?.toString()).to.equal("%PDF-1.7 skipped-6");
    });

    it("asks for at most 256 documents a request", async function () {
      const ids = Array.from({ length: 300 }, (_, i) => `ok-${i}`);
      const fetched = await bulkSource.contents(ids);
      expect(pages.map((page) => page.length)).to.deep.equal([256, 44]);
      expect(fetched.size).to.equal(300);
      expect(singles).to.deep.equal([]);
    });

    it("fails, to be retried, when the bank node fails", async function () {
      failWith = 503;
      await bulkSource.contents(["ok-1"]).then(
        () => expect.fail("a failing bank node gave an answer"),
        (error: Error) => expect(error.message).to.match(/^bank node answered 503 to POST \/documents\/contents/),
      );
    });
  });
});
