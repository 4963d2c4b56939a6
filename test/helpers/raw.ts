// One request on its own raw connection, for what an HTTP client library will not send
// (malformed or unusual requests) or not do (half-close, reset): the bytes go out as
// given and everything the server sends is read until it closes the connection.
import { once } from 'node:events';
import { connect } from 'node:net';

export type Ending = 'wait' | 'half-close' | 'reset';

/** Sends `text`, then waits for the server to close (`wait`), half-closes first
 *  (`half-close`: shutdown(SHUT_WR)), or resets right after (`reset`). A server that
 *  never closes is given up on after `stuckMs`: what it sent so far is returned. */
export async function sendRaw(port: number, text: string, ending: Ending = 'wait', stuckMs = 5000): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let data = '';
  socket.setEncoding('latin1').on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => {});
  const closed = once(socket, 'close');
  socket.write(text);
  if (ending === 'half-close') socket.end();
  if (ending === 'reset') setTimeout(() => socket.resetAndDestroy(), 2);
  const stuck = setTimeout(() => socket.destroy(), stuckMs);
  await closed;
  clearTimeout(stuck);
  return data;
}
