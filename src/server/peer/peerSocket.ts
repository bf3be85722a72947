// Opens and serves peer connections in the URL's scheme: http:// and unix:// are plain TCP / unix
// sockets, https:// and unixs:// the same under TLS (the member's PeerTls). Everything above this
// file sees a net.Socket that is ready for frames.

import net from 'node:net';
import tls from 'node:tls';
import type { ParsedUrl } from '../config/urls.js';
import type { PeerTls } from '../tls/peerTls.js';
import { handshakeErrorText } from '../tls/peerTlsChecks.js';
import { connectOptions } from './dialTarget.js';

// Not clientTls's: the transport must not load grpc-js (only PeerTls's type comes from there).
const isSecureScheme = (url: ParsedUrl): boolean => url.scheme === 'https' || url.scheme === 'unixs';

export interface PeerDial {
  socket: net.Socket;
  /** The event after which frames may be written: TCP connected, or the TLS handshake done. */
  readyEvent: 'connect' | 'secureConnect';
}

/** Dials `url`; TLS for https:// and unixs:// (a member without peer TLS settings cannot). */
export function dialPeer(url: ParsedUrl, peerTls: PeerTls | null): PeerDial {
  const address = connectOptions(url);
  if (!isSecureScheme(url)) return { socket: net.connect(address), readyEvent: 'connect' };
  if (peerTls === null) throw new Error(`peer TLS is not configured for ${url.text}`);
  return { socket: tls.connect({ ...peerTls.dialOptions(url), ...address }), readyEvent: 'secureConnect' };
}

export interface PeerListenerEvents {
  /** A connection ready for frames (for TLS: handshake done and the peer's certificate accepted). */
  accept(socket: net.Socket): void;
  /** A TLS connection refused (etcd logs `rejected connection on peer endpoint`). */
  rejected(remoteAddress: string, serverName: string, reason: string, certificate: tls.PeerCertificate | null): void;
}

/** A server for one listen URL; TLS ones take their files' reloads. Not yet listening. */
export function createPeerServer(url: ParsedUrl, peerTls: PeerTls | null, handshakeTimeoutMs: number, events: PeerListenerEvents): net.Server {
  if (!isSecureScheme(url)) return net.createServer((socket) => events.accept(socket));
  if (peerTls === null || !peerTls.canListen) throw new Error(`invariant: no peer certificate to listen on ${url.text}`);
  const remote = (s: net.Socket): string => (s.remoteAddress === undefined ? '' : `${s.remoteAddress}:${s.remotePort ?? 0}`);
  const server = tls.createServer({ ...peerTls.listenerOptions(), handshakeTimeout: handshakeTimeoutMs }, (socket) => {
    // Until the verdict, nothing reads the socket (it is paused), so no frame slips through.
    peerTls.refusal(socket).then(
      (reason) => {
        if (socket.destroyed) return;
        if (reason === null) return events.accept(socket);
        const cert = socket.getPeerCertificate();
        events.rejected(remote(socket), servername(socket), reason, Object.keys(cert).length > 0 ? cert : null);
        socket.destroy();
      },
      (error: unknown) => {
        events.rejected(remote(socket), servername(socket), (error as Error).message, null);
        socket.destroy();
      },
    );
  });
  server.on('tlsClientError', (error, socket) => {
    events.rejected(remote(socket), servername(socket), handshakeErrorText(error), null);
  });
  peerTls.onListenerReload((options) => server.setSecureContext(options));
  return server;
}

function servername(socket: tls.TLSSocket): string {
  const name: unknown = (socket as tls.TLSSocket & { servername?: unknown }).servername;
  return typeof name === 'string' ? name : '';
}
