import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface Series {
  key: string;
  name: string;
  color: string;
}

const axis = { fontSize: 11, fill: '#8a93a8' };

/**
 * A chart from a maintained library (Recharts) plus the same numbers for tests and screen readers:
 * `data-chart` holds the data as JSON, and a collapsed table lists it.
 */
export function Chart({ kind, data, x, series, id, label, empty }: { kind: 'line' | 'bar'; data: Array<Record<string, string | number>>; x: string; series: Series[]; id: string; label: string; empty?: string }) {
  const hasData = data.some((d) => series.some((s) => Number(d[s.key]) > 0));
  return (
    <figure style={{ margin: 0 }} data-testid={id} data-chart={JSON.stringify(data)} aria-label={label}>
      {!hasData && empty ? (
        <div className="chart-empty">{empty}</div>
      ) : (
        <div className="chart" aria-hidden="true">
          <ResponsiveContainer width="100%" height="100%">
            {kind === 'line' ? (
              <LineChart data={data} margin={{ top: 8, right: 12, left: -12, bottom: 0 }}>
                <CartesianGrid stroke="#eef0f5" vertical={false} />
                <XAxis dataKey={x} tick={axis} tickLine={false} axisLine={false} minTickGap={24} />
                <YAxis tick={axis} tickLine={false} axisLine={false} allowDecimals={false} width={48} />
                <Tooltip />
                <Legend iconType="circle" wrapperStyle={{ fontSize: 12 }} />
                {series.map((s) => (
                  <Line key={s.key} type="monotone" dataKey={s.key} name={s.name} stroke={s.color} strokeWidth={2} dot={false} isAnimationActive={false} />
                ))}
              </LineChart>
            ) : (
              <BarChart data={data} margin={{ top: 8, right: 12, left: -12, bottom: 0 }}>
                <CartesianGrid stroke="#eef0f5" vertical={false} />
                <XAxis dataKey={x} tick={axis} tickLine={false} axisLine={false} minTickGap={16} />
                <YAxis tick={axis} tickLine={false} axisLine={false} allowDecimals={false} width={48} />
                <Tooltip cursor={{ fill: 'rgba(79,70,229,0.06)' }} />
                <Legend iconType="circle" wrapperStyle={{ fontSize: 12 }} />
                {series.map((s) => (
                  <Bar key={s.key} dataKey={s.key} name={s.name} fill={s.color} radius={[3, 3, 0, 0]} isAnimationActive={false} maxBarSize={22} />
                ))}
              </BarChart>
            )}
          </ResponsiveContainer>
        </div>
      )}
      <details className="data-table">
        <summary>{label}: data table</summary>
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{x}</th>
              {series.map((s) => (
                <th key={s.key} scope="col" className="num">
                  {s.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.map((d, i) => (
              <tr key={i}>
                <td>{d[x]}</td>
                {series.map((s) => (
                  <td key={s.key} className="num">
                    {d[s.key]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
