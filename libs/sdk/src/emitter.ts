/** A typed event emitter: listeners keyed by event name, arguments checked against the event map. */
type Fn = (...args: never[]) => void;

export class Emitter<Events extends { [K in keyof Events]: Fn }> {
  private readonly listeners = new Map<keyof Events, Set<Fn>>();

  on<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  once<K extends keyof Events>(event: K, listener: Events[K]): () => void {
    const wrapped = ((...args: Parameters<Events[K]>) => {
      off();
      listener(...args);
    }) as Events[K];
    const off = this.on(event, wrapped);
    return off;
  }

  off<K extends keyof Events>(event: K, listener?: Events[K]): void {
    if (!listener) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(listener);
  }

  /** A throwing listener must not break delivery to the others, nor the SDK's own state. */
  protected emit<K extends keyof Events>(event: K, ...args: Parameters<Events[K]>): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        (l as (...a: Parameters<Events[K]>) => void)(...args);
      } catch (e) {
        reportLater(e);
      }
    }
  }
}

/** Rethrows outside the SDK's call stack, so the app sees its own bug without breaking ours. */
export function reportLater(e: unknown): void {
  setTimeout(() => {
    throw e;
  }, 0);
}
