// A small authoritative DNS server over UDP for federation tests: it answers SRV and A queries from a table and
// NXDOMAIN for everything else, so Node's real resolver (dns.Resolver with s2s.dnsServers) is exercised end to end.
import dgram from 'node:dgram';

export interface DnsTable {
  a?: Record<string, string>;
  srv?: Record<string, { priority: number; weight: number; port: number; target: string }[]>;
}

const TYPE_A = 1;
const TYPE_SRV = 33;

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])), Buffer.from([0])]);
}

function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (msg[i] !== 0) {
    const len = msg[i]!;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString('ascii'));
    i += len + 1;
  }
  return { name: labels.join('.').toLowerCase(), end: i + 1 };
}

function answer(query: Buffer, table: DnsTable): Buffer {
  const { name, end } = readName(query, 12);
  const qtype = query.readUInt16BE(end);
  const question = query.subarray(12, end + 4);
  const records: Buffer[] = [];
  const rr = (type: number, rdata: Buffer) => {
    const head = Buffer.alloc(12);
    head.writeUInt16BE(0xc00c, 0);   // pointer to the question's name
    head.writeUInt16BE(type, 2);
    head.writeUInt16BE(1, 4);        // IN
    head.writeUInt32BE(60, 6);
    head.writeUInt16BE(rdata.length, 10);
    records.push(head, rdata);
  };
  const a = table.a?.[name];
  const srv = table.srv?.[name];
  if (qtype === TYPE_A && a) rr(TYPE_A, Buffer.from(a.split('.').map(Number)));
  if (qtype === TYPE_SRV && srv) {
    for (const s of srv) {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(s.priority, 0);
      fixed.writeUInt16BE(s.weight, 2);
      fixed.writeUInt16BE(s.port, 4);
      rr(TYPE_SRV, Buffer.concat([fixed, encodeName(s.target)]));
    }
  }
  const known = a !== undefined || srv !== undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0);                       // id
  header.writeUInt16BE(0x8400 | (known ? 0 : 3), 2);                    // response, authoritative, NOERROR/NXDOMAIN
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(records.length / 2, 6);
  return Buffer.concat([header, question, ...records]);
}

export async function startDnsServer(table: DnsTable, address = '127.0.0.1'): Promise<{ server: string; queries: string[]; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    try {
      queries.push(readName(msg, 12).name);
      socket.send(answer(msg, table), rinfo.port, rinfo.address);
    } catch { /* a malformed query gets no answer */ }
  });
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const { port } = socket.address();
  return { server: `${address}:${port}`, queries, close: () => new Promise((r) => socket.close(() => r())) };
}
