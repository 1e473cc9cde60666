import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { verifyBatchProof } from "../../domain/chain/batch-tree";
import { Command, Option } from "commander";
import path from "node:path";
import type { components } from "../../domain/api/generated/bank";
import { EVIDENCE_KINDS } from "../../domain/enums";
import type { Cli } from "../command";
import { examples, facilityIdArg, jsonObjectArg, mediaTypeOfFile, positiveIntArg, readBytes } from "../input";
import { formatTime, mark, renderPairs, renderTable, shortHash } from "../table";

/** A document's record and its Merkle proof, as the bank node's /openapi.json declares them (domain/api/generated). */
type DocumentView = components["schemas"]["Document"];
type ProofView = components["schemas"]["Proof"];

const kindOption = () =>
  new Option("--kind <kind>", "the evidence kind").choices([...EVIDENCE_KINDS]).makeOptionMandatory();

/** "payee Ningbo Precision CNC (0x5A0b…9c4c)": the role, the name where the bank knows it, and the address. */
const counterpartyOf = (d: DocumentView) =>
  `${d.counterpartyRole} ${d.counterpartyName ? `${d.counterpartyName} (${shortHash(d.counterparty)})` : d.counterparty}`;

/** The payment that consumed the document, or "—" while none has. */
const consumedByOf = (d: DocumentView) => (d.consumedBy ? `payment ${d.consumedBy.paymentIndex}` : "—");

function renderDocument(d: DocumentView): string {
  return renderPairs([
    ["document", d.id],
    ["facility", d.facilityId],
    ["kind", d.kind],
    ["counterparty", counterpartyOf(d)],
    [
      "consumed by",
      d.consumedBy
        ? `payment ${d.consumedBy.paymentIndex} of facility ${d.consumedBy.facilityId} (tx ${d.consumedBy.txHash})`
        : "— (no payment has used it)",
    ],
    ["file", `${d.originalName} (${d.mimeType}, ${d.size.toLocaleString("en-US")} bytes)`],
    ["metadata", JSON.stringify(d.metadata)],
    ["content hash (sha256)", d.contentHash],
    ["salt", d.salt],
    ["salted hash", d.saltedHash],
    ["evidence id", d.evidenceId],
    ["status", d.status],
    ["anchor", d.anchor ? `${d.anchor.type} ${d.anchor.root} (${d.anchor.status})` : "— (waiting for the next batch)"],
    ["anchored in", d.anchor?.txHash ? `${d.anchor.txHash} (block ${d.anchor.blockNumber})` : "—"],
    ["anchored at", formatTime(d.anchor?.anchoredAt)],
    ["uploaded", `${formatTime(d.createdAt)} by ${d.uploadedBy}`],
  ]);
}

/**
 * Whether a proof holds: the leaf hashes to the evidence id (StandardMerkleTree's leaf hash), and the position-bound
 * proof leads from it at its index to the root.
 */
export function checkProof(p: Pick<ProofView, "evidenceId" | "leaf" | "leafEncoding" | "root" | "index" | "proof">) {
  const safely = (check: () => boolean) => {
    try {
      return check();
    } catch {
      return false;
    }
  };
  return {
    leafIsEvidence: safely(() => StandardMerkleTree.verify(p.evidenceId, p.leafEncoding, p.leaf, [])),
    proofReachesRoot: safely(() => verifyBatchProof(p.root, p.evidenceId, p.index, p.proof)),
  };
}

/** `qfm document …` and `qfm verify`: evidence documents, their Merkle proofs and public verification. */
export function documentCommands(cli: Cli): Command[] {
  const document = new Command("document").description(
    "evidence documents, anchored on chain in Merkle batches (bank node)",
  );

  document
    .command("upload")
    .argument("<file>", "the document: .pdf, .png, .jpg, .json or .xml")
    .description("upload a document as evidence for a facility; the bank node salts, hashes and anchors it")
    .requiredOption("--facility <id>", "the facility it is evidence for", facilityIdArg)
    .addOption(kindOption())
    .option("--metadata <json>", "a JSON object describing it, checked by both verifiers", jsonObjectArg)
    .option(
      "--counterparty <address>",
      "the payee a contract, invoice, delivery note or certificate is with (other kinds name the borrower)",
    )
    .option("--single", "anchor it in its own transaction now instead of the next Merkle batch")
    .option("--type <mediaType>", "the media type, when the extension does not tell it")
    .addHelpText(
      "after",
      examples(
        `qfm document upload invoice.pdf --facility 1 --kind INVOICE --metadata '{"supplierLicence":"91330200MA2H8K3X1Y"}'`,
        `qfm document upload report.pdf --facility 1 --kind INSPECTION_REPORT --single \\
      --metadata '{"labLicence":"CNAS-L12345","unitsTested":5000,"unitsPassed":4950}'`,
      ),
    )
    .action(
      cli.act(async (ctx, file: string, options) => {
        const bytes = readBytes(file, "document");
        const { body } = await ctx.waiting(
          "uploading",
          ctx.bank.upload(
            "/documents",
            {
              facilityId: options.facility,
              kind: options.kind,
              ...(options.counterparty ? { counterparty: options.counterparty } : {}),
              ...(options.metadata ? { metadata: JSON.stringify(options.metadata) } : {}),
              anchor: options.single ? "single" : "batch",
            },
            { name: path.basename(file), type: mediaTypeOfFile(file, options.type), bytes },
          ),
        );
        ctx.printId(
          body.id,
          body,
          () =>
            `document ${body.id} stored; ${options.single ? "anchoring in its own transaction" : "queued for the next Merkle batch"}\n` +
            `${renderDocument(body)}\n` +
            `keep the salt: anyone can check the file later with\n` +
            `  qfm verify ${file} --salt ${body.salt} --facility ${body.facilityId} --kind ${body.kind} --counterparty ${body.counterparty}`,
        );
      }),
    );

  document
    .command("list")
    .description("list documents, newest first")
    .option("--facility <id>", "one facility's documents", facilityIdArg)
    .addOption(new Option("--kind <kind>", "one kind").choices([...EVIDENCE_KINDS]))
    .addOption(new Option("--status <status>", "one status").choices(["QUEUED", "BATCHED", "ANCHORED"]))
    .option("--limit <n>", "at most this many", positiveIntArg, 50)
    .addHelpText("after", examples("qfm document list --facility 1", "qfm document list --status QUEUED"))
    .action(
      cli.act(async (ctx, options) => {
        const { body } = await ctx.bank.get("/documents", {
          facilityId: options.facility,
          kind: options.kind,
          status: options.status,
          limit: options.limit,
        });
        ctx.print(body, () =>
          renderTable(
            [
              "document",
              "facility",
              "kind",
              "counterparty",
              "consumed by",
              "file",
              "status",
              "evidence id",
              "uploaded",
            ],
            body.items.map((d) => [
              d.id,
              d.facilityId,
              d.kind,
              counterpartyOf(d),
              consumedByOf(d),
              d.originalName,
              d.status,
              shortHash(d.evidenceId),
              formatTime(d.createdAt),
            ]),
          ),
        );
      }),
    );

  document
    .command("show")
    .argument("<id>", "the document id")
    .description("a document's record: hashes, salt, evidence id and anchor")
    .addHelpText("after", examples("qfm document show 0b9c4a1e-…"))
    .action(
      cli.act(async (ctx, id: string) => {
        const { body } = await ctx.bank.get(`/documents/${encodeURIComponent(id)}`);
        ctx.print(body, () => renderDocument(body));
      }),
    );

  document
    .command("proof")
    .argument("<id>", "the document id")
    .description(
      "a document's Merkle proof, checked here with @openzeppelin/merkle-tree and against the root the chain holds",
    )
    .addHelpText(
      "after",
      examples("qfm document proof 0b9c4a1e-…", "qfm document proof 0b9c4a1e-… --json > proof.json"),
    )
    .action(
      cli.act(async (ctx, id: string) => {
        const [{ body: doc }, { body: proof }] = await Promise.all([
          ctx.bank.get(`/documents/${encodeURIComponent(id)}`),
          ctx.bank.get(`/documents/${encodeURIComponent(id)}/proof`),
        ]);
        const local = checkProof(proof);
        const { body: chain } = await ctx.publicBank.post("/verify", {
          contentHash: doc.contentHash,
          salt: doc.salt,
          facilityId: doc.facilityId,
          kind: doc.kind,
          counterparty: doc.counterparty,
        });
        const rootOnChain = chain.anchored && chain.root?.toLowerCase() === proof.root.toLowerCase();
        const ok = local.leafIsEvidence && local.proofReachesRoot && rootOnChain;
        ctx.print({ ...proof, checks: { ...local, rootOnChain, verifiedOnChain: chain.verifiedOnChain, ok } }, () =>
          [
            renderPairs([
              ["evidence id", proof.evidenceId],
              ["leaf [facility, kind, counterparty, salted hash]", JSON.stringify(proof.leaf)],
              ["root", proof.root],
              ["anchor", proof.single ? "single" : `batch, ${proof.proof.length} sibling hash(es)`],
              ["proof", proof.proof.length ? proof.proof.join("\n") : "(none: the root is the leaf)"],
              ["transaction", `${proof.txHash} (block ${proof.blockNumber})`],
              ["evidence registry", `${proof.evidenceRegistry} on chain ${proof.chainId}`],
            ]),
            `${mark(local.leafIsEvidence)} the leaf hashes to the evidence id`,
            `${mark(local.proofReachesRoot)} the proof leads from the leaf to the root`,
            `${mark(rootOnChain)} the chain holds this root for the document${chain.anchoredAt ? ` (anchored ${formatTime(chain.anchoredAt)})` : ""}`,
            `${chain.verifiedOnChain ? "✓ verified by the verifier quorum on chain" : "… not yet verified by the verifier quorum on chain"}`,
          ].join("\n"),
        );
        return ok ? 0 : 1;
      }),
    );

  const verify = new Command("verify")
    .argument("<file>", "the document to check")
    .description(
      "check, without an API key, whether a document is anchored on chain (public; the bank node answers from the chain)",
    )
    .requiredOption("--salt <0x…>", "the salt the bank node gave when the document was uploaded")
    .requiredOption("--facility <id>", "the facility it is evidence for", facilityIdArg)
    .addOption(kindOption())
    .requiredOption("--counterparty <address>", "the payee or borrower the document names (part of its evidence id)")
    .addHelpText(
      "after",
      `\nExits 0 when the document is anchored, 1 when it is not.\n${examples(
        "qfm verify invoice.pdf --salt 0x5d1f…e2 --facility 1 --kind INVOICE --counterparty 0x5aAe…",
      )}`,
    )
    .action(
      cli.act(async (ctx, file: string, options) => {
        const bytes = readBytes(file, "document");
        const { body } = await ctx.publicBank.upload(
          "/verify/document",
          { salt: options.salt, facilityId: options.facility, kind: options.kind, counterparty: options.counterparty },
          { name: path.basename(file), type: "application/octet-stream", bytes },
        );
        const proofHolds =
          body.anchored &&
          body.root !== null &&
          checkProof({ ...body, root: body.root, index: body.index ?? 0 }).proofReachesRoot;
        ctx.print({ ...body, proofCheckedLocally: proofHolds }, () =>
          body.anchored
            ? [
                `✓ ${path.basename(file)} is anchored on chain ${body.chainId} as evidence ${body.evidenceId}`,
                renderPairs([
                  ["root", body.root ?? "—"],
                  ["anchored at", formatTime(body.anchoredAt)],
                  ["salted hash", body.saltedHash],
                ]),
                `${mark(proofHolds)} the Merkle proof checks here`,
                body.verifiedOnChain
                  ? "✓ verified by the verifier quorum on chain"
                  : "… not yet verified by the verifier quorum on chain",
              ].join("\n")
            : `✗ ${path.basename(file)} is not anchored as ${options.kind} evidence of facility ${options.facility} with this salt (evidence id ${body.evidenceId})`,
        );
        return body.anchored && proofHolds ? 0 : 1;
      }),
    );
  return [document, verify];
}
