// Inputs the fuzzer found that broke an invariant; each stays here as a regression test.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { tryParseJid } from '../../src/jid.js';
import { loadConfigFile } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/schema.js';

async function configErrorFor(text: string): Promise<ConfigError> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-fuzzreg-'));
  const file = path.join(dir, 'c.yaml');
  fs.writeFileSync(file, text);
  try {
    await loadConfigFile(file);
  } catch (err) {
    return err as ConfigError;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  throw new Error('the config was accepted');
}

describe('fuzz regressions', () => {
  it('jid: an invalid A-label that does not survive the IDNA round trip is refused', () => {
    expect(tryParseJid('ﬀ@x.xn--xn---')).to.equal(null);
  });

  it('config: an alias to an unknown anchor is a ConfigError, not a crash', async () => {
    const err = await configErrorFor('hosts:\n  localhost: {}\nlimits: *nothing\n');
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.match(/c\.yaml: YAML error: .*alias/i);
  });

  it('config: a mapping used as a key is refused with its line', async () => {
    const err = await configErrorFor('hosts:\n  localhost: {}\n{ a: 1 }: x\n');
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.message).to.match(/c\.yaml:3:1: a key must be a plain name/);
  });
});
