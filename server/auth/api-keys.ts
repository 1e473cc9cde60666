import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Database } from "../db/client";
import { ROLES, type Principal, type Role } from "./roles";

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
}

/**
 * API keys: random 32-byte secrets shown once at issue; only their SHA-256 is stored. Lookups are cached for a few
 * seconds so a hot read path does not hit the database per request; revocation takes effect within that window.
 */
export function createApiKeys({ db, cacheMs = 5_000 }: { db: Database; cacheMs?: number }) {
  const cache = new Map<string, { principal: Principal | null; expires: number }>();

  return {
    async issue(input: { role: Role; institution: string; label: string }): Promise<IssuedKey> {
      if (!ROLES.includes(input.role))
        throw new Error(`unknown role "${input.role}"; expected one of ${ROLES.join(", ")}`);
      const key = `${PREFIX}${randomBytes(32).toString("base64url")}`;
      const id = randomUUID();
      await db.prisma.apiKey.create({
        data: { id, keyHash: hashApiKey(key), role: input.role, institution: input.institution, label: input.label },
      });
      return { id, key, ...input };
    },

    /** Issues a key with a chosen secret (demo seeding and tests only: a known key is a shared secret). */
    async register(input: { key: string; role: Role; institution: string; label: string }): Promise<IssuedKey> {
      const id = randomUUID();
      await db.prisma.apiKey.upsert({
        where: { keyHash: hashApiKey(input.key) },
        create: {
          id,
          keyHash: hashApiKey(input.key),
          role: input.role,
          institution: input.institution,
          label: input.label,
        },
        update: { role: input.role, institution: input.institution, label: input.label, revokedAt: null },
      });
      return { id, ...input };
    },

    async revoke(id: string): Promise<boolean> {
      const { count } = await db.prisma.apiKey.updateMany({
        where: { id, revokedAt: null },
        data: { revokedAt: new Date() },
      });
      cache.clear();
      return count > 0;
    },

    async list() {
      return db.prisma.apiKey.findMany({ orderBy: { createdAt: "asc" } });
    },

    async authenticate(key: string): Promise<Principal | null> {
      const keyHash = hashApiKey(key);
      const cached = cache.get(keyHash);
      if (cached && cached.expires > Date.now()) return cached.principal;
      const row = await db.prisma.apiKey.findUnique({ where: { keyHash } });
      const principal =
        row && !row.revokedAt
          ? { keyId: row.id, role: row.role as Role, institution: row.institution, label: row.label }
          : null;
      if (cache.size > 10_000) cache.clear();
      cache.set(keyHash, { principal, expires: Date.now() + cacheMs });
      return principal;
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
