import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { resolveConfig } from '../../src/config/load.js';
import {
  checkCertificate, generateSelfSigned, loadHostCertificate, writeCertificate,
} from '../../src/net/certs.js';

const DAY = 24 * 3600 * 1000;

describe('certificates', () => {
  // RSA key generation takes 0.2–1.3 s; generate the pairs once.
  let example: { cert: string; key: string };
  let other: { cert: string; key: string };
  let dir: string;

  before(function () {
    this.timeout(30_000);
    example = generateSelfSigned('example.com');
    other = generateSelfSigned('other.example', { days: 10 });
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'starling-certs-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('generateSelfSigned', () => {
    it('makes an RSA-2048, SHA-256 certificate with CN=host and DNS SANs host and *.host', () => {
      const x = new X509Certificate(example.cert);
      expect(x.subject).to.equal('CN=example.com');
      expect(x.issuer).to.equal('CN=example.com');
      expect(x.subjectAltName).to.equal('DNS:example.com, DNS:*.example.com');
      expect(x.publicKey.asymmetricKeyType).to.equal('rsa');
      expect(x.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
      expect(x.ca).to.equal(false);
      expect(x.verify(x.publicKey)).to.equal(true);   // self-signed
      // sha256WithRSAEncryption (1.2.840.113549.1.1.11) as DER.
      expect(x.raw.includes(Buffer.from('06092a864886f70d01010b', 'hex'))).to.equal(true);
      expect(example.key).to.match(/^-----BEGIN RSA PRIVATE KEY-----/);
    });

    it('is valid from now for 825 days by default, or `days`', () => {
      const x = new X509Certificate(example.cert);
      const from = new Date(x.validFrom).getTime();
      const to = new Date(x.validTo).getTime();
      expect(from).to.be.at.most(Date.now());
      expect(from).to.be.at.least(Date.now() - DAY);
      expect(Math.round((to - Date.now()) / DAY)).to.equal(825);
      const y = new X509Certificate(other.cert);
      expect(Math.round((new Date(y.validTo).getTime() - Date.now()) / DAY)).to.equal(10);
    });

    it('uses a random positive serial number', () => {
      const a = new X509Certificate(example.cert).serialNumber;
      const b = new X509Certificate(other.cert).serialNumber;
      expect(a).to.not.equal(b);
      expect(a.length).to.be.at.least(16);
      expect(parseInt(a.slice(0, 2), 16)).to.be.below(0x80);
    });
  });

  describe('checkCertificate', () => {
    it('accepts the host itself', () => {
      expect(checkCertificate(example.cert, example.key, 'example.com')).to.deep.equal([]);
    });

    it('accepts a subdomain through the wildcard', () => {
      expect(checkCertificate(example.cert, example.key, 'conference.example.com')).to.deep.equal([]);
    });

    it('refuses another host, and a name two labels down', () => {
      const [p] = checkCertificate(example.cert, example.key, 'example.org');
      expect(p).to.equal('the certificate does not cover example.org (it names DNS:example.com, DNS:*.example.com)');
      expect(checkCertificate(example.cert, example.key, 'a.b.example.com')).to.have.length(1);
    });

    it('detects a key that does not match', () => {
      expect(checkCertificate(example.cert, other.key, 'example.com')).to.deep.equal(['the private key does not match the certificate']);
    });

    it('detects an expired certificate and one not yet valid', () => {
      const later = new Date(Date.now() + 900 * DAY);
      const [p] = checkCertificate(example.cert, example.key, 'example.com', later);
      expect(p).to.match(/^the certificate expired on \d{4}-/);
      const earlier = new Date(Date.now() - 2 * DAY);
      expect(checkCertificate(example.cert, example.key, 'example.com', earlier)[0]).to.match(/^the certificate is not valid until /);
    });

    it('warns when it expires within 14 days', () => {
      expect(checkCertificate(other.cert, other.key, 'other.example')).to.deep.equal([
        `warning: the certificate expires in 10 days (${new Date(new X509Certificate(other.cert).validTo).toISOString()})`,
      ]);
      const soon = new Date(Date.now() + 820 * DAY);
      expect(checkCertificate(example.cert, example.key, 'example.com', soon)[0]).to.match(/^warning: the certificate expires in [56] days/);
    });

    it('reports text that is not PEM', () => {
      expect(checkCertificate('nonsense', 'nonsense', 'example.com')).to.deep.equal([
        'the certificate is not a valid PEM X.509 certificate',
        'the private key is not a valid PEM private key (or it is encrypted)',
      ]);
    });
  });

  describe('writeCertificate', () => {
    it('writes <dir>/<host>.crt and a mode-0600 <host>.key, creating the directory', () => {
      const out = path.join(dir, 'a', 'b');
      const paths = writeCertificate(out, 'example.com', example);
      expect(paths).to.deep.equal({ certPath: path.join(out, 'example.com.crt'), keyPath: path.join(out, 'example.com.key') });
      expect(fs.readFileSync(paths.certPath, 'utf8')).to.equal(example.cert);
      expect(fs.readFileSync(paths.keyPath, 'utf8')).to.equal(example.key);
      expect(fs.statSync(paths.keyPath).mode & 0o777).to.equal(0o600);
    });

    it('refuses a host name that would escape the directory', () => {
      expect(() => writeCertificate(dir, '../x', example)).to.throw(/file name/);
    });
  });

  describe('loadHostCertificate', () => {
    const config = (extra: Record<string, unknown> = {}) =>
      resolveConfig({ hosts: { 'example.com': {} }, certsDir: path.join(dir, 'certs'), ...extra }, null);

    it('uses <certsDir>/<host>.crt and .key when present', async () => {
      writeCertificate(path.join(dir, 'certs'), 'example.com', example);
      const c = await loadHostCertificate(config(), 'example.com');
      expect(c).to.include({ cert: example.cert, key: example.key, generated: false });
      expect(c.certPath).to.equal(path.join(dir, 'certs', 'example.com.crt'));
    });

    it('uses hosts.<host>.tls when set', async () => {
      const p = writeCertificate(path.join(dir, 'elsewhere'), 'x', example);
      const c = await loadHostCertificate(config({ hosts: { 'example.com': { tls: { cert: p.certPath, key: p.keyPath } } } }), 'example.com');
      expect(c).to.include({ certPath: p.certPath, keyPath: p.keyPath, generated: false, cert: example.cert });
    });

    it('generates and writes a self-signed one when missing, with a warning', async function () {
      this.timeout(30_000);
      const warnings: string[] = [];
      const log = { warn: (_o: unknown, msg: string) => void warnings.push(msg) } as unknown as Parameters<typeof loadHostCertificate>[2];
      const c = await loadHostCertificate(config(), 'example.com', log);
      expect(c.generated).to.equal(true);
      expect(fs.readFileSync(path.join(dir, 'certs', 'example.com.crt'), 'utf8')).to.equal(c.cert);
      expect(checkCertificate(c.cert, c.key, 'example.com')).to.deep.equal([]);
      expect(warnings.join('\n')).to.contain('self-signed');
    });

    it('says what to do when missing and generation is off', async () => {
      try {
        await loadHostCertificate(config({ tls: { generateMissing: false } }), 'example.com');
        expect.fail('should throw');
      } catch (err) {
        expect((err as Error).message).to.contain('example.com has no certificate').and.contain('starling cert generate example.com');
      }
    });

    it('refuses a key that does not match', async () => {
      const p = writeCertificate(path.join(dir, 'certs'), 'example.com', { cert: example.cert, key: other.key });
      try {
        await loadHostCertificate(config(), 'example.com');
        expect.fail('should throw');
      } catch (err) {
        expect((err as Error).message).to.equal(`host example.com: ${p.certPath}: the private key does not match the certificate`);
      }
    });
  });
});
