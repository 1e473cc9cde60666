/**
 * Admin command for a node's API keys, run on the node's machine against its database:
 *
 *   npm run keys -- issue --node bank --role bank_officer --institution "Ningbo Bank" --label alice
 *   npm run keys -- issue --node bank --role borrower --institution "Ningbo Yongxin Bearings" --label cfo \
 *     --borrower 0xBorrowerAddress --credit-code 91330206MA2AAAAA1X
 *   npm run keys -- issue --node bank --role supplier --institution "Ningbo Precision CNC" --label sales \
 *     --payee 0xPayeeAddress
 *   npm run keys -- issue --node bank --role fiscal --institution "Ningbo Finance Bureau" --label subsidy-desk
 *   npm run keys -- list --node regulator
 *   npm run keys -- revoke --node bank --id <key id>
 *
 * The node's database comes from the same environment the node uses (DATABASE_URL, DATA_DIR); a key is printed once.
 * A key is bound to its subject: a borrower's key to the borrower's chain address and credit code (it sees the
 * facilities lent to that address), a supplier's key to the payee's address (the payments to it), an institution's
 * key to the institution.
 */
import { parseArgs } from "node:util";
import { createApiKeys } from "../server/auth/api-keys";
import { describeSubject, subjectOfRow } from "../server/auth/subjects";
import { ROLES, type Role } from "../server/auth/roles";
import { NODE_ROLES, storageOf, type NodeRole } from "../server/config";
import { createDatabase } from "../server/db/client";
import { migrateDatabase } from "../server/db/migrate";

const USAGE = `usage:
  npm run keys -- issue  --node bank|regulator --role ${ROLES.join("|")} --institution NAME --label LABEL
                         [--borrower ADDRESS --credit-code CODE]  (role borrower: the borrower's chain address)
                         [--payee ADDRESS]                        (role supplier: the payee's chain address)
  npm run keys -- list   --node bank|regulator
  npm run keys -- revoke --node bank|regulator --id KEY_ID`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      node: { type: "string" },
      role: { type: "string" },
      institution: { type: "string" },
      label: { type: "string" },
      id: { type: "string" },
      borrower: { type: "string" },
      payee: { type: "string" },
      "credit-code": { type: "string" },
    },
  });
  const [command] = positionals;
  if (!command || !["issue", "list", "revoke"].includes(command) || !values.node) throw new Error(USAGE);
  if (!NODE_ROLES.includes(values.node as NodeRole)) throw new Error(`--node must be bank or regulator\n${USAGE}`);
  const node = values.node as NodeRole;
  const { databaseUrl } = storageOf(node);
  await migrateDatabase(databaseUrl);
  const db = await createDatabase(databaseUrl);
  try {
    const keys = createApiKeys({ db });
    if (command === "issue") {
      if (!values.role || !ROLES.includes(values.role as Role))
        throw new Error(`--role must be one of ${ROLES.join(", ")}\n${USAGE}`);
      if (!values.institution || !values.label) throw new Error(`--institution and --label are required\n${USAGE}`);
      if (values.borrower && values.payee) throw new Error(`give --borrower or --payee, not both\n${USAGE}`);
      if (values.borrower && values.role !== "borrower") throw new Error(`--borrower is for --role borrower\n${USAGE}`);
      if (values.payee && values.role !== "supplier") throw new Error(`--payee is for --role supplier\n${USAGE}`);
      const issued = await keys.issue({
        role: values.role as Role,
        institution: values.institution,
        label: values.label,
        subject: { address: values.borrower ?? values.payee, creditCode: values["credit-code"] },
      });
      console.log(
        `issued key ${issued.id} (${issued.role}, ${issued.institution}/${issued.label}, ${describeSubject(issued.subject)}) on the ${node} node:`,
      );
      console.log(issued.key);
      console.log("store it now: it is not shown again.");
    } else if (command === "list") {
      for (const key of await keys.list()) {
        console.log(
          `${key.id}  ${key.role.padEnd(12)} ${key.institution}/${key.label}  ${describeSubject(subjectOfRow(key))}  ${key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : "active"}`,
        );
      }
    } else {
      if (!values.id) throw new Error(`--id is required\n${USAGE}`);
      console.log((await keys.revoke(values.id)) ? `revoked ${values.id}` : `no active key ${values.id}`);
    }
  } finally {
    await db.close();
  }
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
