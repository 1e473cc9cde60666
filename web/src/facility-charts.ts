import type { EChartsOption } from "echarts";
import type { useT } from "./i18n";
import { cny, shortAddress, yuanNumber } from "./money";
import type { FacilityDetail as FacilityView } from "../../domain/api/facilities";
import type { Statement } from "../../domain/api/statement";

export type Words = ReturnType<typeof useT>;

export function rateOption(facility: FacilityView, statement: Statement, { t }: Words): EChartsOption {
  const base = facility.chain.baseRateBps / 100;
  const points: Array<[number, number]> = [[new Date(facility.appliedAt).getTime(), base]];
  for (const r of statement.rateHistory) points.push([new Date(r.at).getTime(), r.to / 100]);
  points.push([new Date(statement.at).getTime(), statement.rateBps / 100]);
  return {
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: (v) => `${Number(v).toFixed(2)}%` },
    legend: { data: [t("rate"), t("baseRate")] },
    xAxis: { type: "time", axisLabel: { hideOverlap: true } },
    yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value}%" } },
    series: [
      { name: t("rate"), type: "line", step: "end", data: points, symbolSize: 8 },
      {
        name: t("baseRate"),
        type: "line",
        data: [
          [points[0][0], base],
          [points[points.length - 1][0], base],
        ],
        lineStyle: { type: "dashed" },
        symbol: "none",
      },
    ],
  };
}

export function sankeyOption(
  facility: FacilityView,
  payeeNames: Record<string, string>,
  { t, e }: Words,
): EChartsOption | null {
  const paid = facility.payments.filter((p) => p.paid);
  if (paid.length === 0) return null;
  const root = `${t("facility")} #${facility.facilityId}`;
  const sums = new Map<string, bigint>();
  const add = (source: string, target: string, fen: string) => {
    const key = `${source}\u0000${target}`;
    sums.set(key, (sums.get(key) ?? 0n) + BigInt(fen));
  };
  for (const p of paid) {
    const payee = payeeNames[p.payee.toLowerCase()] ?? shortAddress(p.payee);
    add(root, e("category", p.category), p.amount);
    add(e("category", p.category), payee, p.amount);
  }
  const names = new Set<string>();
  const links = [...sums].map(([key, fen]) => {
    const [source, target] = key.split("\u0000");
    names.add(source).add(target);
    return { source, target, value: yuanNumber(fen), fen: fen.toString() };
  });
  return {
    animation: false,
    tooltip: {
      formatter: (p: any) =>
        p.dataType === "edge" ? `${p.data.source} → ${p.data.target}: ${cny(p.data.fen)}` : p.name,
    },
    series: [
      {
        type: "sankey",
        left: 10,
        right: 170,
        data: [...names].map((name) => ({ name })),
        links,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", curveness: 0.5 },
        label: { fontSize: 11, width: 160, overflow: "truncate" },
      },
    ],
  };
}
