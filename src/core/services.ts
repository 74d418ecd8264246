// Typed services that modules of one host offer each other (ctx.provide / ctx.use), so a module
// never imports another module's files.
export class ServiceRegistry {
  #services = new Map<string, { service: unknown; owner: string }>();

  provide(name: string, service: unknown, owner: string): () => void {
    const prev = this.#services.get(name);
    if (prev) throw new Error(`service '${name}' is already provided by module ${prev.owner}`);
    const entry = { service, owner };
    this.#services.set(name, entry);
    return () => {
      if (this.#services.get(name) === entry) this.#services.delete(name);
    };
  }

  get(name: string): unknown {
    return this.#services.get(name)?.service;
  }
}
