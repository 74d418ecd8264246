// The README's XEP table is the public statement of what Starling implements: every XEP a module claims (in its
// definition's `xeps`) must have a row there with the same version and module, so the two cannot drift apart.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { builtinModules } from '../../modules/index.js';

const README = fs.readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../README.md'), 'utf8');

describe('README XEP table', () => {
  it('has a row for every XEP a built-in module claims, with its version and module', () => {
    const missing: string[] = [];
    for (const [name, m] of builtinModules) {
      for (const x of m.xeps ?? []) {
        const row = new RegExp(`^\\| XEP-${String(x.xep).padStart(4, '0')} [^|]*\\| ${x.version.replace(/\./g, '\\.')} \\| \`${name}\``, 'm');
        if (!row.test(README)) missing.push(`XEP-${x.xep} ${x.version} (${name})`);
      }
    }
    expect(missing).to.deep.equal([]);
  });
});
