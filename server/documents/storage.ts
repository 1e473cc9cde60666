import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/**
 * Content-addressed document store on disk: each document's bytes live at <dir>/<aa>/<bb>/<sha256 hex>, written
 * through a temporary file and a rename so a crash never leaves a half-written document under its address.
 */
export function createDocumentStore({ dir }: { dir: string }) {
  const pathOf = (contentHash: string) => {
    const hex = contentHash.replace(/^0x/, "").toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sha256 content hash: ${contentHash}`);
    return path.join(dir, hex.slice(0, 2), hex.slice(2, 4), hex);
  };

  /** Folders made already: a mkdir per document was a tenth of an upload's file-system work. */
  const folders = new Set<string>();

  return {
    pathOf,

    async put(contentHash: string, bytes: Uint8Array): Promise<void> {
      // Same content, same address: bytes already stored are replaced by the same bytes, which costs less than asking
      // first for every new document.
      const target = pathOf(contentHash);
      const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
      const folder = path.dirname(target);
      if (!folders.has(folder)) {
        await fs.mkdir(folder, { recursive: true });
        folders.add(folder);
      }
      try {
        await fs.writeFile(temporary, bytes);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        // The folder was removed behind the store's back: make it again.
        await fs.mkdir(folder, { recursive: true });
        await fs.writeFile(temporary, bytes);
      }
      await fs.rename(temporary, target);
    },

    /** The stored bytes, or undefined when nothing is stored at that address. */
    async get(contentHash: string): Promise<Buffer | undefined> {
      try {
        return await fs.readFile(pathOf(contentHash));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw error;
      }
    },
  };
}

export type DocumentStore = ReturnType<typeof createDocumentStore>;
