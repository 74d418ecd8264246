// Host certificates (ARCHITECTURE.md §B3): node-forge only *builds* self-signed certificates (RSA-2048 with forge's
// default keygen, which uses Node's native generator, SHA-256, DNS SANs host and *.host); every check of a
// certificate uses Node's own crypto.X509Certificate, never forge.
import { createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';
import type { LoadedConfig } from '../config/schema.js';
import type { Logger } from '../log.js';

export interface CertificatePair {
  cert: string;   // PEM
  key: string;    // PEM
}

export interface HostCertificate extends CertificatePair {
  certPath: string;
  keyPath: string;
  /** True when it was generated (self-signed) just now because none existed. */
  generated: boolean;
}

const DAY_MS = 24 * 3600 * 1000;
/** Certificates expiring within this many days get a warning. */
export const EXPIRY_WARNING_DAYS = 14;

/** A self-signed certificate for `host` (CN=host, SANs host and *.host), valid `days` days (default 825). */
export function generateSelfSigned(host: string, opts: { days?: number } = {}): CertificatePair {
  const days = opts.days ?? 825;
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive integer, got ${days}`);
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive serial: 16 random bytes with the top bit cleared.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 5 * 60 * 1000);   // a little slack for clock skew
  cert.validity.notAfter = new Date(now + days * DAY_MS);
  const name = [{ name: 'commonName', value: host }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: host }, { type: 2, value: `*.${host}` }] },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

function checkFileName(host: string): void {
  if (host.length === 0 || host.includes('/') || host.includes('\\') || host.startsWith('.')) {
    throw new Error(`"${host}" cannot be used as a certificate file name`);
  }
}

/** The files a host's certificate is looked up under in a directory: `<dir>/<host>.crt` and `<dir>/<host>.key`. */
export function certificatePaths(dir: string, host: string): { certPath: string; keyPath: string } {
  checkFileName(host);
  return { certPath: path.join(dir, `${host}.crt`), keyPath: path.join(dir, `${host}.key`) };
}

/** Writes `<dir>/<host>.crt` and `<dir>/<host>.key` (mode 0600), creating the directory. Replaces existing files. */
export function writeCertificate(dir: string, host: string, pair: CertificatePair): { certPath: string; keyPath: string } {
  const paths = certificatePaths(dir, host);
  fs.mkdirSync(dir, { recursive: true });
  // Tighten an existing key file before new key material goes into it.
  if (fs.existsSync(paths.keyPath)) fs.chmodSync(paths.keyPath, 0o600);
  fs.writeFileSync(paths.keyPath, pair.key, { mode: 0o600 });
  fs.chmodSync(paths.keyPath, 0o600);
  fs.writeFileSync(paths.certPath, pair.cert, { mode: 0o644 });
  return paths;
}

/**
 * The certificate a host serves: `hosts[host].tls` when configured; else `<certsDir>/<host>.crt/.key` when present;
 * else, with `tls.generateMissing`, a fresh self-signed one written there (with a warning); else an Error saying
 * what to do.
 */
export async function loadHostCertificate(config: LoadedConfig, host: string, log?: Logger): Promise<HostCertificate> {
  const hostConfig = config.hosts[host];
  let certPath: string;
  let keyPath: string;
  let generated = false;
  if (hostConfig?.tls) {
    certPath = hostConfig.tls.cert;
    keyPath = hostConfig.tls.key;
  } else {
    ({ certPath, keyPath } = certificatePaths(config.certsDir, host));
    const hasCert = fs.existsSync(certPath);
    const hasKey = fs.existsSync(keyPath);
    if (hasCert !== hasKey) {
      throw new Error(`host ${host}: found ${hasCert ? certPath : keyPath} but not ${hasCert ? keyPath : certPath}; `
        + `supply both, or remove it and run "starling cert generate ${host}"`);
    }
    if (!hasCert) {
      if (!config.tls.generateMissing) {
        throw new Error(`host ${host} has no certificate: put ${host}.crt and ${host}.key in ${config.certsDir}, `
          + `set hosts.${host}.tls in the configuration, run "starling cert generate ${host}", `
          + 'or set tls.generateMissing: true');
      }
      writeCertificate(config.certsDir, host, generateSelfSigned(host));
      generated = true;
      log?.warn({ host, cert: certPath },
        `generated a self-signed certificate for ${host}; clients will not trust it until you replace it with one from a CA`);
    }
  }
  let cert: string;
  let key: string;
  try {
    [cert, key] = await Promise.all([fs.promises.readFile(certPath, 'utf8'), fs.promises.readFile(keyPath, 'utf8')]);
  } catch (err) {
    throw new Error(`host ${host}: cannot read its certificate: ${(err as Error).message}`);
  }
  const { problems, usable } = inspectCertificate(cert, key, host, new Date());
  if (!usable) throw new Error(`host ${host}: ${certPath}: ${problems.join('; ')}`);
  for (const p of problems) log?.warn({ host, cert: certPath }, `certificate for ${host}: ${p.replace(/^warning: /, '')}`);
  return { cert, key, certPath, keyPath, generated };
}

function parseCertificate(pem: string): X509Certificate | null {
  try {
    return new X509Certificate(pem);
  } catch {
    return null;
  }
}

function parseKey(pem: string): KeyObject | null {
  try {
    return createPrivateKey(pem);
  } catch {
    return null;
  }
}

function inspectCertificate(certPem: string, keyPem: string, host: string, now: Date): { problems: string[]; usable: boolean } {
  const problems: string[] = [];
  const x509 = parseCertificate(certPem);
  const key = parseKey(keyPem);
  if (!x509) problems.push('the certificate is not a valid PEM X.509 certificate');
  if (!key) problems.push('the private key is not a valid PEM private key (or it is encrypted)');
  if (!x509 || !key) return { problems, usable: false };
  let usable = true;
  if (!x509.checkPrivateKey(key)) {
    problems.push('the private key does not match the certificate');
    usable = false;
  }
  if (x509.checkHost(host) === undefined) {
    const names = x509.subjectAltName ?? x509.subject.replace(/\n/g, ', ');
    problems.push(`the certificate does not cover ${host} (it names ${names})`);
  }
  const from = new Date(x509.validFrom);
  const to = new Date(x509.validTo);
  if (now.getTime() < from.getTime()) {
    problems.push(`the certificate is not valid until ${from.toISOString()}`);
  } else if (now.getTime() > to.getTime()) {
    problems.push(`the certificate expired on ${to.toISOString()}`);
  } else if (to.getTime() - now.getTime() < EXPIRY_WARNING_DAYS * DAY_MS) {
    const days = Math.ceil((to.getTime() - now.getTime()) / DAY_MS);
    problems.push(`warning: the certificate expires in ${days} day${days === 1 ? '' : 's'} (${to.toISOString()})`);
  }
  return { problems, usable };
}

/**
 * Problems with a certificate and key for a host (empty when fine), using Node's X509Certificate only: the key
 * matches, the certificate covers the host (wildcards included), it is within its validity period. Expiry within
 * 14 days is reported with the prefix "warning:".
 */
export function checkCertificate(certPem: string, keyPem: string, host: string, now: Date = new Date()): string[] {
  return inspectCertificate(certPem, keyPem, host, now).problems;
}
