import type { Plan } from './api';

/**
 * What an app accepts as Origin, in words: the gateway allows every origin when the plan says so *or*
 * the app's allow-list is empty (libs/db origin-policy). `allowedOrigins` undefined: no app yet (the
 * create-app form), which starts with an empty list.
 */
export function originsAllowedText(plan: Pick<Plan, 'id' | 'anyOrigin'>, allowedOrigins?: readonly string[]): string {
  if (plan.anyOrigin) return `any origin (the ${plan.id} plan allows all)`;
  if (allowedOrigins === undefined) return 'any origin until you list some in Settings';
  if (allowedOrigins.length === 0) return 'any origin (the allow-list is empty)';
  return allowedOrigins.length === 1 ? `only ${allowedOrigins[0]}` : `only the ${allowedOrigins.length} listed in Settings`;
}
