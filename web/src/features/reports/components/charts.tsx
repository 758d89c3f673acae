/** Bar charts (recharts), loaded only with the reports. */
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface BarDatum {
  label: string;
  value: number;
}

export function Bars({
  data,
  color = '#1d4ed8',
  format,
  title,
  horizontal,
}: {
  data: BarDatum[];
  color?: string;
  format: (v: number) => string;
  title: string;
  horizontal?: boolean;
}) {
  const height = horizontal ? Math.max(160, data.length * 34 + 40) : 260;
  return (
    <figure className="chart" aria-label={title} style={{ margin: 0 }}>
      <ResponsiveContainer width="100%" height={height}>
        <BarChart data={data} layout={horizontal ? 'vertical' : 'horizontal'} margin={{ left: 8, right: 16 }}>
          <CartesianGrid strokeDasharray="3 3" />
          {horizontal ? (
            <>
              <XAxis type="number" tickFormatter={format} />
              <YAxis type="category" dataKey="label" width={150} />
            </>
          ) : (
            <>
              <XAxis
                dataKey="label"
                interval={0}
                angle={-30}
                textAnchor="end"
                height={70}
                tick={{ fontSize: 11 }}
              />
              <YAxis tickFormatter={format} width={70} />
            </>
          )}
          <Tooltip formatter={(v) => format(Number(v))} />
          <Bar dataKey="value" fill={color} isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
      <figcaption className="visually-hidden">{title}</figcaption>
    </figure>
  );
}
