// graphile-worker's side of bench/outbox-vs-graphile.sh: queue JOBS jobs with addJobs, then
// time one worker running them all, each job POSTing a Standard Webhooks-signed body to
// SINK_URL (the same sink, body, headers and signature as amends' webhook channel) or doing
// nothing when SINK_URL is "noop". A job counts once graphile-worker has deleted it (its
// completion committed): the clock stops when the jobs table is empty.
//
// Options are those of graphile-worker's performance page
// (https://worker.graphile.org/docs/performance): concurrentJobs 24, maxPoolSize 25,
// localQueue size 500, completeJobBatchDelay 0, failJobBatchDelay 0; plus useNodeTime.
// CONCURRENCY overrides concurrentJobs (maxPoolSize follows it).
//
//   NODE_PATH=<dir with graphile-worker>/node_modules \
//   DATABASE_URL=postgres://… SINK_URL=http://127.0.0.1:PORT/hook JOBS=100000 \
//   node bench/graphile-bench.cjs
//
// Prints one JSON line.

"use strict";
const http = require("node:http");
const crypto = require("node:crypto");
const { run, makeWorkerUtils, Logger } = require("graphile-worker");

const connectionString = process.env.DATABASE_URL;
const sink = process.env.SINK_URL;
const jobs = Number(process.env.JOBS || 100000);
const concurrency = Number(process.env.CONCURRENCY || 24);
const noop = sink === "noop";

// Warnings and errors only: a line per job would measure the terminal.
const logger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error(`[graphile ${level}] ${message}`);
});

const secret = Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64");
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });

function deliver(payload) {
  if (noop) return Promise.resolve();
  const body = JSON.stringify(payload.body);
  const timestamp = Math.floor(Date.now() / 1000);
  const signature =
    "v1," + crypto.createHmac("sha256", secret).update(`${payload.id}.${timestamp}.${body}`).digest("base64");
  return new Promise((resolve, reject) => {
    const req = http.request(
      payload.url,
      {
        method: "POST",
        agent,
        timeout: 10000,
        headers: {
          "content-type": "application/json",
          "webhook-id": payload.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": signature,
        },
      },
      (res) => {
        res.resume();
        res.on("end", () =>
          res.statusCode >= 200 && res.statusCode < 300
            ? resolve()
            : reject(new Error(`sink answered ${res.statusCode}`)),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end(body);
  });
}

async function main() {
  const utils = await makeWorkerUtils({ connectionString, logger });
  await utils.migrate();
  let started = performance.now();
  for (let from = 0; from < jobs; from += 10000) {
    const specs = [];
    for (let i = from; i < Math.min(from + 10000, jobs); i++) {
      const account = `acct-${String(i).padStart(6, "0")}`;
      specs.push({
        identifier: "deliver",
        payload: {
          id: `BENCH/${account}/ack_email/1/0`,
          url: noop ? null : sink,
          body: { account, text: "Your team could not sign in." },
        },
      });
    }
    await utils.addJobs(specs);
  }
  const enqueueS = (performance.now() - started) / 1000;

  let succeeded = 0;
  let failed = 0;
  let allSucceeded;
  const finished = new Promise((resolve) => (allSucceeded = resolve));
  started = performance.now();
  const runner = await run({
    noHandleSignals: true,
    taskList: { deliver: (payload) => deliver(payload) },
    preset: {
      worker: {
        connectionString,
        logger,
        concurrentJobs: concurrency,
        maxPoolSize: concurrency + 1,
        localQueue: { size: 500 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
        useNodeTime: true,
      },
    },
  });
  runner.events.on("job:success", () => {
    if (++succeeded === jobs) allSucceeded();
  });
  runner.events.on("job:error", () => failed++);
  await finished;
  // Completions are batched: wait until they are committed.
  for (;;) {
    const left = await utils.withPgClient((c) =>
      c.query("SELECT count(*)::int AS n FROM graphile_worker.jobs"),
    );
    if (left.rows[0].n === 0) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const runS = (performance.now() - started) / 1000;
  await runner.stop();
  await utils.release();
  agent.destroy();
  console.log(
    JSON.stringify({
      system: "graphile-worker 0.17.3",
      backend: "postgres",
      jobs,
      concurrency,
      enqueue_s: enqueueS,
      run_s: runS,
      per_s: succeeded / runS,
      delivered: succeeded,
      failed,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
