// Region is a label for the customer's own bookkeeping. The API keeps it when it knows the field;
// otherwise the dashboard remembers it in this browser.
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
