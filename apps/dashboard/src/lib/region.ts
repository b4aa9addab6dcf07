// Region is a label for the customer's records (every region is the same cluster today), stored by the API.
export const REGIONS = [
  { id: 'eu-west', label: 'EU West (Frankfurt)' },
  { id: 'us-east', label: 'US East (Virginia)' },
  { id: 'ap-southeast', label: 'Asia Pacific (Singapore)' },
];

export function regionOf(app: { region?: string }): string | undefined {
  return app.region ? (REGIONS.find((r) => r.id === app.region)?.label ?? app.region) : undefined;
}
