/**
 * MQTT topic filters (MQTT 5.0 §4.7) over Herald's channel names: `+` matches one level, `#` (last,
 * alone in its level) the level above and everything under it. A filter only ever meets the channels of
 * the connection's own app (the caller's job); topics starting with `$` are not matched by a filter
 * starting with a wildcard (§4.7.2; Herald's channel names never start with `$`).
 */

/** The characters of a channel name (libs/protocol's channel rule) without `/`: what a filter's literal level holds. */
const LEVEL_RE = /^[A-Za-z0-9_\-=@,.;:!]*$/;
/** As long as a channel name may be. */
export const MAX_FILTER_LENGTH = 164;

export function isWildcardFilter(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/** Why a topic filter is invalid, or undefined when it is valid. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0 || filter.length > MAX_FILTER_LENGTH) return `a topic filter has 1–${MAX_FILTER_LENGTH} characters`;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i];
    if (level === '#') {
      if (i !== levels.length - 1) return '# must be the last level';
    } else if (level !== '+') {
      if (level.includes('+') || level.includes('#')) return 'a wildcard must be a whole level';
      if (!LEVEL_RE.test(level)) return 'a topic filter level holds only channel name characters';
    }
  }
  return undefined;
}

/** A valid filter, split once into levels for matching. */
export class TopicFilter {
  private readonly levels: string[];

  constructor(readonly filter: string) {
    this.levels = filter.split('/');
  }

  matches(topic: string): boolean {
    const f = this.levels;
    if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
    const t = topic.split('/');
    for (let i = 0; i < f.length; i++) {
      if (f[i] === '#') return true; // "a/#" matches "a" too (§4.7.1.2)
      if (i >= t.length) return false;
      if (f[i] !== '+' && f[i] !== t[i]) return false;
    }
    return f.length === t.length;
  }
}
