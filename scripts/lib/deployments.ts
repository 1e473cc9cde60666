// The deployment file's shape and reading live with the server that reads them (server/chain/deployment.ts).
export * from "../../server/chain/deployment";
