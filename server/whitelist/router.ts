/**
 * The quality white list's routes on both nodes (the entries, their CSV form, the import and the publication:
 * ./service.ts; the regulator's seal: ./signatures.ts; requests and views: ./schema.ts).
 */
import { z } from "zod";
import { pageOf } from "../../domain/api/page";
import { authorizedRoute } from "../auth/scoped-routes";
import type { Chain } from "../chain/chain";
import type { NodeRole } from "../config";
import type { Database } from "../db/client";
import type { RouteDef } from "../http/route";
import type { BankClient } from "../regulator/bank-client";
import { CreditCodeParams, EntryView, GradeFilter, ImportBody, ImportResult, Publication, ReceiveBody } from "./schema";
import { createWhiteListPublisher, getEntry, listEntries, receiveSignedEntries } from "./service";
import { createRegulatorCheck, createSealReader } from "./signatures";

/** The regulator node's routes: import (signing each entry) and publish to the bank node. */
function regulatorWhiteListRoutes({
  db,
  chain,
  bank,
}: {
  db: Database;
  chain: Chain;
  bank?: BankClient;
}): RouteDef<any, any, any, any>[] {
  const whiteList = createWhiteListPublisher({ db, chain, bank });
  return [
    authorizedRoute("write", "whiteList", {
      method: "post",
      path: "/whitelist/import",
      operationId: "importWhiteList",
      summary: "Import the regulator's quality white list, sign each entry and publish it to the bank node",
      tags: ["white list"],
      auth: ["regulator"],
      body: ImportBody,
      responses: {
        200: {
          description: "imported and signed; `bankNode` says whether the bank node took the signed entries",
          schema: ImportResult.extend({ bankNode: Publication }),
        },
      },
      handler: async ({ body }) => ({ body: await whiteList.importEntries(body) }),
    }),
    authorizedRoute("write", "whiteList", {
      method: "post",
      path: "/whitelist/publish",
      operationId: "publishWhiteList",
      summary: "Send every signed entry of the white list to the bank node again",
      tags: ["white list"],
      auth: ["regulator"],
      responses: { 200: { description: "what the bank node took", schema: Publication } },
      handler: async () => ({ body: await whiteList.publishAll() }),
    }),
  ];
}

/** The bank node's one white-list edit: entries the regulator signed, each newer than what it holds. */
function bankWhiteListRoute({ db, chain }: { db: Database; chain: Chain }): RouteDef<any, any, any, any> {
  const checks = { db, readSeal: createSealReader(chain), isRegulator: createRegulatorCheck(chain) };
  return authorizedRoute("write", "whiteList", {
    method: "post",
    path: "/whitelist/import",
    operationId: "receiveWhiteList",
    summary: "Take white-list entries the regulator signed (sent by the regulator node)",
    tags: ["white list"],
    auth: ["regulator"],
    body: ReceiveBody,
    responses: {
      200: {
        description: "stored; `stale` entries were older than what the bank node holds and were left out",
        schema: ImportResult.extend({ stale: z.number() }),
      },
      403: { description: "a bank key: the white list is the regulator's" },
      422: { description: "not_signed_by_regulator: an entry's signature is not the regulator's" },
    },
    handler: async ({ body }) => ({ body: await receiveSignedEntries(checks, body) }),
  });
}

/**
 * The quality white list routes. The list is the regulator's: on the regulator node the regulator imports it, signs
 * each entry and publishes the entries to the bank node; on the bank node the same path takes only entries the
 * regulator signed (whoever relays them), never an officer's edit. Both nodes serve the list to every key.
 */
export function whiteListRoutes({
  db,
  role,
  chain,
  bank,
}: {
  db: Database;
  role: NodeRole;
  chain: Chain;
  /** The regulator node's client of the bank node, where it publishes. */
  bank?: BankClient;
}): RouteDef<any, any, any, any>[] {
  const editRoutes =
    role === "regulator" ? regulatorWhiteListRoutes({ db, chain, bank }) : [bankWhiteListRoute({ db, chain })];
  return [
    ...editRoutes,
    authorizedRoute("read", "catalog", {
      method: "get",
      path: "/whitelist",
      operationId: "listWhiteList",
      summary: "List the quality white list",
      tags: ["white list"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      query: GradeFilter,
      responses: { 200: { description: "firms, by credit code", schema: pageOf(EntryView) } },
      handler: async ({ query }) => ({ body: await listEntries(db, query) }),
    }),
    authorizedRoute("read", "catalog", {
      method: "get",
      path: "/whitelist/:creditCode",
      operationId: "getWhiteListEntry",
      summary: "Get one firm of the white list",
      tags: ["white list"],
      auth: ["bank_officer", "regulator", "borrower", "supplier"],
      params: CreditCodeParams,
      responses: {
        200: { description: "the firm", schema: EntryView },
        404: { description: "not on the white list" },
      },
      handler: async ({ params }) => ({ body: await getEntry(db, params.creditCode) }),
    }),
  ];
}
