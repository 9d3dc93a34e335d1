// s3rver_main.js — starts s3rver (the S3 stand-in) on 127.0.0.1, an
// ephemeral port, with one bucket; prints {"port": N} once listening.
'use strict';
const S3rver = require('s3rver');

const dir = process.argv[2];
const bucket = process.argv[3] || 'hg-test';
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: dir,
  configureBuckets: [{ name: bucket, configs: [] }],
});
server.run().then(({ port }) => {
  process.stdout.write(JSON.stringify({ port }) + '\n');
}).catch((err) => {
  process.stderr.write('s3rver failed: ' + err + '\n');
  process.exit(1);
});
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
