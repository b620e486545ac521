// The Node workload of bench/runtimes/runtimes.py: JSON documents parsed,
// strings built and Buffers allocated (Buffers of 4-64 KiB are malloc'ed
// outside V8's heap) until the burst holds about BENCH_MIB, a quarter kept
// until the next burst, the rest dropped and collected (--expose-gc); then
// BENCH_IDLE seconds of idle; BENCH_BURSTS times. Marks go to BENCH_MARKS
// as in burst.c.
'use strict';
const fs = require('fs');
const BURSTS = Number(process.env.BENCH_BURSTS || 3);
const IDLE = Number(process.env.BENCH_IDLE || 2.5);
const MIB = Number(process.env.BENCH_MIB || 300);
const marks = fs.openSync(process.env.BENCH_MARKS || '/dev/null', 'a');

function mark(what) {
  const t = Number(process.hrtime.bigint()) / 1e9;
  fs.writeSync(marks, `${what} ${t.toFixed(6)}\n`);
}

let x = 88172645463325252n;
function rand(n) {
  x ^= (x << 13n) & 0xffffffffffffffffn; x ^= x >> 7n; x ^= (x << 17n) & 0xffffffffffffffffn;
  return Number(x % BigInt(n));
}

const doc = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({
  id: i, name: 'n'.repeat(40 + (i * 37) % 1960), score: i / 50 })));

let cache = [];
(async () => {
  for (let b = 0; b < BURSTS; b++) {
    mark('fill');
    cache = [];
    const parts = [];
    let size = 0;
    while (size < MIB * 2 ** 20) {
      const k = rand(3);
      if (k === 0) { parts.push(JSON.parse(doc)); size += doc.length * 2; }
      else if (k === 1) { const n = 4096 + rand(61440); parts.push(Buffer.alloc(n, 1)); size += n; }
      else { const n = 40 + rand(2000); parts.push('s'.repeat(n) + b); size += n; }
    }
    mark('free');
    cache = parts.filter((_, i) => i % 4 === 0);
    parts.length = 0;
    global.gc();
    mark('idle');
    await new Promise((r) => setTimeout(r, IDLE * 1000));
  }
  mark('end');
})();
