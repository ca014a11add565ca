// What a Node user would write instead: express + stripe-node, one transaction per webhook,
// the signature checked by Stripe's own library on the raw body, 2 workers (node:cluster).
// PEER_DB=sqlite: better-sqlite3 (WAL, synchronous=FULL) on PEER_SQLITE;
// PEER_DB=postgres: node-postgres (pool of 16) on PEER_PG_URL.
'use strict';
const cluster = require('node:cluster');
const express = require('express');
const Stripe = require('stripe');

const workers = Number(process.env.PEER_WORKERS || 2);
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', () => process.exit(1));
} else {
  const stripe = new Stripe('sk_test_unused');
  const secret = process.env.STRIPE_WEBHOOK_SECRET;
  const month = 30 * 86400;
  const apply = process.env.PEER_DB === 'postgres' ? postgres() : sqlite();
  const app = express();
  app.get('/healthz', (_req, res) => res.json({ ok: true }));
  app.post('/api/stripe/webhook', express.raw({ type: '*/*' }), async (req, res) => {
    let event;
    try {
      event = stripe.webhooks.constructEvent(req.body, req.headers['stripe-signature'], secret);
    } catch (e) {
      return res.status(400).send(`Webhook Error: ${e.message}`);
    }
    try {
      await apply(event);
      res.json({ received: true });
    } catch (e) {
      res.status(500).send('storage failed');
    }
  });
  app.listen(Number(process.env.PORT), '127.0.0.1');

  function paid(event) {
    const s = event.data.object;
    return event.type === 'checkout.session.completed' && s.payment_status === 'paid' ? s : null;
  }

  function sqlite() {
    const Database = require('better-sqlite3');
    const db = new Database(process.env.PEER_SQLITE);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 10000');
    const insertEvent = db.prepare('INSERT INTO events (id) VALUES (?) ON CONFLICT DO NOTHING');
    const upsert = db.prepare(
      'INSERT INTO subs (client, plan, expires) VALUES (?, ?, ?) ON CONFLICT (client) DO UPDATE ' +
        'SET plan = excluded.plan, expires = MAX(subs.expires, ?) + ' + month);
    const tx = db.transaction((event) => {
      const s = paid(event);
      if (insertEvent.run(event.id).changes === 1 && s) {
        const now = Math.floor(Date.now() / 1000);
        upsert.run(s.metadata.client_id, s.metadata.plan, now + month, now);
      }
    });
    return async (event) => tx.immediate(event);
  }

  function postgres() {
    const { Pool } = require('pg');
    const pool = new Pool({ connectionString: process.env.PEER_PG_URL, max: 16 });
    return async (event) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const s = paid(event);
        const inserted = await client.query(
          'INSERT INTO events (id) VALUES ($1) ON CONFLICT DO NOTHING', [event.id]);
        if (inserted.rowCount === 1 && s) {
          const now = Math.floor(Date.now() / 1000);
          await client.query(
            'INSERT INTO subs (client, plan, expires) VALUES ($1, $2, $3) ON CONFLICT (client) DO UPDATE ' +
              'SET plan = excluded.plan, expires = GREATEST(subs.expires, $4) + ' + month,
            [s.metadata.client_id, s.metadata.plan, now + month, now]);
        }
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.release();
      }
    };
  }
}
