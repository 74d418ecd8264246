// A test server with HTTP listeners (plain and TLS) beside the c2s ones, for the WebSocket, BOSH and web tests.
import { startTestServer, type TestServer, type TestServerOptions } from './server.js';

export interface WebTestServer extends TestServer {
  httpPort: number;
  httpsPort: number;
  /** http://127.0.0.1:PORT */
  httpUrl: string;
}

export interface WebServerOverrides {
  /** Options for both HTTP listeners (e.g. maxBodyBytes, requestTimeoutSeconds). */
  http?: Record<string, unknown>;
  [key: string]: unknown;
}

export async function startWebServer(modules: Record<string, unknown>, overrides: WebServerOverrides = {}, opts: TestServerOptions = {}): Promise<WebTestServer> {
  const { http = {}, ...rest } = overrides;
  const t = await startTestServer({
    ...rest,
    modules,
    listen: [
      { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'starttls' },
      { service: 'c2s', address: '127.0.0.1', port: 0, tls: 'direct' },
      { service: 'http', address: '127.0.0.1', port: 0, tls: 'none', ...http },
      { service: 'http', address: '127.0.0.1', port: 0, tls: 'direct', ...http },
    ],
  }, ['localhost'], opts);
  const addrs = t.server.addresses();
  const httpPort = addrs.find((a) => a.service === 'http' && a.tls === 'none')!.port;
  const httpsPort = addrs.find((a) => a.service === 'http' && a.tls === 'direct')!.port;
  return { ...t, httpPort, httpsPort, httpUrl: `http://127.0.0.1:${httpPort}` };
}
