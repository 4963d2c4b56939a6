// One request on its own raw connection, for what an HTTP client library will not send
// (malformed or unusual requests) or not do (half-close, reset): the bytes go out as
// given and everything the server sends is read until it closes the connection.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export type Ending = 'wait' | 'half-close' | 'reset';

async function resetOnce(socket: Socket, arrived: () => boolean): Promise<void> {
  const deadline = Date.now() + 1000;
  while (!arrived() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 1));
  socket.resetAndDestroy();
}

/** Sends `text`, then waits for the server to close (`wait`), half-closes first
 *  (`half-close`: shutdown(SHUT_WR)), or resets (`reset`) once `arrived()` says the server
 *  has the request (a reset that overtakes it would drop the request unread). A server
 *  that never closes is given up on after `stuckMs`: what it sent so far is returned. */
export async function sendRaw(port: number, text: string, ending: Ending = 'wait', stuckMs = 5000, arrived: () => boolean = () => true): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let data = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  socket.write(text);
  if (ending === 'half-close') socket.end();
  if (ending === 'reset') void resetOnce(socket, arrived);
  const stuck = setTimeout(() => socket.destroy(), stuckMs);
  await closed;
  clearTimeout(stuck);
  return data;
}
