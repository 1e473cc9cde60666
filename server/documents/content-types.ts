import fs from "node:fs/promises";

/** The document types the node accepts, each with a check that the bytes really are of that type. */
const SIGNATURES: Record<string, (bytes: Buffer) => boolean> = {
  "application/pdf": (b) => b.subarray(0, 5).toString("latin1") === "%PDF-",
  "image/png": (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  "image/jpeg": (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  "application/json": (b) => {
    try {
      JSON.parse(b.toString("utf8"));
      return true;
    } catch {
      return false;
    }
  },
  "application/xml": (b) =>
    /^\s*(<\?xml|<[A-Za-z])/.test(
      b
        .subarray(0, 256)
        .toString("utf8")
        .replace(/^\uFEFF/, ""),
    ),
};
SIGNATURES["text/xml"] = SIGNATURES["application/xml"];

export const ALLOWED_CONTENT_TYPES = Object.keys(SIGNATURES);

/** The bare media type of a Content-Type value ("application/json; charset=utf-8" → "application/json"). */
export function mediaTypeOf(contentType: string): string {
  return contentType.split(";")[0].trim().toLowerCase();
}

export function isAllowedType(mediaType: string): boolean {
  return mediaType in SIGNATURES;
}

export function bytesMatchType(mediaType: string, bytes: Buffer): boolean {
  return SIGNATURES[mediaType]?.(bytes) ?? false;
}

/**
 * Whether an uploaded file's bytes are of `mediaType`: from its first bytes, or for JSON (which must parse whole) from
 * the file itself, read only now that it is known to be within the upload limit.
 */
export async function fileMatchesType(
  mediaType: string,
  file: { path: string; head: Buffer; size: number },
): Promise<boolean> {
  const bytes =
    mediaType === "application/json" && file.size > file.head.length ? await fs.readFile(file.path) : file.head;
  return bytesMatchType(mediaType, bytes);
}
