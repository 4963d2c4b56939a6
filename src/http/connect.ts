// CONNECT never reaches the 'request' listener: node:http hands the raw socket to a
// 'connect' listener, or destroys it without a word when there is none. This answers it
// through the same listener as every other request (a 501 problem, counted and logged),
// on a response built for the socket, and closes the connection after it: what follows
// a CONNECT on the wire is tunnel data, not HTTP.
import type { IncomingMessage, Server, ServerResponse as Response } from 'node:http';
import { ServerResponse } from '../platform/node-http.js';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export function answerConnect(server: Server, listener: (req: IncomingMessage, res: Response) => void): void {
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    if (!(socket instanceof Socket)) {
      socket.destroy();
      return;
    }
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.once('finish', () => {
      res.detachSocket(socket);
      socket.destroySoon();
    });
    listener(req, res);
  });
}
