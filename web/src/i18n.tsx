import { createContext, useContext } from "react";
import { D } from "./dictionary";
import { blockerText, enumText, problemText, type EnumGroup, type Lang } from "./enums";
import { metricValue } from "./format";

export type { Lang };
export { dayStart, metricValue, pct } from "./format";

export type Key = keyof typeof D;
export const translate = (lang: Lang, key: Key): string => D[key][lang === "zh" ? 0 : 1];

export const LangContext = createContext<Lang>("zh");

/** Everything a view needs to speak the chosen language. */
export function useT() {
  const lang = useContext(LangContext);
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  return {
    lang,
    t: (key: Key) => translate(lang, key),
    /** A code from the nodes (category, kind, verdict, status, …) in words. */
    e: (group: EnumGroup, code: string | null | undefined) => enumText(lang, group, code),
    blocker: (b: { code: string; message: string }) => blockerText(lang, b),
    /** A time in the user's time zone and language. */
    time: (iso: string | null | undefined) =>
      iso ? new Date(iso).toLocaleString(locale, { hour12: false, dateStyle: "medium", timeStyle: "short" }) : "—",
    /** A day in the user's time zone and language. */
    day: (iso: string | null | undefined) =>
      iso ? new Date(iso).toLocaleDateString(locale, { dateStyle: "medium" }) : "—",
    /** A rate change in basis points as percentage points: 50 → "0.50 个百分点". */
    points: (bps: number | null | undefined) =>
      bps === null || bps === undefined ? "—" : `${(bps / 100).toFixed(2)} ${translate(lang, "percentPoints")}`,
    metric: (metric: string, value: number | null | undefined) => metricValue(lang, metric, value),
    /** A refused request in people's words: its blockers, a known refusal, or a generic refusal with its status. */
    problem: (error: unknown) => problemText(lang, error),
  };
}
