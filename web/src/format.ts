/** Numbers and days as people read and type them (pure functions: no React, no DOM). */
import { gradeOfScore } from "../../domain/enums";
import type { Lang } from "./enums";
import { pct } from "./money";

export { pct };

/** A review metric's value as people read it: a count of patents, a grade letter, or a percentage. */
export function metricValue(lang: Lang, metric: string, value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (metric === "PATENTS_ADDED") return lang === "zh" ? `${value} 项` : `${value} patent${value === 1 ? "" : "s"}`;
  if (metric === "GRADE") return gradeOfScore(value) ?? String(value);
  return pct(value);
}

/**
 * A day typed in a date input ("2026-10-01") as the ISO time of that day's midnight in the user's time zone — not
 * UTC midnight, which is 08:00 the same day in Beijing. null for anything that is not a day.
 */
export function dayStart(day: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
