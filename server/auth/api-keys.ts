import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Database } from "../db/client";
import { ROLES, type Principal, type Role, type Subject } from "./roles";
import { subjectColumns, subjectFor, subjectOfRow, type SubjectInput } from "./subjects";

const PREFIX = "qfm_";

export function hashApiKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export interface IssuedKey {
  id: string;
  key: string;
  role: Role;
  institution: string;
  label: string;
  subject: Subject;
}

/**
 * API keys: random 32-byte secrets shown once at issue; only their SHA-256 is stored. A key is looked up in the
 * database on every request (one primary-key read), so a revocation — by the admin command or any other process that
 * writes the node's database — takes effect on the next request. Only refusals are cached, for `cacheMs`: a key that
 * is unknown or revoked stays refused, and guessing keys costs the database nothing.
 */
export function createApiKeys({ db, cacheMs = 5_000 }: { db: Database; cacheMs?: number }) {
  const refused = new Map<string, number>();

  return {
    /** Issues a key bound to its subject: a borrower's or payee's `subject` (address, credit code) is required. */
    async issue(input: { role: Role; institution: string; label: string; subject?: SubjectInput }): Promise<IssuedKey> {
      if (!ROLES.includes(input.role))
        throw new Error(`unknown role "${input.role}"; expected one of ${ROLES.join(", ")}`);
      const subject = subjectFor(input.role, input.institution, input.subject);
      const key = `${PREFIX}${randomBytes(32).toString("base64url")}`;
      const id = randomUUID();
      await db.prisma.apiKey.create({
        data: {
          id,
          keyHash: hashApiKey(key),
          role: input.role,
          institution: input.institution,
          label: input.label,
          ...subjectColumns(subject),
        },
      });
      return { id, key, role: input.role, institution: input.institution, label: input.label, subject };
    },

    /** Issues a key with a chosen secret (demo seeding and tests only: a known key is a shared secret). */
    async register(input: {
      key: string;
      role: Role;
      institution: string;
      label: string;
      subject?: SubjectInput;
    }): Promise<IssuedKey> {
      const id = randomUUID();
      const subject = subjectFor(input.role, input.institution, input.subject);
      const columns = subjectColumns(subject);
      await db.prisma.apiKey.upsert({
        where: { keyHash: hashApiKey(input.key) },
        create: {
          id,
          keyHash: hashApiKey(input.key),
          role: input.role,
          institution: input.institution,
          label: input.label,
          ...columns,
        },
        update: { role: input.role, institution: input.institution, label: input.label, ...columns, revokedAt: null },
      });
      refused.delete(hashApiKey(input.key));
      return { id, key: input.key, role: input.role, institution: input.institution, label: input.label, subject };
    },

    async revoke(id: string): Promise<boolean> {
      const { count } = await db.prisma.apiKey.updateMany({
        where: { id, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      return count > 0;
    },

    async list() {
      return db.prisma.apiKey.findMany({ orderBy: { createdAt: "asc" } });
    },

    async authenticate(key: string): Promise<Principal | null> {
      const keyHash = hashApiKey(key);
      const until = refused.get(keyHash);
      if (until !== undefined && until > Date.now()) return null;
      const row = await db.prisma.apiKey.findUnique({ where: { keyHash } });
      // A borrower's or supplier's key bound to no subject matches no facility: it is not a key at all.
      const subject = row && !row.revokedAt ? subjectOfRow(row) : undefined;
      if (row && subject) {
        return { keyId: row.id, role: row.role as Role, institution: row.institution, label: row.label, subject };
      }
      if (refused.size > 10_000) refused.clear();
      refused.set(keyHash, Date.now() + cacheMs);
      return null;
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
