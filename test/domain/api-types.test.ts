import { expect } from "chai";
import fs from "node:fs";
import { ROLES, apiTypes, typesFile } from "../../scripts/lib/api-types";

describe("the API clients' generated types (domain/api/generated)", function () {
  for (const role of ROLES) {
    it(`are what the ${role} node's /openapi.json generates now (run \`npm run api:types\` after a schema change)`, async function () {
      const checkedIn = fs.readFileSync(typesFile(role), "utf8");
      const generated = await apiTypes(role);
      if (checkedIn !== generated) {
        const a = checkedIn.split("\n");
        const b = generated.split("\n");
        const line = a.findIndex((text, i) => text !== b[i]);
        expect.fail(
          `domain/api/generated/${role}.ts is stale from line ${line + 1}: ` +
            `checked in ${JSON.stringify(a[line])}, generated ${JSON.stringify(b[line])}; run npm run api:types`,
        );
      }
    });
  }
});
