/**
 * Paid orders per UTC day as a server-rendered bar chart. The SVG is one image with a summary for
 * screen readers (role="img" + <title>/<desc>); the exact numbers are in a visually hidden table.
 * The bars stretch to any width; the labels are HTML so their size does not scale with the chart.
 */

const WIDTH = 300;
const HEIGHT = 100;

const dayLabel = new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" });
const dayFull = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeZone: "UTC" });

const asDate = (day: string) => new Date(`${day}T00:00:00Z`);
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

export function PaidOrdersChart({ days }: { days: { day: string; count: number; renewals?: number }[] }) {
  const total = days.reduce((sum, d) => sum + d.count, 0);
  const renewals = days.reduce((sum, d) => sum + (d.renewals ?? 0), 0);
  if (days.length === 0 || total + renewals === 0) {
    return <p className="text-sm text-zinc-600">No paid orders in the last {days.length || 30} days. Each order appears here on the day it is paid.</p>;
  }

  const heightOf = (d: { count: number; renewals?: number }) => d.count + (d.renewals ?? 0);
  const max = Math.max(...days.map(heightOf));
  const busiest = days.reduce((best, d) => (heightOf(d) > heightOf(best) ? d : best));
  const first = days[0]!;
  const last = days[days.length - 1]!;
  const middle = days[Math.floor((days.length - 1) / 2)]!;
  const renewalText = renewals > 0 ? ` and ${plural(renewals, "renewal")}` : "";
  const summary = `${plural(total, "paid order")}${renewalText} from ${dayFull.format(asDate(first.day))} to ${dayFull.format(asDate(last.day))}. Busiest day: ${dayFull.format(asDate(busiest.day))}, with ${max}.`;
  const slot = WIDTH / days.length;
  const barWidth = slot * 0.7;

  return (
    <figure className="space-y-2">
      <div className="relative pt-5">
        <span aria-hidden className="absolute top-0 left-0 text-xs text-zinc-500 tabular-nums">
          {max}
        </span>
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-labelledby="paid-chart-title paid-chart-desc"
          className="block h-32 w-full text-brand-500 sm:h-40"
        >
          <title id="paid-chart-title">{`Paid orders per day, last ${days.length} days`}</title>
          <desc id="paid-chart-desc">{summary}</desc>
          <line x1={0} x2={WIDTH} y1={0.5} y2={0.5} className="stroke-zinc-200" strokeDasharray="3 3" vectorEffect="non-scaling-stroke" />
          {days.map((d, i) => {
            if (heightOf(d) === 0) return null;
            const orders = d.count === 0 ? 0 : Math.max(1.5, (d.count / max) * HEIGHT);
            const renewed = (d.renewals ?? 0) === 0 ? 0 : Math.max(1.5, ((d.renewals ?? 0) / max) * HEIGHT);
            const label = `${dayFull.format(asDate(d.day))}: ${plural(d.count, "paid order")}${d.renewals ? `, ${plural(d.renewals, "renewal")}` : ""}`;
            const x = i * slot + (slot - barWidth) / 2;
            return (
              <g key={d.day}>
                <title>{label}</title>
                {orders > 0 && <rect x={x} y={HEIGHT - orders} width={barWidth} height={orders} className="fill-current" />}
                {renewed > 0 && <rect x={x} y={HEIGHT - orders - renewed} width={barWidth} height={renewed} className="fill-emerald-400" />}
              </g>
            );
          })}
          <line x1={0} x2={WIDTH} y1={HEIGHT - 0.5} y2={HEIGHT - 0.5} className="stroke-zinc-300" vectorEffect="non-scaling-stroke" />
        </svg>
        <div aria-hidden className="mt-1 flex justify-between text-xs text-zinc-500">
          <span>{dayLabel.format(asDate(first.day))}</span>
          <span>{dayLabel.format(asDate(middle.day))}</span>
          <span>{dayLabel.format(asDate(last.day))}</span>
        </div>
      </div>
      <figcaption className="text-sm text-zinc-600">
        {plural(total, "paid order")}
        {renewals > 0 && (
          <>
            {" "}and <span className="font-medium text-emerald-700">{plural(renewals, "renewal")}</span>
          </>
        )}{" "}
        in {days.length} days; busiest day {max}.
      </figcaption>
      <table className="sr-only">
        <caption>Paid orders per day (UTC)</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">Paid orders</th>
            <th scope="col">Renewals</th>
          </tr>
        </thead>
        <tbody>
          {days.map((d) => (
            <tr key={d.day}>
              <th scope="row">{dayFull.format(asDate(d.day))}</th>
              <td>{d.count}</td>
              <td>{d.renewals ?? 0}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
