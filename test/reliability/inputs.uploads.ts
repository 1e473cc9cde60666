import { pdf, validBodiesOf, type NodeName, type Seeded } from "./inputs.corpus";
import { bad, caseWriter, problem } from "./inputs.hostile";

/**
 * Hand-written uploads for the bad-input corpus of inputs.test.ts: bytes that lie about their type, files empty or too
 * large or in the wrong part, names that climb out of a directory, duplicate fields, broken multipart bodies.
 */

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
type Part = [field: string, bytes: Buffer, type: string, name: string];

/** A multipart request: text fields (an array repeats one) and file parts. */
function upload(fields: Record<string, string | string[]>, files: Part[]) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields))
    for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
  for (const [field, bytes, type, name] of files) form.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return { body: form };
}

/** A multipart request written by hand (boundary "qfm"), for bodies FormData will not write. */
function rawMultipart(parts: string[], { end = "--qfm--\r\n", type = "multipart/form-data; boundary=qfm" } = {}) {
  const body = new Uint8Array(Buffer.from(parts.map((part) => `--qfm\r\n${part}\r\n`).join("") + end));
  return { body, headers: { "content-type": type } };
}

export function uploadCases({
  seeded,
  keys,
  uploadMaxBytes,
}: {
  seeded: Seeded;
  keys: Record<NodeName, Record<string, string>>;
  uploadMaxBytes: number;
}) {
  const { facilityId } = seeded;
  const { cases, bank, section } = caseWriter(keys);
  const uploadDocument = bank("uploadDocument", "post", "/documents");
  const add = section("upload");
  const fields = { facilityId, kind: "INVOICE", metadata: validBodiesOf(seeded).uploadDocument.metadata };
  const file = (bytes: Buffer, type = "application/pdf", name = "invoice.pdf"): Part => ["file", bytes, type, name];
  const mismatch = problem(400, "content_type_mismatch");
  add(uploadDocument, "PNG bytes declared as PDF", mismatch, upload(fields, [file(PNG)]));
  add(uploadDocument, "PDF bytes declared as PNG", mismatch, upload(fields, [file(pdf("x"), "image/png")]));
  add(
    uploadDocument,
    "text declared as JPEG",
    mismatch,
    upload(fields, [file(Buffer.from("just text"), "image/jpeg")]),
  );
  add(
    uploadDocument,
    "broken JSON declared as JSON",
    mismatch,
    upload(fields, [file(Buffer.from('{"a": '), "application/json")]),
  );
  add(
    uploadDocument,
    "binary declared as XML",
    mismatch,
    upload(fields, [file(Buffer.from([0, 1, 0xff]), "application/xml")]),
  );
  const unsupported = problem(415, "unsupported_media_type");
  add(
    uploadDocument,
    "a Windows executable",
    unsupported,
    upload(fields, [file(Buffer.from("MZ\x90\x00"), "application/x-msdownload", "a.exe")]),
  );
  add(
    uploadDocument,
    "an HTML page",
    unsupported,
    upload(fields, [file(Buffer.from("<script>alert(1)</script>"), "text/html")]),
  );
  add(uploadDocument, "an empty file", problem(400, "empty_file"), upload(fields, [file(Buffer.alloc(0))]));
  const oversize = Buffer.concat([pdf("big"), Buffer.alloc(uploadMaxBytes)]);
  add(
    uploadDocument,
    "one byte over the limit and more",
    problem(413, "file_too_large"),
    upload(fields, [file(oversize)]),
  );
  const multipartError = problem(400, "invalid_multipart");
  add(
    uploadDocument,
    "the file in another field",
    { ...multipartError, mentions: "document" },
    upload(fields, [["document", pdf("x"), "application/pdf", "x.pdf"]]),
  );
  add(uploadDocument, "two files", multipartError, upload(fields, [file(pdf("a")), file(pdf("b"))]));
  add(
    uploadDocument,
    "kind twice",
    bad("body.kind"),
    upload({ ...fields, kind: ["INVOICE", "INVOICE"] }, [file(pdf("x"))]),
  );
  add(
    uploadDocument,
    "facilityId twice, differently",
    bad("body.facilityId"),
    upload({ ...fields, facilityId: [facilityId, "2"] }, [file(pdf("x"))]),
  );
  const manyFields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`field${i}`, "x"]));
  add(uploadDocument, "40 text fields", multipartError, upload(manyFields, [file(pdf("x"))]));
  const longMetadata = JSON.stringify({ note: "x".repeat(70 * 1024) });
  add(
    uploadDocument,
    "a 70 KiB text field",
    multipartError,
    upload({ ...fields, metadata: longMetadata }, [file(pdf("x"))]),
  );
  for (const metadata of ["{supplierLicence: 1}", "[1, 2]", "null"])
    add(
      uploadDocument,
      `metadata ${metadata}`,
      bad("body.metadata"),
      upload({ ...fields, metadata }, [file(pdf("x"))]),
    );
  for (const name of [
    "../../../etc/passwd.pdf",
    "..\\..\\boot.ini",
    "/etc/passwd",
    "a/../../x.pdf",
    "C:\\x\\a.pdf",
    "..",
  ])
    add(
      uploadDocument,
      `the file name ${JSON.stringify(name)}`,
      problem(400, "invalid_file_name", "file name"),
      upload(fields, [file(pdf("x"), "application/pdf", name)]),
    );
  add(
    uploadDocument,
    "a NUL in the file name",
    problem(400),
    upload(fields, [file(pdf("x"), "application/pdf", "a\u0000.pdf")]),
  );
  const textPart = (name: string, value: string) => `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
  const filePart =
    'Content-Disposition: form-data; name="file"; filename="x.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7';
  add(
    uploadDocument,
    "no boundary",
    multipartError,
    rawMultipart([textPart("kind", "INVOICE")], { type: "multipart/form-data" }),
  );
  add(
    uploadDocument,
    "cut short",
    multipartError,
    rawMultipart([textPart("facilityId", facilityId), filePart], { end: "" }),
  );
  add(uploadDocument, "JSON under a multipart type", multipartError, {
    ...rawMultipart([]),
    body: Buffer.from(JSON.stringify(fields)),
  });
  add(
    uploadDocument,
    "a part without a name",
    problem(400),
    rawMultipart(["Content-Disposition: form-data\r\n\r\nx", filePart]),
  );

  section("no key")(
    { ...uploadDocument, key: null },
    "a lying upload",
    problem(401, "unauthorized"),
    upload(fields, [file(PNG)]),
  );
  return cases;
}
