import { expect } from 'chai';
import { z } from 'zod';
import { Element } from 'ltx';
import { defineModule, type ModuleDefinition } from '../../src/api/index.js';
import { VirtualHost } from '../../src/core/host.js';
import { Router } from '../../src/core/router.js';
import { checkModuleOptions, loadHostModules } from '../../src/core/modules.js';
import { configSchema, type LoadedConfig } from '../../src/config/schema.js';
import { openStorage } from '../../src/storage/index.js';
import { silentLogger } from '../../src/log.js';

function config(raw: Record<string, unknown>): LoadedConfig {
  return { ...configSchema.parse(raw), file: null, locate: (p) => `test.yaml:${p.join('.')}` };
}

const order: string[] = [];
const base = defineModule({
  name: 'base',
  description: 'test dependency',
  options: z.object({ greeting: z.string().default('hello') }).strict(),
  setup(ctx) {
    order.push(`base:${ctx.options.greeting}`);
    ctx.addFeature('urn:test:base');
  },
});
const user = defineModule({
  name: 'user',
  description: 'test module using every registration',
  depends: ['base'],
  options: z.object({ limit: z.number().int().positive().default(3) }).strict(),
  setup(ctx) {
    order.push(`user:${ctx.options.limit}`);
    ctx.hook('server-started', () => undefined);
    ctx.iq.get('host', 'urn:test', 'q', () => new Element('q', { xmlns: 'urn:test' }));
    ctx.addFeature('urn:test');
    ctx.addIdentity('automation', 'test', 'T');
    ctx.addDiscoItem({ jid: 'svc.localhost' });
    ctx.addRoute('svc.localhost', () => undefined);
    ctx.timer(10_000, () => undefined, { repeat: true });
    ctx.onUnload(() => void order.push('user:unloaded'));
  },
});
const registry = new Map<string, ModuleDefinition<any>>([[base.name, base], [user.name, user]]);

describe('module loader', () => {
  it('loads dependencies first with defaults, then undoes every registration on unload', async () => {
    order.length = 0;
    const cfg = config({ hosts: { localhost: {} }, modules: { user: { limit: 7 } } });
    const host = new VirtualHost('localhost', cfg.hosts.localhost!, silentLogger());
    const router = new Router(new Map([['localhost', host]]), silentLogger());
    const storage = await openStorage({ driver: 'memory' });
    const env = { router, storage, scramIterations: 4096, log: silentLogger(), server: { name: 'S', version: '0', startedAt: 0, hosts: () => ['localhost'] } };
    const loaded = await loadHostModules(host, cfg, registry, env);
    expect(order).to.deep.equal(['base:hello', 'user:7']);
    expect(host.disco.features()).to.deep.equal(['urn:test', 'urn:test:base']);
    expect(host.iq.find('host', 'get', 'urn:test', 'q')).to.not.equal(undefined);
    expect(host.bus.has('server-started')).to.equal(true);
    expect(router.isLocalDomain('svc.localhost')).to.equal(true);

    for (const m of loaded.reverse()) await m.unload();
    expect(order).to.include('user:unloaded');
    expect(host.disco.features()).to.deep.equal([]);
    expect(host.disco.identities()).to.deep.equal([]);
    expect(host.disco.items()).to.deep.equal([]);
    expect(host.iq.find('host', 'get', 'urn:test', 'q')).to.equal(undefined);
    expect(host.bus.has('server-started')).to.equal(false);
    expect(router.isLocalDomain('svc.localhost')).to.equal(false);
    await storage.close();
  });

  it('merges host overrides and lets a host disable a module', () => {
    const cfg = config({ hosts: { a: { modules: { user: false } }, b: { modules: { user: { limit: 9 } } } }, modules: { base: {}, user: {} } });
    expect(checkModuleOptions(cfg, registry)).to.deep.equal([]);
  });

  it('reports unknown modules and bad options with the key path and location', () => {
    const cfg = config({ hosts: { localhost: { modules: { user: { limit: -1 } } } }, modules: { nope: {}, base: { greeting: 5, extra: true } } });
    const problems = checkModuleOptions(cfg, registry);
    expect(problems.join('\n')).to.include("modules.nope: unknown module 'nope' (available: base, user)");
    expect(problems.join('\n')).to.match(/modules\.base\.greeting: .*expected string/);
    expect(problems.join('\n')).to.match(/modules\.base: .*extra/);
    expect(problems.join('\n')).to.match(/hosts\.localhost\.modules\.user\.limit: Too small/);
    expect(problems[0]).to.match(/^test\.yaml:/);
  });
});
