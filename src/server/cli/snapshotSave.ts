// `capstan snapshot save`: etcdctl's Save (client/v3/snapshot/v3_snapshot.go @v3.5.21) — stream
// Maintenance.Snapshot from exactly one endpoint into `<path>.part`, require the sha256 trailer by the
// size rule, fsync, rename. Like etcdctl it does not verify the hash (restore does).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { hasSha256Trailer } from '../../snapshot/stream.js';
import { codecFor } from '../proto/codec.js';
import { protoRoot } from '../proto/load.js';
import { fsyncDir } from '../wal/durable-fs.js';
import { humanizeBytes } from './goFormat.js';

export interface SaveOptions {
  endpoints: readonly string[];
  dbPath: string;
  dialTimeoutMs: number;
  /** 0: no deadline, as etcdctl without --command-timeout. */
  commandTimeoutMs: number;
  tls: { cacert: string; cert: string; key: string; insecureSkipVerify: boolean } | null;
  /** etcdctl's --user/--password: authenticate first and send the token, as clientv3 does. */
  auth: { name: string; password: string } | null;
}

export type SaveLog = (msg: string, fields: Record<string, string | number>) => void;

const responseCodec = codecFor('etcdserverpb.SnapshotResponse');

function target(endpoint: string): { address: string; secure: boolean } {
  const m = /^(https?|unixs?):\/\/(.*)$/.exec(endpoint);
  if (m === null) return { address: endpoint, secure: false };
  return { address: m[2]!.replace(/\/+$/, ''), secure: m[1] === 'https' || m[1] === 'unixs' };
}

async function credentials(opts: SaveOptions, secure: boolean): Promise<grpc.ChannelCredentials> {
  if (opts.tls === null && !secure) return grpc.credentials.createInsecure();
  const t = opts.tls ?? { cacert: '', cert: '', key: '', insecureSkipVerify: false };
  const read = (f: string) => (f === '' ? null : fs.readFile(f));
  const [ca, cert, key] = await Promise.all([read(t.cacert), read(t.cert), read(t.key)]);
  return grpc.credentials.createSsl(
    ca,
    key,
    cert,
    t.insecureSkipVerify ? { checkServerIdentity: () => undefined, rejectUnauthorized: false } : {},
  );
}

/** grpc-go's codes.Code String(): INVALID_ARGUMENT → InvalidArgument, as etcdctl prints it. */
function goCodeName(code: grpc.status): string {
  const name = grpc.status[code] ?? `Code(${code})`;
  return name === 'OK' ? 'OK' : name.toLowerCase().replace(/(^|_)([a-z])/g, (_m, _u: string, c: string) => c.toUpperCase());
}

/** clientv3's toErr: etcd's own errors print as their text; anything else as grpc-go's status string. */
const rpcError = (error: grpc.ServiceError): Error =>
  new Error(
    error.details.startsWith('etcdserver: ')
      ? error.details
      : `rpc error: code = ${goCodeName(error.code)} desc = ${error.details}`,
  );

const authenticateRequest = protoRoot.lookupType('etcdserverpb.AuthenticateRequest');
const authenticateResponse = protoRoot.lookupType('etcdserverpb.AuthenticateResponse');

/** Auth.Authenticate; etcd's errors come back as the gRPC status text clientv3 prints. */
function authenticate(client: grpc.Client, auth: { name: string; password: string }, deadline: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest(
      '/etcdserverpb.Auth/Authenticate',
      (req: { name: string; password: string }) => Buffer.from(authenticateRequest.encode(authenticateRequest.fromObject(req)).finish()),
      (bytes: Buffer) => String(authenticateResponse.toObject(authenticateResponse.decode(bytes))['token'] ?? ''),
      auth,
      { deadline },
      (error, token) => {
        if (error) reject(rpcError(error));
        else resolve(token ?? '');
      },
    );
  });
}

/** Streams the snapshot into `file`; resolves with the byte count. */
async function download(opts: SaveOptions, file: fs.FileHandle): Promise<number> {
  const endpoint = opts.endpoints[0]!;
  const { address, secure } = target(endpoint);
  const client = new grpc.Client(address, await credentials(opts, secure));
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + opts.dialTimeoutMs, (error) => (error ? reject(new Error('context deadline exceeded')) : resolve())),
    );
    const deadline = opts.commandTimeoutMs > 0 ? Date.now() + opts.commandTimeoutMs : Infinity;
    const metadata = new grpc.Metadata();
    if (opts.auth !== null) metadata.set('token', await authenticate(client, opts.auth, Date.now() + opts.dialTimeoutMs + 5000));
    const call = client.makeServerStreamRequest(
      '/etcdserverpb.Maintenance/Snapshot',
      (request: Buffer) => request,
      (bytes: Buffer) => bytes,
      Buffer.alloc(0),
      metadata,
      { deadline },
    );
    let size = 0;
    // Writes are chained so the file receives blobs in stream order; the stream pauses while one is pending.
    let chain: Promise<void> = Promise.resolve();
    await new Promise<void>((resolve, reject) => {
      call.on('data', (bytes: Buffer) => {
        const blob = responseCodec.decode(bytes).blob;
        size += blob.length;
        call.pause();
        chain = chain.then(async () => {
          await file.write(blob);
          call.resume();
        });
        chain.catch((error: unknown) => {
          call.cancel();
          reject(error as Error);
        });
      });
      call.on('error', (error: grpc.ServiceError) => reject(rpcError(error)));
      call.on('end', () => chain.then(resolve, reject));
    });
    return size;
  } finally {
    client.close();
  }
}

export async function saveSnapshot(opts: SaveOptions, log: SaveLog): Promise<void> {
  if (opts.endpoints.length !== 1) {
    throw new Error(`snapshot must be requested to one selected node, not multiple [${opts.endpoints.join(' ')}]`);
  }
  const partPath = `${opts.dbPath}.part`;
  let file: fs.FileHandle;
  try {
    file = await fs.open(partPath, 'w', 0o600);
  } catch (error) {
    throw new Error(`could not open ${partPath} (${(error as Error).message})`);
  }
  try {
    log('created temporary db file', { path: partPath });
    const started = Date.now();
    log('fetching snapshot', { endpoint: opts.endpoints[0]! });
    const size = await download(opts, file);
    if (!hasSha256Trailer(size)) throw new Error(`sha256 checksum not found [bytes: ${size}]`);
    await file.sync();
    await file.close();
    log('fetched snapshot', { endpoint: opts.endpoints[0]!, size: humanizeBytes(size), took: `${((Date.now() - started) / 1000).toFixed(3)}s` });
    try {
      await fs.rename(partPath, opts.dbPath);
    } catch (error) {
      throw new Error(`could not rename ${partPath} to ${opts.dbPath} (${(error as Error).message})`);
    }
    await fsyncDir(path.dirname(path.resolve(opts.dbPath)));
    log('saved', { path: opts.dbPath });
  } finally {
    await file.close().catch(() => undefined);
    await fs.rm(partPath, { force: true });
  }
}
