import { gradeOfScore, type Metric } from "./enums";

/** Names of the metrics for people, in English and Chinese. */
export const METRIC_LABELS: Readonly<Record<Metric, { en: string; zh: string }>> = {
  PATENTS_ADDED: { en: "patents added", zh: "新增专利数" },
  PASS_RATE_BPS: { en: "product pass rate", zh: "产品合格率" },
  QUALITY_SPEND_SHARE_BPS: { en: "quality-purpose share of spending", zh: "质量用途资金占比" },
  GRADE: { en: "quality grade", zh: "质量等级" },
};

/** A metric's value as people read it: "3 patents", "98.50% (9850 bps)", "grade B". */
export function formatValue(metric: Metric, value: number): string {
  switch (metric) {
    case "PATENTS_ADDED":
      return `${value} patent${value === 1 ? "" : "s"}`;
    case "GRADE":
      return `grade ${gradeOfScore(value) ?? value}`;
    default:
      return `${(value / 100).toFixed(2)}% (${value} bps)`;
  }
}
