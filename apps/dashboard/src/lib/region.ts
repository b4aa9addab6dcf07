// Region is a label for the customer's own bookkeeping (every region is the same cluster today). The API
// has no field for it, so the dashboard remembers it in this browser; an API `region` would win.
export const REGIONS = [
  { id: 'eu-west', label: 'EU West (Frankfurt)' },
  { id: 'us-east', label: 'US East (Virginia)' },
  { id: 'ap-southeast', label: 'Asia Pacific (Singapore)' },
];
const KEY = 'herald.regions';

export function regionOf(app: { id: string; region?: string }): string | undefined {
  const id = app.region ?? (JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, string>)[app.id];
  return REGIONS.find((r) => r.id === id)?.label ?? id;
}

export function rememberRegion(appId: string, region: string): void {
  const all = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Record<string, string>;
  all[appId] = region;
  localStorage.setItem(KEY, JSON.stringify(all));
}
