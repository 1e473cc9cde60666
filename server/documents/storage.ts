import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

/** What a read found at a content address: the bytes and the sha256 they really hash to. */
export interface StoredRead {
  bytes: Buffer;
  /** 0x-prefixed sha256 of `bytes` */
  actualHash: string;
  /** whether the bytes still hash to their address */
  intact: boolean;
}

/** Told when bytes read from the store no longer hash to their address (a file swapped or damaged on disk). */
export type MismatchListener = (contentHash: string, actualHash: string) => void;

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

  const listeners: MismatchListener[] = [];

  /** Folders made already: a mkdir per document was a tenth of an upload's file-system work. */
  const folders = new Set<string>();
  /** The folder of `target`, made unless this store made it already. */
  async function folderFor(target: string): Promise<string> {
    const folder = path.dirname(target);
    if (!folders.has(folder)) {
      await fs.mkdir(folder, { recursive: true });
      folders.add(folder);
    }
    return folder;
  }

  return {
    pathOf,

    /** Where uploads stream to before they are checked: inside the store, so that storing one is a rename. */
    incoming: path.join(dir, ".incoming"),

    /** Moves a complete file (an upload streamed to `incoming`) to the address of its content hash. */
    async putFile(contentHash: string, file: string): Promise<void> {
      const target = pathOf(contentHash);
      const folder = await folderFor(target);
      try {
        await fs.rename(file, target);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          // The folder was removed behind the store's back: make it again.
          await fs.mkdir(folder, { recursive: true });
          await fs.rename(file, target);
        } else if (code === "EXDEV") {
          // Another file system: copy through a temporary name, as put does.
          const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
          await fs.copyFile(file, temporary);
          await fs.rename(temporary, target);
        } else throw error;
      }
    },

    async put(contentHash: string, bytes: Uint8Array): Promise<void> {
      // Same content, same address: bytes already stored are replaced by the same bytes, which costs less than asking
      // first for every new document.
      const target = pathOf(contentHash);
      const temporary = `${target}.${randomBytes(6).toString("hex")}.tmp`;
      const folder = await folderFor(target);
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

    /**
     * The stored bytes re-hashed as they are read: what is served carries the hash of what is served, and a mismatch
     * is reported to the listeners (the node then marks the document and withdraws its acceptance).
     */
    async read(contentHash: string): Promise<StoredRead | undefined> {
      const bytes = await this.get(contentHash);
      if (!bytes) return undefined;
      const actualHash = `0x${createHash("sha256").update(bytes).digest("hex")}`;
      const intact = actualHash === `0x${contentHash.replace(/^0x/, "").toLowerCase()}`;
      if (!intact) for (const listener of listeners) listener(contentHash, actualHash);
      return { bytes, actualHash, intact };
    },

    /** Registers a listener for bytes that no longer hash to their address. */
    onMismatch(listener: MismatchListener): void {
      listeners.push(listener);
    },
  };
}

export type DocumentStore = ReturnType<typeof createDocumentStore>;
