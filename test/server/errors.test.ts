import { expect } from "chai";
import express from "express";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { problemHandler } from "../../server/errors";
import { unreachableDatabase } from "../helpers/databases";

describe("the problem handler", function () {
  this.timeout(30_000);
  let server: Server;
  let base: string;

  before(async function () {
    const unreachable = unreachableDatabase();
    const app = express();
    // A route whose database is down, as during a PostgreSQL restart: the real error Prisma throws then.
    app.get("/keys", async (_req, res) => void res.json(await unreachable.prisma.apiKey.count()));
    // A bug: the same request fails the same way every time.
    app.get("/bug", () => {
      throw new TypeError("Cannot read properties of undefined (reading 'map')");
    });
    app.use(problemHandler(pino({ level: "silent" })));
    server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    server.once("close", () => void unreachable.close());
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(function () {
    server?.close();
  });

  describe("when the database cannot be reached", function () {
    it("answers 503 database_unavailable, retryable, with Retry-After and without the database's address", async function () {
      const response = await fetch(`${base}/keys`);
      const text = await response.text();
      expect(response.status, text).to.equal(503);
      expect(response.headers.get("content-type")).to.match(/^application\/problem\+json/);
      expect(response.headers.get("retry-after")).to.equal("1");
      expect(JSON.parse(text)).to.include({ status: 503, code: "database_unavailable", retryable: true });
      expect(text).not.to.include("19049");
    });
  });

  describe("when a route fails in a way nobody anticipated", function () {
    it("answers 500 internal_error, not retryable, without the error's message", async function () {
      const response = await fetch(`${base}/bug`);
      const text = await response.text();
      expect(response.status, text).to.equal(500);
      expect(response.headers.get("retry-after")).to.equal(null);
      expect(JSON.parse(text)).to.include({ status: 500, code: "internal_error", retryable: false });
      expect(text).not.to.include("reading 'map'");
    });
  });
});
