import { Prisma, type Tx } from "./client";

/** Rows per INSERT: 500 rows of at most 15 bind parameters stay far below SQLite's 32,766 and PostgreSQL's 65,535. */
const INSERT_ROWS = 500;

/**
 * Writes rows with multi-row INSERTs (standard SQL, the same on SQLite and PostgreSQL), `INSERT_ROWS` a statement.
 * Prisma's createMany builds and checks every row in its query compiler (about 5,500 rows/s at best); these statements
 * store tens of thousands of rows a second and fail the same way on a duplicate key. Dates bound as parameters are
 * stored exactly as Prisma stores them (test/server/db/rows.test.ts).
 */
export async function insertRows(
  tx: Tx,
  rows: Prisma.Sql[],
  statement: (values: Prisma.Sql) => Prisma.Sql,
): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_ROWS) {
    await tx.$executeRaw(statement(Prisma.join(rows.slice(i, i + INSERT_ROWS))));
  }
}
