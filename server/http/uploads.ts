import type { Request } from "express";
import multer, { type StorageEngine } from "multer";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "../errors";

/** Bytes of a file's start kept in memory for the type check (magic bytes, an XML prolog). */
export const HEAD_BYTES = 4_096;

/** What the streaming storage adds to multer's file: where the bytes are, how many, their sha256 and their start. */
export interface StreamedFile {
  path: string;
  size: number;
  contentHash: string;
  head: Buffer;
}

/** The most file bytes one request may carry (set per route before multer reads it), and how many it has sent. */
const limitOf = new WeakMap<Request, number>();
const receivedOf = new WeakMap<Request, number>();
/** Temporary files still being written for a request: a form cut short leaves its last file's stream unfinished. */
const writingOf = new WeakMap<Request, Set<string>>();

/** Removes the temporary files a request's upload was still writing (called when multer gives up on the form). */
export async function removeUnfinishedUploads(req: Request): Promise<void> {
  const writing = writingOf.get(req);
  if (!writing) return;
  await removeUploads([...writing].map((file) => ({ path: file })));
  writing.clear();
}

export function limitUpload(req: Request, maxBytes: number): void {
  limitOf.set(req, maxBytes);
}

export const uploadTooLarge = (received: number, max: number) =>
  new AppError(
    413,
    "upload_too_large",
    `the upload sent more than ${max} bytes of files (${received} received when it was stopped); send less`,
  );

/**
 * A multer storage engine that streams each file to a temporary file in `dir` as it arrives, hashing it (sha256) and
 * counting its bytes on the way, so that no upload is ever held whole in memory. The count is of bytes actually
 * received, whatever the request declared (Transfer-Encoding: chunked declares nothing): once a request's files pass
 * its limit the upload stops with 413 upload_too_large, multer removes what was written and drains the rest.
 */
export function streamingStorage(dir: string): StorageEngine {
  let made = false;
  return {
    _handleFile(req, file, callback) {
      const request = req as Request;
      const target = path.join(dir, `${randomBytes(16).toString("hex")}.upload`);
      const writing = writingOf.get(request) ?? new Set<string>();
      writingOf.set(request, writing);
      writing.add(target);
      const hash = createHash("sha256");
      const head: Buffer[] = [];
      let headLength = 0;
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          const received = (receivedOf.get(request) ?? 0) + chunk.length;
          receivedOf.set(request, received);
          const max = limitOf.get(request);
          if (max !== undefined && received > max) return done(uploadTooLarge(received, max));
          size += chunk.length;
          hash.update(chunk);
          if (headLength < HEAD_BYTES) {
            const part = chunk.subarray(0, HEAD_BYTES - headLength);
            head.push(Buffer.from(part)); // a copy: the chunk itself is not kept
            headLength += part.length;
          }
          done(null, chunk);
        },
      });
      const write = async () => {
        if (!made) {
          await fs.promises.mkdir(dir, { recursive: true });
          made = true;
        }
        await pipeline(file.stream, count, fs.createWriteStream(target, { flags: "wx" }));
      };
      write().then(
        () => {
          writing.delete(target);
          callback(null, {
            path: target,
            size,
            contentHash: `0x${hash.digest("hex")}`,
            head: Buffer.concat(head),
          } as Partial<Express.Multer.File>);
        },
        (error: unknown) => {
          writing.delete(target);
          void fs.promises.rm(target, { force: true }).finally(() => callback(error as Error));
        },
      );
    },
    _removeFile(_req, file, callback) {
      fs.promises.rm(file.path, { force: true }).then(
        () => callback(null),
        (error: Error) => callback(error),
      );
    },
  };
}

/** multer over the streaming storage: `maxFiles` files of at most `fileBytes` each. */
export function uploadParser(dir: string, fileBytes: number, maxFiles: number) {
  return multer({
    storage: streamingStorage(dir),
    // Browsers and fetch send a file name's UTF-8 bytes as they are; multer would read them as latin1 (mojibake).
    defParamCharset: "utf8",
    // The name as the client sent it, so that one naming directories is refused rather than quietly cut down.
    preservePath: true,
    limits: { fileSize: fileBytes, files: maxFiles, fields: 32, fieldSize: 64 * 1024 },
  });
}

/** Removes an upload's temporary files (those the handler did not move into the document store). */
export async function removeUploads(files: Array<{ path: string }>): Promise<void> {
  await Promise.all(files.map((file) => fs.promises.rm(file.path, { force: true }).catch(() => undefined)));
}
