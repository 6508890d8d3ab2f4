// BullMQ, measured by camel-rq's benchmark suite (io.camelrq.bench.Peers).
//
// Usage: node bullmq_bench.js HOST PORT DB JOBS PAYLOAD_FILE CONCURRENCY...
//
// Empties its Redis database, warms up (a few hundred jobs added and processed, not timed), then enqueues
// JOBS jobs one at a time (await queue.add, serially) and drains them with a Worker of the first
// concurrency; for every further concurrency it fills the queue again (addBulk, not timed) and drains it
// with a Worker of that concurrency. The processor does nothing. Prints one line:
//
// PEER-RESULT peer=bullmq version=V jobs=N enqueue_s=S drain_c1_s=S drain_c50_s=S ...
'use strict';

const fs = require('fs');
const path = require('path');
const IORedis = require('ioredis');
const { Queue, Worker } = require('bullmq');

const [host, port, db, jobsArg, payloadFile, ...concurrencyArgs] = process.argv.slice(2);
const jobs = Number(jobsArg);
const concurrencies = concurrencyArgs.map(Number);
const payload = fs.readFileSync(payloadFile, 'utf8');
const version = require(path.join(path.dirname(require.resolve('bullmq')), '..', '..', 'package.json')).version;
// maxRetriesPerRequest: null is what BullMQ asks of a Worker's ioredis connection
const connection = { host, port: Number(port), db: Number(db), maxRetriesPerRequest: null };
const prefix = 'bullbench';

async function addOneAtATime(queue, n) {
  for (let i = 0; i < n; i++) {
    await queue.add('noop', { payload });
  }
}

async function fill(queue, n) {
  for (let from = 0; from < n; from += 1000) {
    const batch = [];
    for (let i = from; i < Math.min(n, from + 1000); i++) {
      batch.push({ name: 'noop', data: { payload } });
    }
    await queue.addBulk(batch);
  }
}

/** Seconds from starting a Worker of the given concurrency until it has completed n jobs. */
async function drain(queueName, n, concurrency) {
  const worker = new Worker(queueName, async () => {}, { connection, prefix, concurrency, autorun: false });
  let completed = 0;
  let failed = 0;
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  worker.on('completed', () => {
    if (++completed === n) {
      resolveDone(process.hrtime.bigint());
    }
  });
  worker.on('failed', (job, err) => {
    failed++;
    console.error('job failed:', err);
  });
  worker.on('error', (err) => console.error('worker error:', err));
  await worker.waitUntilReady();
  const t0 = process.hrtime.bigint();
  worker.run();
  const t1 = await done;
  await worker.close();
  if (failed !== 0) {
    throw new Error(`${failed} jobs failed`);
  }
  return Number(t1 - t0) / 1e9;
}

async function main() {
  const client = new IORedis(connection);
  await client.flushdb();
  const queue = new Queue('bench', { connection, prefix });
  await queue.waitUntilReady();

  const warm = Math.min(500, Math.max(50, Math.floor(jobs / 10)));
  const warmQueue = new Queue('warmup', { connection, prefix });
  await addOneAtATime(warmQueue, warm);
  await drain('warmup', warm, Math.max(...concurrencies));
  await warmQueue.obliterate({ force: true });
  await warmQueue.close();

  let t0 = process.hrtime.bigint();
  await addOneAtATime(queue, jobs);
  const enqueueS = Number(process.hrtime.bigint() - t0) / 1e9;
  const waiting = await queue.getWaitingCount();
  if (waiting !== jobs) {
    throw new Error(`${waiting} of ${jobs} jobs waiting after the enqueue`);
  }

  const results = [`enqueue_s=${enqueueS.toFixed(6)}`];
  for (let i = 0; i < concurrencies.length; i++) {
    if (i > 0) {
      await queue.obliterate({ force: true });
      await fill(queue, jobs);
    }
    const seconds = await drain('bench', jobs, concurrencies[i]);
    const left = await queue.getWaitingCount();
    if (left !== 0) {
      throw new Error(`${left} jobs still waiting after the drain at concurrency ${concurrencies[i]}`);
    }
    results.push(`drain_c${concurrencies[i]}_s=${seconds.toFixed(6)}`);
  }
  await queue.close();
  await client.flushdb();
  await client.quit();
  console.log(`PEER-RESULT peer=bullmq version=${version} jobs=${jobs} ${results.join(' ')}`);
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
