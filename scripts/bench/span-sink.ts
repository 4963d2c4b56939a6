// A quiet OTLP/HTTP collector for the traced scenario: it reads each POST to the end and
// answers 200 with an empty success in the body's own encoding, and nothing more, so that
// what a traced run measures is the exporting server's cost, not a collector's. Run as its
// own process (PORT), placed with the load generator; at SIGTERM it writes how much it got
// to stderr (the bench keeps it in span-sink-<scenario>.log).
import { createServer } from 'node:http';

let posts = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => (bytes += chunk.length));
  req.on('end', () => {
    posts++;
    // An empty ExportTraceServiceResponse: zero bytes in protobuf, {} in JSON.
    if (req.headers['content-type'] === 'application/x-protobuf') {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' }).end('{}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env['PORT']), '127.0.0.1');
process.on('SIGTERM', () => {
  process.stderr.write(`span sink: ${posts} POSTs, ${bytes} bytes\n`);
  process.exit(0);
});
