import { expect } from "chai";
import type pg from "pg";
import { createAdapterFactory } from "../../../server/db/adapters";
import { parseDatabaseUrl } from "../../../server/db/url";
import { TEST_POSTGRES_URL, postgresAdmin } from "../../helpers/databases";

describe("the PostgreSQL adapter", function () {
  this.timeout(30_000);

  describe("when the server ends a connection the pool has handed out but nobody has used yet", function () {
    // As in a restart: the pool resolves a waiter's promise with a client, and the server's "terminating connection"
    // arrives before the waiter has attached a listener of its own. An 'error' event nobody hears ends the process
    // (here mocha would report it as an uncaught error).
    it("keeps the process alive, and the pool connects afresh", async function () {
      const adapter = await createAdapterFactory(parseDatabaseUrl(TEST_POSTGRES_URL)).connect();
      try {
        const pool = (adapter as unknown as { underlyingDriver(): pg.Pool }).underlyingDriver();
        const client = await pool.connect();
        const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
        const ended = new Promise((resolve) => client.once("end", resolve));
        await postgresAdmin("SELECT pg_terminate_backend($1)", [rows[0].pid]);
        await ended;
        client.release(new Error("terminated"));

        const { rows: again } = await pool.query<{ one: number }>("SELECT 1 AS one");
        expect(again[0].one).to.equal(1);
      } finally {
        await adapter.dispose();
      }
    });
  });
});
