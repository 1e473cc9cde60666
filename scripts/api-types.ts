/** Regenerates domain/api/generated/{bank,regulator}.ts from the nodes' OpenAPI documents (scripts/lib/api-types.ts). */
import { writeApiTypes } from "./lib/api-types";

writeApiTypes().then(
  (files) => console.log(files.join("\n")),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
