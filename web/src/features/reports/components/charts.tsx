/** Bar charts (recharts), loaded only with the reports. */
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface BarDatum {
  label: string;
  value: number;
}

/** Horizontal bars: stage and person names stay readable on the category axis. */
export function Bars({
  data,
  color = '#1d4ed8',
  format,
  title,
}: {
  data: BarDatum[];
  color?: string;
  format: (v: number) => string;
  title: string;
}) {
  return (
    <figure className="chart" aria-label={title} style={{ margin: 0 }}>
      <ResponsiveContainer width="100%" height={Math.max(160, data.length * 30 + 40)}>
        <BarChart data={data} layout="vertical" margin={{ left: 8, right: 24 }}>
          <CartesianGrid strokeDasharray="3 3" />
          <XAxis type="number" tickFormatter={format} />
          <YAxis type="category" dataKey="label" width={190} tick={{ fontSize: 12 }} />
          <Tooltip formatter={(v) => format(Number(v))} />
          <Bar dataKey="value" fill={color} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <figcaption className="visually-hidden">{title}</figcaption>
    </figure>
  );
}
